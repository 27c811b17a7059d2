// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // " (in 2 hours)" for a moment ahead of now, in the reader's language; "" when unsupported.
  function relative(at) {
    var minutes = Math.round((at.getTime() - Date.now()) / 60000);
    if (minutes <= 0 || typeof Intl === "undefined" || !Intl.RelativeTimeFormat) { return ""; }
    var format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
    return " (" + (minutes < 90 ? format.format(minutes, "minute") : format.format(Math.round(minutes / 60), "hour")) + ")";
  }

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

    // Times inside a message sentence (such as the end of a lock) come as ISO 8601 UTC text; show
    // them in the reader's time zone with how far away they are, keeping the exact time in a <time>.
    var stamp = /(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)( \(UTC\))?/;
    var sentences = document.querySelectorAll(".alert p");
    for (var j = 0; j < sentences.length; j++) {
      var node = sentences[j].firstChild;
      while (node) {
        var next = node.nextSibling;
        var found = node.nodeType === 3 ? stamp.exec(node.nodeValue) : null;
        var at = found ? new Date(found[1]) : null;
        if (at && !isNaN(at.getTime())) {
          var rest = node.splitText(found.index);
          rest.nodeValue = rest.nodeValue.slice(found[0].length);
          var time = document.createElement("time");
          time.setAttribute("datetime", found[1]);
          time.title = found[1] + " (UTC)";
          time.textContent = at.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) + relative(at);
          sentences[j].insertBefore(time, rest);
          next = rest;
        }
        node = next;
      }
    }

    var print = document.getElementById("print-recovery-codes");
    if (print && window.print) {
      print.hidden = false;
      print.addEventListener("click", function () { window.print(); });
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
        // Long waits (an hourly limit) read better in minutes.
        countdown.textContent = "You can ask for a new code in " +
          (remaining >= 120 ? Math.ceil(remaining / 60) + " min." : remaining + " s.");
        remaining -= 1;
        setTimeout(tick, 1000);
      };
      tick();
    }
  });
})();
