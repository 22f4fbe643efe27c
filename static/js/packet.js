// Walk and phone lists: one tap logs an attempt without leaving the page (through the
// field app's queue when it runs, so a tap without signal is kept and sent later).
// Without this file each person's buttons are a plain POST form that comes back to the list.
(function () {
  "use strict";
  var progress = document.getElementById("packet-progress");
  function markDone(form, button) {
    var door = form.closest(".door, .phone-row");
    if (door && !door.classList.contains("done")) {
      door.classList.add("done");
      if (progress) {
        var done = parseInt(progress.getAttribute("data-done"), 10) + 1;
        progress.setAttribute("data-done", String(done));
        progress.textContent = progress.textContent.replace(/^\d+/, String(done));
      }
    }
    form.querySelectorAll("button").forEach(function (b) { b.classList.remove("chosen"); });
    button.classList.add("chosen");
    button.setAttribute("aria-pressed", "true");
    // The person's latest result, at a glance on the door's row.
    var latest = document.querySelector("[data-latest-for='" + form.elements.contact_id.value + "']");
    if (latest) {
      latest.textContent = button.textContent.trim();
      latest.className = "latest result-" + button.value;
    }
    var more = button.closest("details.more-results");
    if (more) { more.open = false; }
  }
  document.querySelectorAll("form[data-attempt]").forEach(function (form) {
    form.setAttribute("data-allow-resubmit", "");
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!button || form.hasAttribute("data-native")) { return; }
      if (window.FieldApp) {
        // The field app queues the tap on the phone first and sends it when it can:
        // no signal loses nothing, and the server stores it once (static/js/field.js).
        event.preventDefault();
        var packetId = parseInt((form.action.match(/\/packets\/(\d+)\//) || [])[1], 10);
        window.FieldApp.queueAttempt({
          packet_id: packetId || null,
          contact_id: parseInt(form.elements.contact_id.value, 10),
          result: button.value,
          channel: form.elements.from && form.elements.from.value === "phone" ? "phone" : "door"
        }).then(function () { markDone(form, button); }, function () {
          form.setAttribute("data-native", "");
          if (form.requestSubmit) { form.requestSubmit(button); } else { form.submit(); }
        });
        return;
      }
      if (!window.fetch) { return; }
      event.preventDefault();
      var body = new FormData(form);
      body.set("result", button.value);
      button.disabled = true;
      window.fetch(form.action, {
        method: "POST",
        body: body,
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        markDone(form, button);
      }).catch(function () {
        // Offline or refused: fall back to the plain form post (and its error page).
        form.setAttribute("data-native", "");
        if (form.requestSubmit) { form.requestSubmit(button); } else { form.submit(); }
      }).finally(function () {
        button.disabled = false;
      });
    });
  });
})();
