//! The binary as an operator meets it: catalogues it has never seen, bad
//! catalogue files, `--check`, reload on SIGHUP, clean shutdown.

mod common;

use std::time::Duration;

use common::{NOW, Server, TempDir, dig, fixtures, query, run_to_exit, udp};
use hickory_proto::rr::RecordType;
use satloc_server::loc::LOC;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixtures {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    source: String,
    norad_id: u64,
    points: Vec<Point>,
}

#[derive(Deserialize)]
struct Point {
    utc: String,
    lat_deg: f64,
    lon_deg: f64,
    alt_m: f64,
}

/// Parses dig's LOC presentation into (lat, lon, alt_m).
fn parse_dig_loc(text: &str) -> (f64, f64, f64) {
    let f: Vec<&str> = text.split_whitespace().collect();
    assert!(f.len() >= 9, "not a LOC: {text:?}");
    let dms = |d: &str, m: &str, s: &str, h: &str| {
        let v = d.parse::<f64>().unwrap()
            + m.parse::<f64>().unwrap() / 60.0
            + s.parse::<f64>().unwrap() / 3600.0;
        if h == "S" || h == "W" { -v } else { v }
    };
    (
        dms(f[0], f[1], f[2], f[3]),
        dms(f[4], f[5], f[6], f[7]),
        f[8].trim_end_matches('m').parse().unwrap(),
    )
}

/// For LEO, GEO and Molniya catalogues the server has never seen, at a frozen
/// instant, `dig LOC <norad>.<zone>` prints skyfield's position within the bar.
#[test]
fn dig_loc_matches_skyfield_for_unseen_catalogues() {
    let text = std::fs::read_to_string(fixtures().join("skyfield/positions.json")).unwrap();
    let fixtures_doc: Fixtures = serde_json::from_str(&text).unwrap();
    for source in ["leo", "geo", "molniya", "meo"] {
        let catalog = fixtures().join(format!("catalogs/{source}.tle"));
        for case in fixtures_doc.cases.iter().filter(|c| c.source == source) {
            // Three instants per object: near epoch, mid-way, and 5 days out.
            for point in [&case.points[1], &case.points[5], &case.points[7]] {
                let server = Server::start(&[
                    "--catalog",
                    catalog.to_str().unwrap(),
                    "--now",
                    &point.utc,
                    "--zone",
                    "orbit.test",
                    // At the fixture's own instant, not the nearest 100 ms:
                    // this compares SGP4 and the frames with skyfield; what the
                    // quantum adds is bounded in tests/position_quantum.rs.
                    "--position-quantum",
                    "0",
                ]);
                let out = dig(
                    server.addr,
                    &["+short", "LOC", &format!("{}.orbit.test", case.norad_id)],
                );
                let (lat, lon, alt) = parse_dig_loc(out.trim());
                let dlon = (lon - point.lon_deg).rem_euclid(360.0);
                let dlon = dlon.min(360.0 - dlon);
                assert!(
                    (lat - point.lat_deg).abs() <= 1e-4
                        && dlon <= 1e-3
                        && (alt - point.alt_m).abs() <= 1.0,
                    "{source} {} at {}: dig {out:?} vs skyfield ({}, {}, {})",
                    case.norad_id,
                    point.utc,
                    point.lat_deg,
                    point.lon_deg,
                    point.alt_m
                );
            }
        }
    }
}

#[test]
fn omm_json_catalogue_is_served() {
    let catalog = fixtures().join("catalogs/leo.json");
    let server = Server::start(&["--catalog", catalog.to_str().unwrap(), "--now", NOW]);
    let response = udp(
        server.addr,
        &query("aqua.sat.example.", RecordType::TXT, None),
    );
    assert_eq!(response.answers.len(), 1, "{response}");
    let response = udp(server.addr, &query("57693.sat.example.", LOC, None));
    assert_eq!(response.answers.len(), 1);
}

