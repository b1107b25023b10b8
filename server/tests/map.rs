//! The live map of the real binary (`--http-listen`) over loopback, at a
//! frozen `--now`: its JSON API agrees with the DNS answers, refuses bad
//! track parameters with a 400 that names them, and the page, rendered by
//! Debian's headless `chromium`, puts the ISS marker where `/api/positions`
//! says and draws its track. Needs `chromium` and `dig` (`scripts/test.sh`
//! installs both): without them these tests fail, they never skip.

mod common;

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{NOW, Server, TempDir, query, udp};
use hickory_proto::rr::RData;
use satloc_server::loc::{LOC, LocRdata};
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;

/// How long a test waits for the server or the browser.
const PATIENCE: Duration = Duration::from_secs(30);
/// The ISS's NORAD number.
const ISS: u64 = 25544;
/// How far a marker or a track vertex may sit from where the projection puts
/// it, in map units (CSS pixels at the page's 960x480 size): the page writes
/// coordinates to 2 decimals, so anything beyond rounding is a real offset.
const PIXEL_TOLERANCE: f64 = 0.5;

/// The server with the map on a free loopback port.
struct MapServer {
    dns: Server,
    http: SocketAddr,
}

impl MapServer {
    fn start() -> MapServer {
        let dns = Server::start(&["--now", NOW, "--http-listen", "127.0.0.1:0"]);
        let http = wait_for_map(&dns);
        MapServer { dns, http }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// `GET path`: the status, the content type and the body.
    fn get(&self, path: &str) -> (u16, String, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(PATIENCE))
            .build()
            .into();
        let mut response = agent
            .get(&self.url(path))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = response
            .body_mut()
            .with_config()
            .limit(50 * 1024 * 1024)
            .read_to_string()
            .unwrap_or_else(|e| panic!("GET {path}: body: {e}"));
        (status, content_type, body)
    }

    /// `GET path` as JSON, which must come with a 200.
    fn json(&self, path: &str) -> Value {
        let (status, _, body) = self.get(path);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }
}

