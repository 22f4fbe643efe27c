// Job progress: polls the job's JSON endpoint until it completes or fails.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || !window.fetch) { return; }
  var url = box.getAttribute("data-url");
  // statuses in the page's language (fieldcrm.labels), the code when one is missing
  var statusLabels = JSON.parse(box.getAttribute("data-status-labels") || "{}");
  function render(data) {
    document.getElementById("job-status").textContent = statusLabels[data.status] || data.status;
    var bar = document.getElementById("job-progress");
    bar.value = data.percent;
    bar.textContent = data.percent + "%";
    document.getElementById("job-count").textContent =
      data.done + (data.total ? " / " + data.total : "");
    document.getElementById("job-message").textContent = data.message || "";
  }
  function poll() {
    window.fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        render(data);
        if (data.status === "queued" || data.status === "running") {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  var status = box.getAttribute("data-status");
  if (status === "queued" || status === "running") { poll(); }
})();
