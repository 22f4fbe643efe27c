// Walk and phone lists: one tap logs an attempt without leaving the page.
// Without this file each button is a plain POST form that comes back to the list.
(function () {
  "use strict";
  var progress = document.getElementById("packet-progress");
  function markDone(form) {
    var door = form.closest(".door, .phone-row");
    if (door && !door.classList.contains("done")) {
      door.classList.add("done");
      if (progress) {
        var done = parseInt(progress.getAttribute("data-done"), 10) + 1;
        progress.setAttribute("data-done", String(done));
        progress.textContent = progress.textContent.replace(/^\d+/, String(done));
      }
    }
    var row = form.closest(".tap-row");
    if (row) {
      row.querySelectorAll("button").forEach(function (b) { b.classList.remove("chosen"); });
    }
    form.querySelector("button").classList.add("chosen");
  }
  document.querySelectorAll("form[data-attempt]").forEach(function (form) {
    form.setAttribute("data-allow-resubmit", "");
    form.addEventListener("submit", function (event) {
      if (!window.fetch) { return; }
      event.preventDefault();
      var button = form.querySelector("button");
      button.disabled = true;
      window.fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { "Accept": "application/json" },
        credentials: "same-origin"
      }).then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        markDone(form);
      }).catch(function () {
        form.submit();
      }).finally(function () {
        button.disabled = false;
      });
    });
  });
})();
