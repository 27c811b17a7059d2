// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var warning = document.getElementById("cookie-warning");
    if (warning && !navigator.cookieEnabled) { warning.hidden = false; }

    // Show times in the reader's own time zone and format; the ISO time stays in the attribute.
    var times = document.querySelectorAll("time[datetime]");
    for (var i = 0; i < times.length; i++) {
      var when = new Date(times[i].getAttribute("datetime"));
      if (!isNaN(when.getTime())) {
        times[i].title = times[i].getAttribute("datetime");
        times[i].textContent = when.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
      }
    }

    var resend = document.getElementById("resend");
    var countdown = document.getElementById("resend-countdown");
    if (resend && countdown) {
      var remaining = parseInt(resend.getAttribute("data-wait") || "0", 10);
      // Screen readers hear the end of the wait, not every second of it.
      var waited = remaining > 0;
      countdown.setAttribute("aria-live", "off");
      var tick = function () {
        if (remaining <= 0) {
          resend.disabled = false;
          countdown.setAttribute("aria-live", "polite");
          countdown.textContent = waited ? "You can ask for a new code now." : "";
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