#[test]
fn a_bad_catalogue_stops_start_up_with_file_and_line() {
    let dir = TempDir::new("badcat");
    let path = dir.write(
        "broken.tle",
        "ISS (ZARYA)\n1 25544U 98067A   25333.83453771  .00008010  00000+0  15237-3 0  9993\n2 25544  51.6312 206.3646 0003723 184.1118 175.9840 15.49193835540859\n",
    );
    let (code, _, stderr) = run_to_exit(&["--catalog", &path, "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("broken.tle:3:") && stderr.contains("checksum"),
        "{stderr}"
    );

    let (code, _, stderr) = run_to_exit(&["--catalog", "/nonexistent/elements.tle"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("cannot read catalogue /nonexistent/elements.tle"),
        "{stderr}"
    );

    let garbage = dir.write("garbage.json", "[{\"OBJECT_NAME\": \"X\", \"EPOCH\": ");
    let (code, _, stderr) = run_to_exit(&["--catalog", &garbage]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("garbage.json:1:") && stderr.contains("not valid OMM JSON"),
        "{stderr}"
    );
}

#[test]
fn bad_entries_among_good_ones_are_skipped_with_a_warning_each() {
    let catalog = fixtures().join("catalogs/partly-bad.tle");
    let server = Server::start(&["--catalog", catalog.to_str().unwrap(), "--now", NOW]);
    let response = udp(server.addr, &query("iss.sat.example.", LOC, None));
    assert_eq!(response.answers.len(), 1);
    let nx = udp(server.addr, &query("20580.sat.example.", LOC, None));
    assert_eq!(
        nx.metadata.response_code,
        hickory_proto::op::ResponseCode::NXDomain
    );
    let log = server.log_text();
    assert!(log.contains("partly-bad.tle:6: skipped:"), "{log}");
    assert!(log.contains("partly-bad.tle:9: skipped:"), "{log}");
}

#[test]
fn bad_flags_are_clear_errors() {
    let (code, _, stderr) = run_to_exit(&["--now", "noon"]);
    assert_eq!(code, Some(1));
    assert!(
        stderr.contains("--now noon") && stderr.contains("RFC 3339"),
        "{stderr}"
    );
    let (code, _, stderr) = run_to_exit(&["--apex", "99999", "--listen", "127.0.0.1:0"]);
    assert_eq!(code, Some(1));
    assert!(stderr.contains("--apex 99999: no such object"), "{stderr}");
    let (code, _, stderr) = run_to_exit(&["--listen", "not-an-address"]);
    assert_eq!(code, Some(2), "clap usage error");
    assert!(stderr.contains("--listen"), "{stderr}");
}

#[test]
fn check_lists_objects_names_and_positions() {
    let (code, stdout, _) = run_to_exit(&["--check", "--now", NOW]);
    assert_eq!(code, Some(0));
    for expected in [
        "25544",
        "iss-zarya",
        "hubble",
        "tiangong",
        "MOLNIYA 1-91",
        "GOES 18",
    ] {
        assert!(stdout.contains(expected), "{expected} missing:\n{stdout}");
    }
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.contains(" N ") || l.contains(" S "))
            .count(),
        7,
        "{stdout}"
    );
}

#[test]
fn stale_elements_are_warned_about() {
    let server = Server::start(&["--now", NOW]);
    assert!(
        server.log_text().contains("older than"),
        "{}",
        server.log_text()
    );
    let fresh = Server::start(&["--now", "2025-11-30T00:00:00Z", "--stale-after", "400d"]);
    assert!(
        !fresh.log_text().contains("older than"),
        "{}",
        fresh.log_text()
    );
}

#[test]
fn sighup_reloads_and_a_bad_reload_keeps_the_last_good_catalogue() {
    let dir = TempDir::new("reload");
    let leo = std::fs::read_to_string(fixtures().join("catalogs/leo.tle")).unwrap();
    let geo = std::fs::read_to_string(fixtures().join("catalogs/geo.tle")).unwrap();
    let path = dir.write("live.tle", &leo);
    let server = Server::start(&["--catalog", &path, "--now", NOW]);
    let aqua = || {
        udp(server.addr, &query("aqua.sat.example.", LOC, None))
            .answers
            .len()
    };
    let echostar = || {
        udp(server.addr, &query("57479.sat.example.", LOC, None))
            .answers
            .len()
    };
    assert_eq!((aqua(), echostar()), (1, 0));

    // A broken file: the reload fails, the old catalogue keeps answering.
    std::fs::write(&path, "this is not a catalogue\n").unwrap();
    server.signal("HUP");
    wait_for_log(&server, "reload failed");
    assert_eq!((aqua(), echostar()), (1, 0));

    // A good file: swapped in.
    std::fs::write(&path, geo).unwrap();
    server.signal("HUP");
    wait_for_log(&server, "catalogue reloaded");
    assert_eq!((aqua(), echostar()), (0, 1));
}

fn wait_for_log(server: &Server, needle: &str) {
    for _ in 0..100 {
        if server.log_text().contains(needle) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("never logged {needle:?}:\n{}", server.log_text());
}

#[test]
fn sigterm_and_sigint_shut_down_cleanly() {
    for signal in ["TERM", "INT"] {
        let server = Server::start(&["--now", NOW]);
        udp(server.addr, &query("iss.sat.example.", LOC, None));
        assert_eq!(
            server.stop_with(signal),
            Some(0),
            "exit code after SIG{signal}"
        );
    }
}
