// satloc's live map: draws the Natural Earth coastlines once, then every
// second every object's position from /api/positions and the ground track of
// its next revolution from /api/tracks (fetched once a minute; in between,
// the part still ahead is drawn from where the object is now).
//
// The projection is equirectangular at one map unit per CSS pixel of the
// 960x480 viewBox: x = (lon + 180) / 360 * 960, y = (90 - lat) / 180 * 480.
// Markers carry their position as data attributes (data-lat, data-lon) and
// their projected centre as cx/cy, so a test can read both from the DOM.
// d3-geo draws the land and the tracks, cutting them at the antimeridian.
"use strict";

(function () {
  const WIDTH = 960;
  const HEIGHT = 480;
  const SVG_NS = "http://www.w3.org/2000/svg";
  /** How often positions are fetched and drawn. */
  const REFRESH_MS = 1000;
  /** How often the tracks and the object list are fetched again. */
  const TRACKS_EVERY_MS = 60000;
  /** Up to this many objects every track is drawn; beyond, only the picked one's. */
  const ALL_TRACKS_UP_TO = 100;
  /** Up to this many objects every marker is labelled. */
  const LABELS_UP_TO = 30;

  const projection = d3
    .geoEquirectangular()
    .scale(WIDTH / (2 * Math.PI))
    .translate([WIDTH / 2, HEIGHT / 2]);
  const geoPath = d3.geoPath(projection).digits(2);

  const state = {
    /** From /api/objects: id -> entry (names, dig command). */
    objects: new Map(),
    /** From /api/tracks: id -> GeoJSON Feature. */
    tracks: new Map(),
    /** Server time (ms) of the last track fetch, and for which selection. */
    tracksAt: -Infinity,
    tracksFor: null,
    /** The last positions drawn (kept when a refresh fails). */
    positions: null,
    selected: null,
    busy: false,
  };

  const $ = (id) => document.getElementById(id);

  async function getJSON(url) {
    const response = await fetch(url, { cache: "no-store" });
    if (!response.ok) {
      let reason = `HTTP ${response.status}`;
      try {
        reason = (await response.json()).error || reason;
      } catch (_) {
        // Not JSON: keep the status.
      }
      throw new Error(`${url}: ${reason}`);
    }
    return response.json();
  }

  function svg(tag, attributes) {
    const element = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) {
      element.setAttribute(name, value);
    }
    return element;
  }

  function html(tag, attributes, text) {
    const element = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      element.setAttribute(name, value);
    }
    if (text !== undefined) element.textContent = text;
    return element;
  }

  async function drawLand() {
    const land = await getJSON("vendor/land-110m.json");
    $("land").setAttribute("d", geoPath(topojson.feature(land, land.objects.land)));
    $("graticule").setAttribute("d", geoPath(d3.geoGraticule10()));
  }

  async function loadObjects() {
    const list = await getJSON("api/objects");
    state.objects = new Map(list.objects.map((entry) => [entry.id, entry]));
    if (!state.objects.has(state.selected)) {
      const wanted = Number(location.hash.slice(1));
      const iss = list.objects.find((entry) => entry.names.includes("iss"));
      state.selected = state.objects.has(wanted)
        ? wanted
        : (iss || list.objects[0] || {}).id ?? null;
    }
    drawList();
  }

  function drawList() {
    const items = [];
    for (const entry of state.objects.values()) {
      const item = html("li", { "data-id": entry.id });
      item.append(
        html("span", { class: "name" }, entry.name),
        html("span", { class: "ids" }, `${entry.id} · ${entry.label}`),
        html("code", { class: "dig" }, entry.dig),
      );
      item.addEventListener("click", () => select(entry.id));
      items.push(item);
    }
    $("objects").replaceChildren(...items);
    filterList();
    markSelected();
  }

  function filterList() {
    const needle = $("filter").value.trim().toLowerCase();
    for (const item of $("objects").children) {
      const entry = state.objects.get(Number(item.dataset.id));
      const haystack = [entry.name, String(entry.id), ...entry.names].join(" ").toLowerCase();
      item.classList.toggle("hidden", needle !== "" && !haystack.includes(needle));
    }
  }

  function select(id) {
    state.selected = id;
    history.replaceState(null, "", `#${id}`);
    markSelected();
    draw();
    if (state.objects.size > ALL_TRACKS_UP_TO) refresh();
  }

  function markSelected() {
    for (const item of $("objects").children) {
      item.classList.toggle("selected", Number(item.dataset.id) === state.selected);
    }
  }

  /** Tracks of every object, or of the picked one in a large catalogue. */
  function tracksWanted() {
    if (state.objects.size <= ALL_TRACKS_UP_TO) return "api/tracks";
    return state.selected === null ? null : `api/tracks?ids=${state.selected}`;
  }

  async function refresh() {
    if (state.busy) return;
    state.busy = true;
    try {
      const positions = await getJSON("api/positions");
      const now = Date.parse(positions.time);
      const stale = now - state.tracksAt >= TRACKS_EVERY_MS;
      if (stale) await loadObjects();
      const wanted = tracksWanted();
      if (stale || wanted !== state.tracksFor) {
        const tracks = wanted ? await getJSON(wanted) : { features: [] };
        state.tracks = new Map(tracks.features.map((feature) => [feature.id, feature]));
        state.tracksAt = now;
        state.tracksFor = wanted;
      }
      state.positions = positions;
      $("status").textContent = `${positions.features.length} objects`;
      $("status").classList.remove("error");
    } catch (err) {
      $("status").textContent = `${err.message}; showing the last positions`;
      $("status").classList.add("error");
    } finally {
      state.busy = false;
    }
    draw();
  }

  /** The part of `track` after `now`, from `position` (where it is now). */
  function trackAhead(track, now, position) {
    const start = Date.parse(track.properties.start);
    const stepMs = track.properties.step_s * 1000;
    const coordinates = track.geometry ? track.geometry.coordinates : [];
    const ahead = [];
    if (position) ahead.push([position.lon_deg, position.lat_deg]);
    coordinates.forEach(([lon, lat], i) => {
      if (start + i * stepMs > now) ahead.push([lon, lat]);
    });
    return ahead.length >= 2 ? { type: "LineString", coordinates: ahead } : null;
  }

  function draw() {
    const positions = state.positions;
    if (!positions) return;
    const now = Date.parse(positions.time);
    $("time").textContent = positions.time;
    $("map").dataset.time = positions.time;
    const tracks = [];
    const markers = [];
    const labels = [];
    const labelled = positions.features.length <= LABELS_UP_TO;
    for (const feature of positions.features) {
      const p = feature.properties;
      const selected = feature.id === state.selected ? " selected" : "";
      const position = feature.geometry ? p : null;
      const track = state.tracks.get(feature.id);
      const line = track && trackAhead(track, now, position);
      if (line) {
        tracks.push(
          svg("path", {
            id: `track-${feature.id}`,
            class: `track${selected}`,
            "data-id": feature.id,
            d: geoPath(line),
          }),
        );
      }
      if (!position) continue;
      const [x, y] = projection([p.lon_deg, p.lat_deg]);
      const marker = svg("circle", {
        id: `marker-${feature.id}`,
        class: `marker${selected}`,
        "data-id": feature.id,
        "data-lat": p.lat_deg,
        "data-lon": p.lon_deg,
        "data-alt-m": p.alt_m,
        cx: x.toFixed(2),
        cy: y.toFixed(2),
        r: selected ? 6 : 4,
      });
      marker.append(svg("title", {}));
      marker.firstChild.textContent = p.name;
      marker.addEventListener("click", () => select(feature.id));
      markers.push(marker);
      if (labelled) {
        const entry = state.objects.get(feature.id);
        const text = svg("text", { class: "label", x: (x + 7).toFixed(2), y: (y + 4).toFixed(2) });
        text.textContent = entry ? entry.label : String(feature.id);
        labels.push(text);
      }
    }
    // The picked object's track and marker on top.
    const last = (a, b) => a.classList.contains("selected") - b.classList.contains("selected");
    $("tracks").replaceChildren(...tracks.sort(last));
    $("markers").replaceChildren(...markers.sort(last));
    $("labels").replaceChildren(...labels);
    drawDetails();
  }

  function drawDetails() {
    const entry = state.objects.get(state.selected);
    const feature = state.positions.features.find((f) => f.id === state.selected);
    if (!entry || !feature) {
      $("details").replaceChildren(html("p", {}, "Pick an object from the list or the map."));
      return;
    }
    const p = feature.properties;
    const rows = [
      ["NORAD", String(entry.id)],
      ["names", entry.names.join(", ") || "(its number only)"],
    ];
    if (feature.geometry) {
      rows.push(
        ["latitude", `${Math.abs(p.lat_deg).toFixed(3)}° ${p.lat_deg < 0 ? "S" : "N"}`],
        ["longitude", `${Math.abs(p.lon_deg).toFixed(3)}° ${p.lon_deg < 0 ? "W" : "E"}`],
        ["altitude", `${(p.alt_m / 1000).toFixed(1)} km`],
        ["speed", `${p.speed_km_s.toFixed(3)} km/s`],
      );
    } else {
      rows.push(["position", p.error]);
    }
    rows.push(
      ["elements", `${(p.element_age_s / 86400).toFixed(2)} days old`],
      ["revolution", `${entry.period_min.toFixed(1)} min`],
    );
    const list = html("dl", {});
    for (const [term, value] of rows) list.append(html("dt", {}, term), html("dd", {}, value));
    $("details").replaceChildren(
      html("h2", {}, entry.name),
      list,
      html("code", { id: "dig" }, entry.dig),
    );
  }

  $("filter").addEventListener("input", filterList);
  drawLand()
    .catch((err) => {
      $("status").textContent = err.message;
      $("status").classList.add("error");
    })
    .then(refresh)
    .then(() => setInterval(refresh, REFRESH_MS));
})();
