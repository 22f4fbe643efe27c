// A map of the turfs the viewer sees (div.turfs-map): outlines with names, one turf
// highlighted (data-highlight, its id) and framed. Used on a turf's page and to preview the
// tile server on the Settings page.
(function () {
  "use strict";
  if (!window.FieldMaps || !window.fetch) { return; }
  var L = window.L;
  document.querySelectorAll(".turfs-map").forEach(function (el) {
    var map = window.FieldMaps.create(el);
    var highlight = el.getAttribute("data-highlight") || "";
    var all = L.featureGroup().addTo(map);
    var mine = L.featureGroup().addTo(map);
    window.FieldMaps.getJSON(el.getAttribute("data-outlines-url")).then(function (data) {
      var chosen = data.turfs.filter(function (t) { return String(t.id) === highlight; });
      var rest = data.turfs.filter(function (t) { return String(t.id) !== highlight; });
      window.FieldMaps.drawTurfs(all, rest, function () {
        return { color: highlight ? "#6b7785" : "#0b5cad", weight: highlight ? 1 : 2, fillOpacity: highlight ? 0.06 : 0.15 };
      }, highlight ? "muted" : "");
      window.FieldMaps.drawTurfs(mine, chosen, function () {
        return { color: "#0b5cad", weight: 3, fillOpacity: 0.2 };
      });
      window.FieldMaps.fit(map, mine.getLayers().length ? mine : all, 15);
      el.setAttribute("data-loaded", "true");
    });
  });
})();
