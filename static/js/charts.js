// Sparklines: <canvas class="spark" data-spark="[1,2,3]"> drawn with the vendored Chart.js.
(function () {
  "use strict";
  if (!window.Chart) { return; }
  document.querySelectorAll("canvas.spark[data-spark]").forEach(function (canvas) {
    var values;
    try { values = JSON.parse(canvas.getAttribute("data-spark")); } catch (e) { return; }
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: values.map(function (_, i) { return String(i + 1); }),
        datasets: [{ data: values, borderColor: "#1c5d99", borderWidth: 2, pointRadius: 0, fill: false, tension: 0.3 }]
      },
      options: {
        responsive: false, animation: false, events: [],
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: { x: { display: false }, y: { display: false, beginAtZero: true } }
      }
    });
  });
})();
