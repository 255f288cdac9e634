// Survey maps: each neighbourhood of a [data-bb-survey-map] element coloured by its weighted
// confidence score (map-base.js draws the map). A neighbourhood with too few responses has no
// fill, only its outline, so that no colour suggests a score that was not published. The
// table after the map gives the same figures.
const BORDER = "#0b0c0c";

function tooltipFor(feature) {
  // Text nodes, not HTML: area names come from imported files.
  const box = document.createElement("span");
  const name = document.createElement("strong");
  name.textContent = feature.properties.name;
  box.appendChild(name);
  box.appendChild(document.createTextNode(": " + feature.properties.display));
  return box;
}

const maps = window.Beatbook && window.Beatbook.maps;

if (maps) {
  maps.register("[data-bb-survey-map]", (el, map) => {
    maps
      .fetchJSON(el.getAttribute("data-geojson-url"))
      .then((collection) => {
        const layer = window.L.geoJSON(collection, {
          style: (feature) =>
            feature.properties.fill
              ? { color: BORDER, weight: 1, opacity: 1, fillColor: feature.properties.fill, fillOpacity: 0.85 }
              : { color: BORDER, weight: 2, opacity: 1, dashArray: "4 4", fill: false },
          onEachFeature: (feature, shape) => {
            shape.bindTooltip(tooltipFor(feature), { sticky: true });
          },
        }).addTo(map);
        if (collection.features.length) {
          map.fitBounds(layer.getBounds(), { padding: [8, 8] });
        }
        maps.done(el, collection.features.length);
      })
      .catch(() => {
        maps.failed(el);
      });
  });
}
