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


  // Passkeys (WebAuthn): the server's options and the browser's answers travel as JSON with every
  // binary member in base64url, as WebAuthn's JSON forms have them; the answer goes back in a
  // form field, so the pages' CSRF checks and redirects stay as they are.
  var passkeys = {
    supported: function () {
      return !!(window.PublicKeyCredential && navigator.credentials && window.fetch && window.TextEncoder);
    },
    decode: function (text) {
      var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
      var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
      var bytes = new Uint8Array(binary.length);
      for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
      return bytes.buffer;
    },
    encode: function (buffer) {
      var bytes = new Uint8Array(buffer), binary = "";
      for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
      return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    },
    descriptors: function (list) {
      return (list || []).map(function (item) {
        var descriptor = { type: item.type, id: passkeys.decode(item.id) };
        if (item.transports) { descriptor.transports = item.transports; }
        return descriptor;
      });
    },
    requestOptions: function (json) {
      return { challenge: passkeys.decode(json.challenge), rpId: json.rpId, timeout: json.timeout,
               userVerification: json.userVerification, allowCredentials: passkeys.descriptors(json.allowCredentials) };
    },
    creationOptions: function (json) {
      return { rp: json.rp, challenge: passkeys.decode(json.challenge), pubKeyCredParams: json.pubKeyCredParams,
               user: { id: passkeys.decode(json.user.id), name: json.user.name, displayName: json.user.displayName },
               timeout: json.timeout, excludeCredentials: passkeys.descriptors(json.excludeCredentials),
               authenticatorSelection: json.authenticatorSelection, attestation: json.attestation };
    },
    answer: function (credential) {
      var response = credential.response;
      var json = { id: credential.id, rawId: passkeys.encode(credential.rawId), type: credential.type,
                   clientExtensionResults: {}, response: { clientDataJSON: passkeys.encode(response.clientDataJSON) } };
      if (credential.authenticatorAttachment) { json.authenticatorAttachment = credential.authenticatorAttachment; }
      if (response.attestationObject) {
        json.response.attestationObject = passkeys.encode(response.attestationObject);
        if (response.getTransports) { json.response.transports = response.getTransports(); }
      } else {
        json.response.authenticatorData = passkeys.encode(response.authenticatorData);
        json.response.signature = passkeys.encode(response.signature);
        if (response.userHandle) { json.response.userHandle = passkeys.encode(response.userHandle); }
      }
      return JSON.stringify(json);
    },
    // What to tell the person when the browser gives up; a dismissed prompt needs no scolding.
    failure: function (error, status) {
      if (!status) { return; }
      status.textContent = error && error.name === "NotAllowedError"
        ? "The passkey prompt was closed or timed out. Try again when you are ready."
        : (error && error.detail) || "Your browser could not use a passkey here. Try again, or use another way.";
    }
  };

  function setUpPasskeys() {
    if (!passkeys.supported()) { return; }
    var status = document.getElementById("passkey-status");

    // Sign-in page: a button, and passkeys offered in the username field's autofill.
    var signInForm = document.getElementById("passkey-form");
    if (signInForm) {
      signInForm.hidden = false;
      var pending = null;
      var signIn = function (conditional) {
        if (pending) { pending.abort(); }
        var controller = window.AbortController ? new AbortController() : null;
        pending = controller;
        return fetch("/api/v1/login/passkey/options", { method: "POST", credentials: "omit" })
          .then(function (reply) { return reply.json(); })
          .then(function (started) {
            var request = { publicKey: passkeys.requestOptions(started.publicKey) };
            if (controller) { request.signal = controller.signal; }
            if (conditional) { request.mediation = "conditional"; }
            return navigator.credentials.get(request).then(function (credential) {
              signInForm.elements.flowId.value = started.flowId;
              signInForm.elements.credential.value = passkeys.answer(credential);
              signInForm.submit();
            });
          })
          .catch(function (error) {
            if (!conditional && !(error && error.name === "AbortError")) { passkeys.failure(error, status); }
          });
      };
      document.getElementById("passkey-sign-in").addEventListener("click", function () { signIn(false); });
      if (PublicKeyCredential.isConditionalMediationAvailable) {
        PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
          if (available) { signIn(true); }
        });
      }
    }

    // Second step: answer the flow's challenge with one of the account's passkeys.
    var verifyForm = document.getElementById("passkey-verify-form");
    if (verifyForm) {
      var asking = false;
      verifyForm.addEventListener("submit", function (event) {
        event.preventDefault();
        // One prompt at a time: a second click while the device asks would only fail.
        if (asking) { return; }
        asking = true;
        var options = passkeys.requestOptions(JSON.parse(verifyForm.getAttribute("data-options")));
        navigator.credentials.get({ publicKey: options }).then(function (credential) {
          verifyForm.elements.credential.value = passkeys.answer(credential);
          verifyForm.submit();
        }).catch(function (error) {
          asking = false;
          passkeys.failure(error, status);
        });
      });
    }

    // Security settings: make a passkey and register it.
    var addForm = document.getElementById("add-passkey-form");
    if (addForm) {
      addForm.hidden = false;
      var unsupported = document.getElementById("passkeys-unsupported");
      if (unsupported) { unsupported.hidden = true; }
      addForm.addEventListener("submit", function (event) {
        event.preventDefault();
        var body = new URLSearchParams();
        body.set("csrf", addForm.elements.csrf.value);
        fetch("/account/security/passkeys/options", { method: "POST", credentials: "same-origin", body: body })
          .then(function (reply) {
            return reply.json().then(function (json) { if (!reply.ok) { throw json; } return json; });
          })
          .then(function (started) {
            return navigator.credentials.create({ publicKey: passkeys.creationOptions(started.publicKey) })
              .then(function (credential) {
                addForm.elements.flowId.value = started.flowId;
                addForm.elements.credential.value = passkeys.answer(credential);
                addForm.submit();
              });
          })
          .catch(function (error) { passkeys.failure(error, status); });
      });
    }
  }

  // "Can't sign in?" checks the browser itself: cookies, the clock against the server's time the
  // page carries, and the features the pages use. The sentences are the page's; this only shows them.
  function checkBrowser(section) {
    var problems = 0;
    var show = function (name) {
      var item = section.querySelector("[data-check='" + name + "']");
      item.hidden = false;
      return item;
    };
    var cookies = navigator.cookieEnabled;
    if (cookies) {
      var secure = location.protocol === "https:" ? "; Secure" : "";
      document.cookie = "keyward_cookie_check=1; path=/; SameSite=Strict" + secure;
      cookies = document.cookie.indexOf("keyward_cookie_check=1") !== -1;
      document.cookie = "keyward_cookie_check=; path=/; max-age=0; SameSite=Strict" + secure;
    }
    if (!cookies) { show("cookies"); problems += 1; }

    var server = parseInt(section.getAttribute("data-server-time") || "0", 10);
    var offset = server > 0 ? Date.now() - server : 0;
    if (Math.abs(offset) > 60000) {
      var clock = show("clock");
      clock.querySelector(".drift").textContent = String(Math.round(Math.abs(offset) / 60000));
      clock.querySelector("[data-direction='" + (offset > 0 ? "ahead" : "behind") + "']").hidden = false;
      problems += 1;
    }

    var needs = [
      ["fetch", typeof window.fetch === "function"],
      ["Promise", typeof window.Promise === "function"],
      ["URLSearchParams", typeof window.URLSearchParams === "function"],
      ["TextEncoder", typeof window.TextEncoder === "function"],
      ["crypto.getRandomValues", !!(window.crypto && window.crypto.getRandomValues)],
      ["CSS grid", !!(window.CSS && CSS.supports && CSS.supports("display", "grid"))]
    ];
    var missing = [];
    for (var k = 0; k < needs.length; k++) { if (!needs[k][1]) { missing.push(needs[k][0]); } }
    if (missing.length) {
      show("features").querySelector(".missing").textContent = missing.join(", ");
      problems += 1;
    }
    if (!problems) { show("ok"); }
    section.querySelector("#checks-running").hidden = true;
    section.setAttribute("data-checked", String(problems));
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpPasskeys();
    var checks = document.getElementById("browser-checks");
    // A page restored from the back-forward cache carries an old server time: the clock check
    // would be wrong, so it runs on fresh pages only.
    if (checks && !(performance.getEntriesByType && (performance.getEntriesByType("navigation")[0] || {}).type === "back_forward")) {
      checkBrowser(checks);
    }
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
