// Crime maps: draws one month's crime points of every [data-bb-crime-map] element with
// Leaflet (map-base.js), one circle per published location, its area growing with the
// number of crimes there. The table next to the map lists the busiest places, so the map adds no information that
// only people who can see and point at it would get.
(function () {
  "use strict";

  var BORDER = "#0b0c0c";
  var POINT = "#d4351c";
  var OUTLINE = "#505a5f";

  function radiusFor(count) {
    // Area proportional to the count, so that four crimes look four times as big as one.
    return Math.min(20, 2 + 2 * Math.sqrt(count));
  }

  function tooltipFor(feature, word) {
    // Text nodes, not HTML: locations come from imported files.
    var box = document.createElement("span");
    var place = document.createElement("strong");
    place.textContent = feature.properties.location || "";
    box.appendChild(place);
    box.appendChild(document.createTextNode(": " + feature.properties.count + " " + word));
    return box;
  }

  var maps = window.Beatbook.maps;

  maps.register("[data-bb-crime-map]", function (el, map) {
    var word = el.getAttribute("data-crimes-text") || "crimes";
    var outlineUrl = el.getAttribute("data-outline-url");
    // The LSOA outlines give the points somewhere to sit when no tile layer is configured;
    // the map still works without them.
    var outlines = outlineUrl
      ? maps.fetchJSON(outlineUrl).catch(function () {
          return null;
        })
      : Promise.resolve(null);
    outlines
      .then(function (collection) {
        if (collection && collection.features.length) {
          window.L.geoJSON(collection, {
            interactive: false,
            style: function () {
              return { color: OUTLINE, weight: 1, opacity: 1, fill: false };
            },
          }).addTo(map);
        }
        return maps.fetchJSON(el.getAttribute("data-points-url"));
      })
      .then(function (collection) {
        // Biggest first, so that small circles stay on top and can be pointed at.
        var features = collection.features.slice().sort(function (a, b) {
          return b.properties.count - a.properties.count;
        });
        window.L.geoJSON(
          { type: "FeatureCollection", features: features },
          {
            pointToLayer: function (feature, latlng) {
              return window.L.circleMarker(latlng, {
                radius: radiusFor(feature.properties.count),
                color: BORDER,
                weight: 1,
                opacity: 1,
                fillColor: POINT,
                fillOpacity: 0.5,
              });
            },
            onEachFeature: function (feature, layer) {
              layer.bindTooltip(tooltipFor(feature, word));
            },
          }
        ).addTo(map);
        maps.done(el, features.length);
      })
      .catch(function () {
        maps.failed(el);
      });
  });
})();