/// The map's address, from the line the server logs when it starts it.
fn wait_for_map(server: &Server) -> SocketAddr {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let log = server.log_text();
        if let Some(rest) = log.split("map on http://").nth(1) {
            let addr = rest.split('/').next().unwrap();
            return addr.parse().unwrap_or_else(|e| panic!("{addr:?}: {e}"));
        }
        assert!(Instant::now() < deadline, "no map in the log:\n{log}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The Feature of object `id` in a FeatureCollection.
fn feature(collection: &Value, id: u64) -> &Value {
    collection["features"]
        .as_array()
        .expect("features")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no feature {id} in {collection}"))
}

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"))
}

/// The LOC record the DNS server gives for `name`.
fn dns_loc(server: SocketAddr, name: &str) -> LocRdata {
    let response = udp(server, &query(name, LOC, None));
    let record = response
        .answers
        .iter()
        .find(|r| r.record_type() == LOC)
        .unwrap_or_else(|| panic!("no LOC for {name} in {response}"));
    match &record.data {
        RData::Unknown { rdata, .. } => LocRdata::decode(&rdata.anything).unwrap(),
        other => panic!("LOC carried as {other:?}"),
    }
}

#[test]
fn positions_are_the_dns_answers_at_the_same_instant() {
    let map = MapServer::start();
    let positions = map.json("/api/positions");
    assert_eq!(positions["type"], "FeatureCollection");
    assert_eq!(positions["time"], NOW);
    let features = positions["features"].as_array().unwrap();
    assert!(features.len() >= 5, "{positions}");
    for feature in features {
        let id = feature["id"].as_u64().unwrap();
        let p = &feature["properties"];
        let (lat, lon, alt) = (
            number(&p["lat_deg"]),
            number(&p["lon_deg"]),
            number(&p["alt_m"]),
        );
        assert_eq!(
            feature["geometry"]["coordinates"],
            serde_json::json!([lon, lat, alt])
        );
        assert!(number(&p["speed_km_s"]) > 1.0, "{feature}");
        assert!(number(&p["element_age_s"]) > 0.0, "{feature}");
        assert!(p["names"].is_array() && p["name"].is_string(), "{feature}");
        // Encoded as LOC, the position is the DNS answer to the last field.
        let dns = dns_loc(map.dns.addr, &format!("{id}.sat.example."));
        let ours =
            LocRdata::from_position(lat, lon, alt, dns.size, dns.horiz_pre, dns.vert_pre).unwrap();
        assert_eq!(ours, dns, "object {id}: {feature}");
    }
    let iss = feature(&positions, ISS);
    assert_eq!(
        iss["properties"]["names"],
        serde_json::json!(["iss", "iss-zarya"])
    );
}

#[test]
fn tracks_start_where_the_object_is_and_step_as_asked() {
    let map = MapServer::start();
    let positions = map.json("/api/positions");
    let track = map.json("/api/track/iss?minutes=90&step=30");
    assert_eq!(track["type"], "Feature");
    assert_eq!(track["id"], ISS);
    assert_eq!(track["geometry"]["type"], "LineString");
    let points = track["geometry"]["coordinates"].as_array().unwrap();
    assert_eq!(points.len(), 90 * 2 + 1);
    assert_eq!(track["properties"]["points"], 181);
    assert_eq!(track["properties"]["start"], NOW);
    assert_eq!(
        points[0],
        feature(&positions, ISS)["geometry"]["coordinates"]
    );
    // Consecutive points of a low orbit 30 s apart are ~230 km apart: about
    // 2 degrees, never the same point, never a jump across the map (except at
    // the antimeridian).
    for pair in points.windows(2) {
        let dlat = (number(&pair[1][1]) - number(&pair[0][1])).abs();
        let dlon = (number(&pair[1][0]) - number(&pair[0][0])).abs();
        let dlon = dlon.min(360.0 - dlon);
        assert!(dlat < 3.0 && dlon < 10.0 && dlat + dlon > 0.1, "{pair:?}");
    }
    // By default: one revolution (93 minutes for the ISS) every 60 s.
    let default = map.json(&format!("/api/track/{ISS}"));
    assert_eq!(default["properties"]["minutes"], 93);
    assert_eq!(default["properties"]["step_s"], 60);
    assert_eq!(default["properties"]["points"], 94);
    // Many at once, in the order asked.
    let many = map.json("/api/tracks?ids=hst,iss&minutes=10&step=60");
    let ids: Vec<&Value> = many["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["id"])
        .collect();
    assert_eq!(ids, [20580, ISS]);
}

#[test]
fn bad_track_parameters_are_a_400_naming_them() {
    let map = MapServer::start();
    let cases = [
        (
            "/api/track/iss?minutes=0",
            "minutes=0: expected a whole number from 1 to 1440",
        ),
        (
            "/api/track/iss?minutes=1441",
            "minutes=1441: expected a whole number from 1 to 1440",
        ),
        (
            "/api/track/iss?minutes=ten",
            "minutes=ten: expected a whole number",
        ),
        (
            "/api/track/iss?step=1",
            "step=1: expected a whole number from 10 to 3600 (seconds)",
        ),
        ("/api/track/iss?step=-60", "step=-60: expected"),
        (
            "/api/track/iss?step=60&step=30",
            "parameter \"step\" given twice",
        ),
        (
            "/api/track/iss?from=now",
            "unknown parameter \"from\": expected minutes and step",
        ),
        ("/api/tracks?ids=", "ids=: expected 1 to 1000"),
    ];
    for (path, expected) in cases {
        let (status, content_type, body) = map.get(path);
        let start: String = body.chars().take(300).collect();
        assert_eq!(status, 400, "{path}: {start}");
        assert_eq!(content_type, "application/json", "{path}");
        let error: Value = serde_json::from_str(&body).unwrap();
        let message = error["error"].as_str().unwrap();
        assert!(message.contains(expected), "{path}: {message}");
    }
    let (status, _, body) = map.get("/api/track/no-such-thing");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no object \\\"no-such-thing\\\""), "{body}");
    let (status, _, body) = map.get("/api/nothing");
    assert_eq!(status, 404, "{body}");
}

