// Area maps: draws the LSOAs of every [data-bb-map] element with Leaflet, coloured by the
// measure chosen on the page. Configuration comes from data- attributes (the CSP allows no
// inline script). The table next to each map carries the same figures for people who
// cannot use the map, so the map adds no information of its own.
(function () {
  "use strict";

  var BORDER = "#0b0c0c";

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

  function tooltipFor(feature) {
    // Text nodes, not HTML: area names come from imported files.
    var box = document.createElement("span");
    var name = document.createElement("strong");
    name.textContent = feature.properties.name;
    box.appendChild(name);
    box.appendChild(document.createTextNode(" " + feature.properties.code + ": " + feature.properties.display));
    return box;
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
    fetch(el.getAttribute("data-geojson-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
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
        el.setAttribute("data-bb-features", String(collection.features.length));
        el.setAttribute("data-bb-ready", "done");
      })
      .catch(function () {
        el.setAttribute("data-bb-ready", "failed");
        var note = document.createElement("p");
        note.className = "govuk-body govuk-error-message";
        note.textContent = el.getAttribute("data-failed-text") || "The map could not be drawn.";
        el.insertAdjacentElement("afterend", note);
      });
  }

  function initAll(root) {
    (root || document).querySelectorAll("[data-bb-map]").forEach(initMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      initAll(document);
    });
  } else {
    initAll(document);
  }
  // HTMX swaps in a new map panel when another measure is chosen.
  document.addEventListener("htmx:afterSettle", function (event) {
    initAll(event.target);
  });
})();
