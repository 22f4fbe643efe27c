// Coverage map: every turf's outline (drawn area, precinct or ZIP shapes, else the hull of
// where its people live) coloured by reach and labelled with its name, and local leaders'
// homes as points. Works without tiles: the outlines and names are the map.
(function () {
  "use strict";
  var el = document.getElementById("coverage-map");
  if (!el || !window.FieldMaps || !window.fetch) { return; }
  var L = window.L;
  var colours = ["#c0392b", "#e67e22", "#f1c40f", "#27ae60"];
  function colour(reach) {
    if (reach < 5) { return colours[0]; }
    if (reach < 15) { return colours[1]; }
    if (reach < 30) { return colours[2]; }
    return colours[3];
  }
  var map = window.FieldMaps.create(el);
  window.FieldMaps.getJSON(el.getAttribute("data-url")).then(function (data) {
    var group = L.featureGroup().addTo(map);
    var layers = window.FieldMaps.drawTurfs(group, data.turfs, function (t) {
      var c = colour(t.reach_pct);
      return { color: c, fillColor: c, fillOpacity: 0.35, weight: 2 };
    });
    data.turfs.forEach(function (t) {
      if (!layers[t.id]) { return; }
      var popup = document.createElement("div");
      var link = document.createElement("a");
      link.href = t.url;
      link.textContent = t.name;
      popup.appendChild(link);
      popup.appendChild(document.createTextNode(
        " · " + t.reach_pct + "% " + el.getAttribute("data-reach-label") +
        " · " + el.getAttribute("data-gap-label") + " " + t.gap));
      layers[t.id].bindPopup(popup);
    });
    data.leaders.forEach(function (p) {
      L.circleMarker([p.lat, p.lon], { radius: 3, color: "#1c2e4a", fillColor: "#1c2e4a", fillOpacity: 1, weight: 1 })
        .bindTooltip(el.getAttribute("data-leaders-label")).addTo(group);
    });
    window.FieldMaps.fit(map, group, 14);
    el.setAttribute("data-loaded", "true");
  });
})();
