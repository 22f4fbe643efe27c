// Walk and phone lists: one tap logs an attempt without leaving the page.
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
  }
  document.querySelectorAll("form[data-attempt]").forEach(function (form) {
    form.setAttribute("data-allow-resubmit", "");
    form.addEventListener("submit", function (event) {
      var button = event.submitter;
      if (!window.fetch || !button || form.hasAttribute("data-native")) { return; }
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
