// Turf form: draw an area by tapping (or clicking) its corners on the map; drag a corner to
// move it. Fills the GeoJSON field. Other turfs are drawn faintly, with their names, so the
// new area can follow their edges. Works with a finger: double-tap zoom is off (two quick
// taps are two corners) and corners are finger-sized handles.
(function () {
  "use strict";
  var el = document.getElementById("turf-draw-map");
  if (!el || !window.FieldMaps) { return; }
  var L = window.L;
  var controls = document.getElementById("turf-draw-controls");
  el.hidden = false;
  controls.hidden = false;
  var target = document.getElementById(el.getAttribute("data-target"));
  var count = document.getElementById("turf-draw-count");
  var undo = document.getElementById("turf-draw-undo");
  var clear = document.getElementById("turf-draw-clear");
  var map = window.FieldMaps.create(el, { doubleClickZoom: false });
  var placed = false;
  var existing = el.getAttribute("data-existing");
  if (existing) {
    try {
      var area = L.geoJSON(JSON.parse(existing), { style: { color: "#555", dashArray: "4 4" } }).addTo(map);
      map.fitBounds(area.getBounds(), { maxZoom: 16 });
      placed = true;
    } catch (e) { /* an unreadable stored area is simply not drawn */ }
  }
  var others = L.featureGroup().addTo(map);
  var current = el.getAttribute("data-turf-id");
  if (el.getAttribute("data-outlines-url") && window.fetch) {
    window.FieldMaps.getJSON(el.getAttribute("data-outlines-url")).then(function (data) {
      var turfs = data.turfs.filter(function (t) { return String(t.id) !== current && t.outline; });
      window.FieldMaps.drawTurfs(others, turfs, function () {
        return { color: "#6b7785", weight: 1, fillOpacity: 0.08, interactive: false };
      }, "muted");
      if (!placed && !corners.length) { window.FieldMaps.fit(map, others, 14); }
      el.setAttribute("data-loaded", "true");
    });
  }

  var corners = [];
  var handles = [];
  var shape = null;
  function round(v) { return Math.round(v * 1e6) / 1e6; }
  function sync() {
    if (shape) { map.removeLayer(shape); shape = null; }
    if (corners.length >= 2) {
      shape = L.polygon(corners, { color: "#0b5cad", interactive: false }).addTo(map);
    }
    if (corners.length >= 3) {
      var ring = corners.map(function (c) { return [c[1], c[0]]; });
      ring.push(ring[0]);
      target.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
    } else if (corners.length || target.getAttribute("data-drawn") === "true") {
      target.value = "";
    }
    target.setAttribute("data-drawn", corners.length ? "true" : "false");
    count.textContent = count.getAttribute("data-template").replace("%d", String(corners.length));
    undo.disabled = clear.disabled = corners.length === 0;
  }
  function addCorner(lat, lng) {
    var handle = L.marker([lat, lng], {
      draggable: true,
      keyboard: false,
      icon: L.divIcon({ className: "corner-handle", iconSize: [44, 44] })
    }).addTo(map);
    handle.on("drag", function () {
      var at = handle.getLatLng();
      corners[handles.indexOf(handle)] = [round(at.lat), round(at.lng)];
      sync();
    });
    corners.push([round(lat), round(lng)]);
    handles.push(handle);
    sync();
  }
  map.on("click", function (event) { addCorner(event.latlng.lat, event.latlng.lng); });
  undo.addEventListener("click", function () {
    corners.pop();
    map.removeLayer(handles.pop());
    sync();
  });
  clear.addEventListener("click", function () {
    handles.forEach(function (h) { map.removeLayer(h); });
    corners = [];
    handles = [];
    sync();
  });
  // An area drawn before the form came back with an error is drawn again, editable.
  try {
    var drawn = target.value ? JSON.parse(target.value) : null;
    if (drawn && drawn.type === "Polygon" && drawn.coordinates.length === 1) {
      drawn.coordinates[0].slice(0, -1).forEach(function (p) { addCorner(p[1], p[0]); });
      map.fitBounds(L.latLngBounds(corners), { maxZoom: 16 });
      placed = true;
    }
  } catch (e) { /* typed text that is not JSON stays for the server to explain */ }
  sync();
})();
