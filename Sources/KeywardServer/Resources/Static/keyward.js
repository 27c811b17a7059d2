// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var warning = document.getElementById("cookie-warning");
    if (warning && !navigator.cookieEnabled) { warning.hidden = false; }

    var resend = document.getElementById("resend");
    var countdown = document.getElementById("resend-countdown");
    if (resend && countdown) {
      var remaining = parseInt(resend.getAttribute("data-wait") || "0", 10);
      var tick = function () {
        if (remaining <= 0) {
          resend.disabled = false;
          countdown.textContent = "";
          return;
        }
        resend.disabled = true;
        countdown.textContent = "You can ask for a new code in " + remaining + " s.";
        remaining -= 1;
        setTimeout(tick, 1000);
      };
      tick();
    }
  });
})();
