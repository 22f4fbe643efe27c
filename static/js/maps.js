// Shared map helpers (window.FieldMaps): a Leaflet map with the program's tile server, if
// any, and turfs drawn as outlines with their names written on the map. Every map works
// without tiles: then the outlines and labels are the map.
(function () {
  "use strict";
  var L = window.L;
  if (!L) { return; }

  // The tile server comes from data attributes (fieldcrm.settings): url, plain-text credit,
  // and a link for it. The credit is text, never markup.
  function create(el, options) {
    var map = L.map(el, Object.assign({ maxZoom: 18 }, options || {})).setView([35.5, -79.5], 7);
    var url = el.getAttribute("data-tiles");
    if (url) {
      var credit = document.createElement("span");
      var text = el.getAttribute("data-attribution") || "";
      var link = el.getAttribute("data-attribution-url") || "";
      if (link && /^https?:\/\//.test(link)) {
        var a = document.createElement("a");
        a.href = link;
        a.rel = "noopener";
        a.textContent = text || link;
        credit.appendChild(a);
      } else {
        credit.textContent = text;
      }
      L.tileLayer(url, { attribution: credit.innerHTML, maxZoom: 19 }).addTo(map);
      el.classList.add("with-tiles");
    } else {
      el.classList.add("without-tiles");
    }
    return map;
  }

  function label(text, latlng, className) {
    var span = document.createElement("span");
    span.textContent = text;
    return L.tooltip({
      permanent: true,
      direction: "center",
      interactive: false,
      className: "turf-label" + (className ? " " + className : "")
    }).setLatLng(latlng).setContent(span);
  }

  // Draw each turf ({name, outline, label_at, lat, lon}) into `group`: its outline when the
  // server knows one, else a circle at the centre of its people, and its name on the map.
  // `styleFor(turf)` gives the Leaflet path style; returns {turf id: layer}.
  function drawTurfs(group, turfs, styleFor, labelClass) {
    var layers = {};
    turfs.forEach(function (t) {
      var style = Object.assign({ className: "turf-outline" }, styleFor(t));
      var layer = null;
      var where = null;
      if (t.outline) {
        layer = L.geoJSON(t.outline, { style: style });
        where = t.label_at ? L.latLng(t.label_at[0], t.label_at[1]) : layer.getBounds().getCenter();
      } else if (t.lat !== null && t.lat !== undefined && t.lon !== null && t.lon !== undefined) {
        layer = L.circleMarker([t.lat, t.lon], Object.assign({ radius: 10 }, style));
        where = L.latLng(t.lat, t.lon);
      }
      if (!layer) { return; }
      layer.addTo(group);
      label(t.name, where, labelClass).addTo(group);
      layers[t.id] = layer;
    });
    return layers;
  }

  function fit(map, group, maxZoom) {
    if (group.getLayers().length) {
      var bounds = group.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds.pad(0.1), { maxZoom: maxZoom || 14 }); }
    }
  }

  function getJSON(url) {
    return window.fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); });
  }

  window.FieldMaps = { create: create, label: label, drawTurfs: drawTurfs, fit: fit, getJSON: getJSON };
})();
