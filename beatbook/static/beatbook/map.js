// Area maps: draws the LSOAs of every [data-bb-map] element with Leaflet (map-base.js),
// coloured by the measure chosen on the page, again after HTMX swaps in another measure.
// The table next to each map carries the same figures for people who cannot use the map,
// so the map adds no information of its own.
(function () {
  "use strict";

  var BORDER = "#0b0c0c";

  function tooltipFor(feature) {
    // Text nodes, not HTML: area names come from imported files.
    var box = document.createElement("span");
    var name = document.createElement("strong");
    name.textContent = feature.properties.name;
    box.appendChild(name);
    box.appendChild(document.createTextNode(" " + feature.properties.code + ": " + feature.properties.display));
    return box;
  }

  var maps = window.Beatbook.maps;

  maps.register("[data-bb-map]", function (el, map) {
    maps
      .fetchJSON(el.getAttribute("data-geojson-url"))
      .then(function (collection) {
        var layer = window.L.geoJSON(collection, {
          style: function (feature) {
            return { color: BORDER, weight: 1, opacity: 1, fillColor: feature.properties.fill, fillOpacity: 0.85 };
          },
          onEachFeature: function (feature, shape) {
            shape.bindTooltip(tooltipFor(feature), { sticky: true });
          },
        }).addTo(map);
        if (collection.features.length) {
          map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        }
        maps.done(el, collection.features.length);
      })
      .catch(function () {
        maps.failed(el);
      });
  });
})();