#[test]
fn every_objects_dig_command_gets_its_dns_answer() {
    let map = MapServer::start();
    let list = map.json("/api/objects");
    assert_eq!(list["zone"], "sat.example.");
    assert_eq!(list["dns"][0]["port"], map.dns.addr.port());
    let objects = list["objects"].as_array().unwrap();
    let iss = objects.iter().find(|o| o["id"] == ISS).unwrap();
    let expected = format!(
        "dig @127.0.0.1 -p {} LOC iss.sat.example",
        map.dns.addr.port()
    );
    assert_eq!(iss["dig"], expected.as_str());
    for object in objects {
        // Run the command as printed (with a bound on its time).
        let command = object["dig"].as_str().unwrap();
        let mut words = command.split_whitespace();
        assert_eq!(words.next(), Some("dig"), "{command}");
        let output = Command::new("dig")
            .args(words)
            .args(["+short", "+time=3", "+tries=1"])
            .output()
            .expect("dig is required for this test: apt-get install -y bind9-dnsutils");
        let text = String::from_utf8_lossy(&output.stdout);
        let id = object["id"].as_u64().unwrap();
        let dns = dns_loc(map.dns.addr, &format!("{id}.sat.example."));
        assert_eq!(text.trim(), dns.to_string(), "{command}");
    }
}

#[test]
fn the_page_and_its_files_are_served_from_the_binary() {
    let map = MapServer::start();
    let (status, content_type, page) = map.get("/");
    assert_eq!(status, 200);
    assert_eq!(content_type, "text/html; charset=utf-8");
    for file in [
        "map.js",
        "map.css",
        "vendor/d3-geo.min.js",
        "vendor/topojson-client.min.js",
    ] {
        assert!(page.contains(file), "the page does not load {file}");
        let (status, _, body) = map.get(&format!("/{file}"));
        assert_eq!(status, 200, "{file}");
        assert!(body.len() > 1000, "{file}: {} bytes", body.len());
    }
    let land = map.json("/vendor/land-110m.json");
    assert_eq!(land["type"], "Topology");
}

// The browser test.

/// Runs Debian's headless chromium on `url` with `mode` (`--dump-dom`, or
/// `--screenshot=PATH`), after timers have had `budget_ms` of virtual time;
/// its stdout. Killed if it takes longer than [`PATIENCE`].
fn chromium(url: &str, mode: &str, budget_ms: u32) -> String {
    let profile = TempDir::new("chromium");
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            // As root (in CI), chromium refuses to start with its sandbox.
            "--no-sandbox",
            "--disable-gpu",
            // Containers often give /dev/shm 64 MiB, too little for a renderer.
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--window-size=1280,640",
            &format!("--user-data-dir={}", profile.0.display()),
            &format!("--virtual-time-budget={budget_ms}"),
            mode,
            url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium is required for this test: apt-get install -y chromium");
    // Read while it runs: the DOM is larger than a pipe holds.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).map(|_| text)
    });
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish {url} within {PATIENCE:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "chromium: {status}");
    reader.join().unwrap().expect("chromium's output")
}

/// The one element `selector` finds in `dom`.
fn element<'a>(dom: &'a Html, selector: &str) -> ElementRef<'a> {
    let parsed = Selector::parse(selector).unwrap();
    let mut found = dom.select(&parsed);
    let first = found
        .next()
        .unwrap_or_else(|| panic!("no {selector} in the rendered page"));
    assert!(found.next().is_none(), "more than one {selector}");
    first
}

fn attribute(element: ElementRef<'_>, name: &str) -> f64 {
    let value = element
        .value()
        .attr(name)
        .unwrap_or_else(|| panic!("no {name} on {:?}", element.value()));
    value
        .parse()
        .unwrap_or_else(|e| panic!("{name}=\"{value}\": {e}"))
}

