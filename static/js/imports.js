// Live import (and check) progress: polls the JSON endpoint named in data-progress-url until
// finished (a check page: until the status is no longer data-reload-unless, or stalled).
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.getAttribute("data-finished") === "true") { return; }
  var url = box.getAttribute("data-progress-url");
  // statuses in the page's language (fieldcrm.labels), the code when one is missing
  var statusLabels = JSON.parse(box.getAttribute("data-status-labels") || "{}");

  function set(selector, value) {
    var el = box.querySelector(selector);
    if (el) { el.textContent = value === null || value === undefined ? "–" : String(value); }
  }

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        set('[data-field="status"]', statusLabels[data.status] || data.status);
        set('[data-field="rows_done"]', data.rows_done);
        set('[data-field="rows_total"]', data.rows_total);
        set('[data-field="rate"]', data.rate);
        set('[data-field="eta_seconds"]', data.eta_seconds);
        var bar = box.querySelector('[data-field="percent"]');
        if (bar && data.percent !== null) { bar.value = data.percent; }
        Object.keys(data.counts).forEach(function (key) {
          set('[data-count="' + key + '"]', data.counts[key]);
        });
        var waitWhile = box.getAttribute("data-reload-unless");
        if (waitWhile ? (data.status !== waitWhile || data.stalled) :
            (data.finished || data.status === "interrupted")) {
          window.location.reload();
          return;
        }
        window.setTimeout(tick, 2000);
      })
      .catch(function () { window.setTimeout(tick, 5000); });
  }
  window.setTimeout(tick, 1000);
})();
