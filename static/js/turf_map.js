// Turf form: draw an area by tapping corners on a Leaflet map; fills the GeoJSON field.
(function () {
  "use strict";
  var el = document.getElementById("turf-draw-map");
  if (!el || !window.L) { return; }
  el.hidden = false;
  document.getElementById("turf-draw-help").hidden = false;
  var target = document.getElementById(el.getAttribute("data-target"));
  var map = window.L.map(el, { maxZoom: 18 }).setView([35.5, -79.5], 7);
  var tiles = el.getAttribute("data-tiles");
  if (tiles) {
    window.L.tileLayer(tiles, { attribution: el.getAttribute("data-attribution") || "" }).addTo(map);
  }
  var existing = el.getAttribute("data-existing");
  if (existing) {
    try {
      var layer = window.L.geoJSON(JSON.parse(existing), { style: { color: "#555" } }).addTo(map);
      map.fitBounds(layer.getBounds(), { maxZoom: 16 });
    } catch (e) { /* an unreadable stored area is simply not drawn */ }
  }
  var corners = [];
  var shape = null;
  function redraw() {
    if (shape) { map.removeLayer(shape); shape = null; }
    if (corners.length >= 2) {
      shape = window.L.polygon(corners, { color: "#1c5d99" }).addTo(map);
    }
    if (corners.length >= 3) {
      var ring = corners.map(function (c) { return [c[1], c[0]]; });
      ring.push(ring[0]);
      target.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    } else {
      target.value = "";
    }
  }
  map.on("click", function (event) {
    corners.push([
      Math.round(event.latlng.lat * 1e6) / 1e6,
      Math.round(event.latlng.lng * 1e6) / 1e6
    ]);
    redraw();
  });
  document.getElementById("turf-draw-undo").addEventListener("click", function () {
    corners.pop();
    redraw();
  });
})();