/// The page's equirectangular projection, written out independently of
/// d3-geo: longitude -180..180 across the width, latitude 90..-90 down the
/// height.
fn project(lon_deg: f64, lat_deg: f64, width: f64, height: f64) -> (f64, f64) {
    (
        (lon_deg + 180.0) / 360.0 * width,
        (90.0 - lat_deg) / 180.0 * height,
    )
}

/// The vertices of an SVG path made of `M x,y` and `L x,y` commands.
fn vertices(d: &str) -> Vec<(f64, f64)> {
    d.split(['M', 'L', 'Z'])
        .filter(|s| !s.trim().is_empty())
        .map(|pair| {
            let (x, y) = pair
                .split_once(',')
                .unwrap_or_else(|| panic!("{pair:?} in a path"));
            (x.trim().parse().unwrap(), y.trim().parse().unwrap())
        })
        .collect()
}

#[test]
fn chromium_draws_the_iss_where_the_api_says_with_its_track() {
    let map = MapServer::start();
    let dom = Html::parse_document(&chromium(&map.url("/"), "--dump-dom", 5000));
    let positions = map.json("/api/positions");
    let svg = element(&dom, "svg#map");
    assert_eq!(
        svg.value().attr("data-time"),
        Some(NOW),
        "the frozen instant"
    );
    let (width, height) = (attribute(svg, "data-width"), attribute(svg, "data-height"));
    assert_eq!(svg.value().attr("viewBox"), Some("0 0 960 480"));

    // The marker, where the API's position projects.
    let p = &feature(&positions, ISS)["properties"];
    let (lat, lon) = (number(&p["lat_deg"]), number(&p["lon_deg"]));
    let marker = element(&dom, "circle#marker-25544");
    assert_eq!(attribute(marker, "data-lat"), lat);
    assert_eq!(attribute(marker, "data-lon"), lon);
    let (x, y) = project(lon, lat, width, height);
    let (cx, cy) = (attribute(marker, "cx"), attribute(marker, "cy"));
    assert!(
        (cx - x).abs() <= PIXEL_TOLERANCE && (cy - y).abs() <= PIXEL_TOLERANCE,
        "marker at ({cx}, {cy}), the projection of ({lat}, {lon}) is ({x}, {y})"
    );
    let markers = Selector::parse("circle.marker").unwrap();
    assert_eq!(
        dom.select(&markers).count(),
        positions["features"].as_array().unwrap().len()
    );

    // The track: from the marker, through every point the API gives, drawn
    // in many segments (d3-geo adds points between them along great circles
    // and cuts the line at the antimeridian).
    let d = element(&dom, "path#track-25544").value().attr("d").unwrap();
    let drawn = vertices(d);
    let track = map.json(&format!("/api/track/{ISS}"));
    let points = track["geometry"]["coordinates"].as_array().unwrap();
    assert!(points.len() > 90, "{}", points.len());
    assert!(drawn.len() >= points.len(), "{} vertices: {d}", drawn.len());
    let near = |(x, y): (f64, f64)| {
        drawn
            .iter()
            .any(|(vx, vy)| (vx - x).abs() <= PIXEL_TOLERANCE && (vy - y).abs() <= PIXEL_TOLERANCE)
    };
    assert!(near((cx, cy)), "the track does not start at the marker");
    for point in points {
        let at = project(number(&point[0]), number(&point[1]), width, height);
        assert!(near(at), "track point {point} (at {at:?}) not drawn: {d}");
    }
    // The coastlines too.
    let land = element(&dom, "path#land").value().attr("d").unwrap();
    let land_vertices = vertices(land).len();
    assert!(land_vertices > 3000, "{land_vertices} land vertices");
    let dig = element(&dom, "#details code#dig")
        .text()
        .collect::<String>();
    assert!(dig.ends_with("LOC iss.sat.example"), "{dig}");

    // A screenshot for a person to look at, in the target directory (out of git).
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("map.png");
    let mode = format!("--screenshot={}", png.display());
    chromium(&map.url("/"), &mode, 5000);
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000);
}
