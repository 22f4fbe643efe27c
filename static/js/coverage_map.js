// Coverage map: turfs coloured by reach (areas when drawn, else circles at the turf's
// centre) and local leaders' homes as points. Works without tiles: the overlay is the map.
(function () {
  "use strict";
  var el = document.getElementById("coverage-map");
  if (!el || !window.L || !window.fetch) { return; }
  var colours = ["#c0392b", "#e67e22", "#f1c40f", "#27ae60"];
  function colour(reach) {
    if (reach < 5) { return colours[0]; }
    if (reach < 15) { return colours[1]; }
    if (reach < 30) { return colours[2]; }
    return colours[3];
  }
  var map = window.L.map(el, { maxZoom: 18 }).setView([35.5, -79.5], 7);
  var tiles = el.getAttribute("data-tiles");
  if (tiles) {
    window.L.tileLayer(tiles, { attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
  }
  window.fetch(el.getAttribute("data-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (data) {
      var group = window.L.featureGroup().addTo(map);
      data.turfs.forEach(function (t) {
        var style = { color: colour(t.reach_pct), fillColor: colour(t.reach_pct), fillOpacity: 0.45, weight: 2 };
        var layer = null;
        if (t.geojson) {
          layer = window.L.geoJSON(t.geojson, { style: style });
        } else if (t.lat !== null && t.lon !== null) {
          layer = window.L.circleMarker([t.lat, t.lon], Object.assign({ radius: 8 + Math.min(20, Math.sqrt(t.universe) / 4) }, style));
        }
        if (!layer) { return; }
        var label = document.createElement("div");
        var link = document.createElement("a");
        link.href = t.url;
        link.textContent = t.name;
        label.appendChild(link);
        label.appendChild(document.createTextNode(" · " + t.reach_pct + "% " + el.getAttribute("data-reach-label") + " · gap " + t.gap));
        layer.bindPopup(label);
        layer.addTo(group);
      });
      data.leaders.forEach(function (p) {
        window.L.circleMarker([p.lat, p.lon], { radius: 3, color: "#1c2e4a", fillColor: "#1c2e4a", fillOpacity: 1, weight: 1 })
          .bindTooltip(el.getAttribute("data-leaders-label")).addTo(group);
      });
      if (group.getLayers().length) { map.fitBounds(group.getBounds().pad(0.1), { maxZoom: 14 }); }
    });
})();
