// What every Beatbook map shares: a Leaflet map on an element configured by data- attributes
// (the CSP allows no inline script), fitted to its bounds, with tiles only when the force has
// configured a tile server, GeoJSON fetched with the session, and a visible note on failure.
// Each map kind (map.js, crime-map.js) registers itself with Beatbook.maps.register.
(function () {
  "use strict";

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

  function failed(el) {
    el.setAttribute("data-bb-ready", "failed");
    var note = document.createElement("p");
    note.className = "govuk-body govuk-error-message";
    note.textContent = el.getAttribute("data-failed-text") || "The map could not be drawn.";
    el.insertAdjacentElement("afterend", note);
  }

  // A Leaflet map on `el`, or null when Leaflet is missing or the map is drawn already.
  function create(el) {
    if (el.getAttribute("data-bb-ready") || !window.L) {
      return null;
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
    return map;
  }

  function done(el, featureCount) {
    el.setAttribute("data-bb-features", String(featureCount));
    el.setAttribute("data-bb-ready", "done");
  }

  // Draws every element matching `selector` with `draw(el, map)` now and after HTMX swaps.
  function register(selector, draw) {
    function initAll(root) {
      (root || document).querySelectorAll(selector).forEach(function (el) {
        var map = create(el);
        if (map) {
          draw(el, map);
        }
      });
    }
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", function () {
        initAll(document);
      });
    } else {
      initAll(document);
    }
    document.addEventListener("htmx:afterSettle", function (event) {
      initAll(event.target);
    });
  }

  window.Beatbook = window.Beatbook || {};
  window.Beatbook.maps = { fetchJSON: fetchJSON, failed: failed, done: done, register: register };
})();
