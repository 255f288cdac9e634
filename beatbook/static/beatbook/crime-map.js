// Crime maps: draws one month's crime points of every [data-bb-crime-map] element with
// Leaflet, one circle per published location, its area growing with the number of crimes
// there. Configuration comes from data- attributes (the CSP allows no inline script).
// The table next to the map lists the busiest places, so the map adds no information that
// only people who can see and point at it would get.
(function () {
  "use strict";

  var BORDER = "#0b0c0c";
  var POINT = "#d4351c";
  var OUTLINE = "#505a5f";

  function boundsOf(el) {
    var parts = (el.getAttribute("data-bounds") || "").split(",").map(Number);
    if (parts.length !== 4 || parts.some(isNaN)) {
      return null;
    }
    return [
      [parts[0], parts[1]],
      [parts[2], parts[3]],
    ];
  }

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/geo+json" } }).then(
      function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      }
    );
  }

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

  function failed(el) {
    el.setAttribute("data-bb-ready", "failed");
    var note = document.createElement("p");
    note.className = "govuk-body govuk-error-message";
    note.textContent = el.getAttribute("data-failed-text") || "The map could not be drawn.";
    el.insertAdjacentElement("afterend", note);
  }

  function initMap(el) {
    if (el.getAttribute("data-bb-ready") || !window.L) {
      return;
    }
    el.setAttribute("data-bb-ready", "loading");
    el.querySelectorAll(".bb-map__fallback").forEach(function (node) {
      node.remove();
    });
    var map = window.L.map(el, { scrollWheelZoom: false, zoomSnap: 0.25 });
    var bounds = boundsOf(el);
    if (bounds) {
      map.fitBounds(bounds);
    } else {
      map.setView([52.6, -1.2], 9);
    }
    var tiles = el.getAttribute("data-tile-url");
    if (tiles) {
      window.L.tileLayer(tiles, { attribution: el.getAttribute("data-tile-attribution") || "" }).addTo(map);
    }
    var word = el.getAttribute("data-crimes-text") || "crimes";
    var outlineUrl = el.getAttribute("data-outline-url");
    // The LSOA outlines give the points somewhere to sit when no tile layer is configured;
    // the map still works without them.
    var outlines = outlineUrl
      ? fetchJSON(outlineUrl).catch(function () {
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
        return fetchJSON(el.getAttribute("data-points-url"));
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
        el.setAttribute("data-bb-features", String(features.length));
        el.setAttribute("data-bb-ready", "done");
      })
      .catch(function () {
        failed(el);
      });
  }

  function initAll(root) {
    (root || document).querySelectorAll("[data-bb-crime-map]").forEach(initMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      initAll(document);
    });
  } else {
    initAll(document);
  }
})();
