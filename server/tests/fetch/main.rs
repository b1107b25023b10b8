//! Fresh elements, black-box: the real binary fetches catalogues from a stub
//! HTTP server on loopback that misbehaves on cue, while clients query it.
//! Every test is bounded in time (refresh intervals of a second or two, and
//! deadlines on every wait).

#[path = "../common/mod.rs"]
mod common;
mod elements;
mod stub;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use common::{NOW, Server, TempDir, query, udp};
use elements::{ALPHA, BRAVO, IDS, Version, name, tle};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{RData, RecordType};
use satloc_server::loc::LOC;
use stub::{Reply, Served, Stub};

/// The refresh interval the tests use (any interval is allowed for hosts
/// other than celestrak.org).
const REFRESH: Duration = Duration::from_secs(1);
/// Slack on top of an interval and its jitter: the time a fetch, a parse and
/// a swap take on a busy machine.
const SLACK: Duration = Duration::from_millis(1500);

/// The TXT text of object `id`, or `None` when it does not exist (NXDOMAIN).
fn txt(server: &Server, id: u32) -> Option<String> {
    let response = udp(
        server.addr,
        &query(&format!("{id}.sat.example."), RecordType::TXT, None),
    );
    if response.metadata.response_code == ResponseCode::NXDomain {
        return None;
    }
    response.answers.iter().find_map(|r| match &r.data {
        RData::TXT(txt) => Some(txt.to_string()),
        _ => None,
    })
}

/// The name object 90001 answers with ("ALPHA-1", "BRAVO-1"), or "-" when it
/// does not exist.
fn served_name(server: &Server) -> String {
    txt(server, IDS[0]).map_or("-".to_owned(), |text| {
        text.split(' ').next().unwrap_or_default().to_owned()
    })
}

/// The LOC RDATA of object `id`.
fn loc(server: &Server, id: u32) -> Vec<u8> {
    let response = udp(
        server.addr,
        &query(&format!("{id}.sat.example."), LOC, None),
    );
    match &response.answers.first().expect("a LOC answer").data {
        RData::Unknown { rdata, .. } => rdata.anything.clone(),
        other => panic!("LOC carried as {other:?}"),
    }
}

/// Waits until the server has logged `needle` `n` times.
fn wait_for_log_count(server: &Server, needle: &str, n: usize, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    while count_log(server, needle) < n {
        assert!(
            Instant::now() < deadline,
            "never logged {needle:?} {n} times:\n{}",
            server.log_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn wait_for_log(server: &Server, needle: &str, timeout: Duration) {
    wait_for_log_count(server, needle, 1, timeout);
}

fn count_log(server: &Server, needle: &str) -> usize {
    server
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(needle))
        .count()
}

/// The log lines that contain `needle`.
fn log_lines(server: &Server, needle: &str) -> Vec<String> {
    server
        .log
        .lock()
        .unwrap()
        .iter()
        .filter(|l| l.contains(needle))
        .cloned()
        .collect()
}

/// Starts the server on `url` with the tests' refresh and clock, plus `extra`.
fn serve_url(url: &str, extra: &[&str]) -> Server {
    let mut args = vec!["--catalog-url", url, "--refresh", "1s", "--now", NOW];
    args.extend_from_slice(extra);
    Server::start(&args)
}

fn good(label: &'static str, version: Version, etag: &str) -> Reply {
    Reply::ok(label, tle(version, &IDS))
        .header("ETag", etag)
        .header("Last-Modified", "Fri, 27 Nov 2026 06:00:00 GMT")
}

/// Gaps between the stub's requests `from..=to`.
fn gaps(served: &[Served]) -> Vec<Duration> {
    served.windows(2).map(|w| w[1].at - w[0].at).collect()
}

/// `gap` is at least `expected` (jitter only lengthens) and at most
/// `expected` plus its jitter and [`SLACK`].
fn assert_gap(gap: Duration, expected: Duration, what: &str) {
    assert!(
        gap + Duration::from_millis(20) >= expected && gap <= expected + expected / 10 + SLACK,
        "{what}: {gap:?} between requests, expected {expected:?}"
    );
}

/// A closed-loop load of `satloc-loadgen` at concurrency 10 against
/// `server`, in the background until [`Load::finish`].
struct Load {
    abort: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<satloc_loadgen::run::RunResult>,
}

impl Load {
    fn start(server: &Server) -> Load {
        let port = server.addr.port().to_string();
        let cli = satloc_loadgen::cli::Cli::parse_from([
            "satloc-loadgen",
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--concurrency",
            "10",
            "--duration",
            "300s",
            "--qname",
            "90001.sat.example",
            "--qname",
            "90004.sat.example",
            "--qtype",
            "LOC",
            "--qtype",
            "TXT",
            // Generous, so a busy two-core machine loses nothing it should not.
            "--timeout",
            "5s",
            "--spin",
            "0s",
            "--quiet",
        ]);
        let config = cli.run.into_config().expect("loadgen config");
        let abort = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&abort);
        let thread = std::thread::spawn(move || {
            satloc_loadgen::run::run(&config, flag).expect("loadgen run")
        });
        Load { abort, thread }
    }

    fn finish(self) -> satloc_loadgen::run::RunResult {
        self.abort.store(true, Ordering::SeqCst);
        self.thread.join().expect("loadgen thread")
    }
}

/// Records which catalogue object 90001 answers from, every 20 ms, until
/// stopped: (when, name).
struct Watcher {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Vec<(Instant, String)>>,
}

impl Watcher {
    fn start(server: &Server) -> Watcher {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let addr = server.addr;
        let thread = std::thread::spawn(move || {
            let mut seen = Vec::new();
            while !flag.load(Ordering::SeqCst) {
                let response = udp(addr, &query("90001.sat.example.", RecordType::TXT, None));
                let name = response
                    .answers
                    .iter()
                    .find_map(|r| match &r.data {
                        RData::TXT(txt) => Some(txt.to_string()),
                        _ => None,
                    })
                    .map_or("-".to_owned(), |t| {
                        t.split(' ').next().unwrap_or_default().to_owned()
                    });
                seen.push((Instant::now(), name));
                std::thread::sleep(Duration::from_millis(20));
            }
            seen
        });
        Watcher { stop, thread }
    }

    fn finish(self) -> Vec<(Instant, String)> {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().unwrap()
    }
}

/// The stub's script for the sequence: good, garbage, 403, empty,
/// half the objects, good again; then 304 to a conditional request.
fn misbehaving_source() -> stub::Script {
    let half: Vec<u32> = IDS[..3].to_vec();
    Box::new(move |n, head| match n {
        0 => good("good1", ALPHA, "\"g1\""),
        1 => Reply::ok(
            "garbage",
            "<html><body>Service temporarily unavailable</body></html>\n",
        ),
        2 => Reply::new(
            "403",
            403,
            "GP data has not updated since your last successful download of GROUP=test at 2026-11-28 11:00:00 UTC\nData is updated once every 2 hours.\n",
        ),
        3 => Reply::ok("empty", ""),
        4 => Reply::ok("half", tle(BRAVO, &half)),
        5 => good("good2", BRAVO, "\"g2\""),
        _ if head.contains("if-none-match: \"g2\"") => Reply::new("304", 304, ""),
        _ => good("good2-again", BRAVO, "\"g2\""),
    })
}

/// The sequence while `satloc-loadgen` queries at concurrency 10:
/// no query is lost or fails; answers change once, to the second good
/// catalogue, after it was served; each bad answer logs its one line; the
/// intervals between requests are the refresh interval, the backoff after
/// the 403 included; requests are conditional.
#[test]
fn a_source_that_misbehaves_on_cue_never_costs_a_query() {
    let stub = Stub::start(misbehaving_source());
    let url = stub.url("/gp.php?GROUP=test&FORMAT=tle");
    let server = serve_url(&url, &[]);
    wait_for_log(&server, "updated, 7 objects", Duration::from_secs(10));
    assert_eq!(served_name(&server), name(ALPHA, 0));
    let alpha_loc = loc(&server, IDS[0]);

    let load = Load::start(&server);
    let watcher = Watcher::start(&server);
    let served = stub.wait_for_requests(7, Duration::from_secs(30));
    wait_for_log(&server, "not modified since", Duration::from_secs(10));
    let seen = watcher.finish();
    let result = load.finish();

    assert_every_query_answered(&result);
    let labels: Vec<&str> = served.iter().map(|s| s.label).collect();
    assert_eq!(
        labels[..7],
        ["good1", "garbage", "403", "empty", "half", "good2", "304"]
    );
    assert_switched_once_after(&seen, served[5].at);
    assert_eq!(served_name(&server), name(BRAVO, 0));
    assert_ne!(
        loc(&server, IDS[0]),
        alpha_loc,
        "positions follow the elements"
    );
    assert_one_line_per_failure(&server, &url);
    // Every interval is the refresh interval: after the 403 the backoff
    // starts at it.
    for (i, gap) in gaps(&served[..7]).into_iter().enumerate() {
        assert_gap(gap, REFRESH, &format!("{} -> {}", labels[i], labels[i + 1]));
    }
    assert_conditional(&served);
}

/// Every query sent was answered, NOERROR, none lost or mismatched.
fn assert_every_query_answered(result: &satloc_loadgen::run::RunResult) {
    eprintln!("{}", result.report.to_text());
    let counters = &result.counters;
    let report = result.report.to_text();
    assert!(counters.sent > 1000, "too little load: {report}");
    assert_eq!(counters.lost, 0, "lost queries: {report}");
    assert_eq!(counters.errors(), 0, "{report}");
    assert_eq!(counters.completed, counters.sent, "{report}");
    let rcodes: Vec<(u16, u64)> = counters.rcode_counts().collect();
    assert_eq!(rcodes, [(0, counters.completed)], "{report}");
}

/// The answers `seen` switched once, from ALPHA to BRAVO, after `good2_at`
/// (when the second good catalogue was served) and soon after it.
fn assert_switched_once_after(seen: &[(Instant, String)], good2_at: Instant) {
    let first_bravo = seen
        .iter()
        .position(|(_, name)| name.starts_with("BRAVO"))
        .expect("BRAVO answered at last");
    assert!(
        seen[..first_bravo].iter().all(|(_, n)| n == "ALPHA-1"),
        "{seen:?}"
    );
    assert!(
        seen[first_bravo..].iter().all(|(_, n)| n == "BRAVO-1"),
        "{seen:?}"
    );
    let after = seen[first_bravo].0.checked_duration_since(good2_at);
    assert!(
        after.is_some_and(|after| after < Duration::from_secs(3)),
        "BRAVO answered {after:?} after it was served"
    );
}

/// One line for each failure of the sequence, saying what happened and what
/// to do.
fn assert_one_line_per_failure(server: &Server, url: &str) {
    let line = |needle: &str| {
        let lines = log_lines(server, needle);
        assert_eq!(lines.len(), 1, "{needle}: {lines:?}");
        assert!(lines[0].contains(url), "{}", lines[0]);
        assert!(
            lines[0].contains("still serving its last good 7 objects"),
            "{}",
            lines[0]
        );
        lines[0].clone()
    };
    line("refused the new catalogue: line 1: expected TLE line 1");
    let refusal = line("HTTP 403 Forbidden");
    for part in [
        "(\"GP data has not updated since your last successful download of GROUP=test at 2026-11-28 11:00:00 UTC\")",
        "the server refuses this client",
        "not asking again for 1s (refusal 1 in a row: waits start at --refresh 1s and double, up to a day)",
    ] {
        assert!(refusal.contains(part), "{part:?} not in {refusal}");
    }
    line("refused the new catalogue: the body is empty");
    line(
        "refused the new catalogue: it has 3 objects where the last good one had 7 (fewer than half",
    );
    assert_eq!(
        count_log(server, "updated, 7 objects"),
        2,
        "{}",
        server.log_text()
    );
}

/// Requests carry the validators of the last good body.
fn assert_conditional(served: &[Served]) {
    assert!(
        !served[0].head.contains("if-none-match"),
        "{}",
        served[0].head
    );
    for request in &served[1..6] {
        assert!(
            request.head.contains("if-none-match: \"g1\""),
            "{}",
            request.head
        );
        assert!(
            request
                .head
                .contains("if-modified-since: fri, 27 nov 2026 06:00:00 gmt"),
            "{}",
            request.head
        );
    }
    assert!(
        served[6].head.contains("if-none-match: \"g2\""),
        "{}",
        served[6].head
    );
}

/// Refusals in a row double the wait, from the refresh interval; an answer
/// ends the streak.
#[test]
fn refusals_back_off_doubling_and_an_answer_resets_the_interval() {
    let stub = Stub::start(Box::new(|n, _| match n {
        0 => good("good1", ALPHA, "\"g1\""),
        1..=3 => Reply::new("503", 503, "Down for maintenance\n"),
        4 => good("good2", BRAVO, "\"g2\""),
        _ => Reply::new("304", 304, ""),
    }));
    let url = stub.url("/elements.tle");
    let server = serve_url(&url, &[]);
    let served = stub.wait_for_requests(6, Duration::from_secs(30));
    let expected = [1, 1, 2, 4, 1].map(|s| REFRESH * s);
    for (i, (gap, expected)) in gaps(&served[..6]).into_iter().zip(expected).enumerate() {
        assert_gap(
            gap,
            expected,
            &format!("after request {i} ({})", served[i].label),
        );
    }
    let lines = log_lines(&server, "HTTP 503 Service Unavailable");
    assert_eq!(lines.len(), 3, "{lines:?}");
    for (line, (wait, n)) in lines.iter().zip([("1s", 1), ("2s", 2), ("4s", 3)]) {
        assert!(line.contains("(\"Down for maintenance\")"), "{line}");
        assert!(
            line.contains("the server has a problem; if it lasts, tell its operators"),
            "{line}"
        );
        assert!(
            line.contains(&format!(
                "not asking again for {wait} (refusal {n} in a row"
            )),
            "{line}"
        );
    }
    wait_for_log(&server, "not modified since", Duration::from_secs(5));
    assert_eq!(served_name(&server), name(BRAVO, 0));
}

/// Redirects elsewhere, 404, 500, an oversized body, a stalled body, a bad
/// checksum: each keeps the last good catalogue and says so in one line.
#[test]
fn every_kind_of_failure_keeps_the_last_good_catalogue() {
    let damaged = tle(BRAVO, &IDS).replacen("15.4919383554085", "15.4919383554086", 1);
    // Another host (by name) on loopback: the redirect must not be followed.
    let elsewhere = Stub::start(Box::new(|_, _| good("elsewhere", BRAVO, "\"e\"")));
    let moved = format!("http://localhost:{}/elements.tle", elsewhere.addr.port());
    let stub = Stub::start(Box::new(move |n, _| match n {
        0 => good("good1", ALPHA, "\"g1\""),
        1 => Reply::new("302", 302, "").header("Location", &moved),
        2 => Reply::new("404", 404, "No such group\n"),
        3 => Reply::new("500", 500, ""),
        4 => Reply::ok("oversized", vec![b'#'; 5000]),
        5 => Reply::ok("stalled", tle(BRAVO, &IDS)).stall(Duration::from_secs(3)),
        6 => Reply::ok("damaged", damaged.clone()),
        _ => good("good2", BRAVO, "\"g2\""),
    }));
    let url = stub.url("/elements.tle");
    let server = serve_url(
        &url,
        &["--fetch-max-bytes", "4000", "--fetch-timeout", "1s"],
    );
    let served = stub.wait_for_requests(8, Duration::from_secs(40));
    wait_for_log_count(&server, "updated, 7 objects", 2, Duration::from_secs(5));
    // Refusals double the wait; a failure to get an answer retries at the
    // refresh interval here (a minute, capped at --refresh); the stalled
    // body is given up on after --fetch-timeout (1s).
    let expected = [1, 1, 2, 4, 1, 2, 1].map(|s| REFRESH * s);
    for (i, (gap, expected)) in gaps(&served[..8]).into_iter().zip(expected).enumerate() {
        assert_gap(gap, expected, &format!("after {}", served[i].label));
    }
    let redirected = format!(
        "HTTP 302 Found; the server redirects to http://localhost:{}/elements.tle, another host",
        elsewhere.addr.port()
    );
    assert_one_line_each(
        &server,
        &[
            redirected.as_str(),
            "HTTP 404 Not Found (\"No such group\"); check the URL",
            "HTTP 500 Internal Server Error; the server has a problem",
            "the body is larger than --fetch-max-bytes 4000; raise --fetch-max-bytes",
            "no answer: no complete answer within --fetch-timeout 1s",
            "refused the new catalogue: line 3: columns 69-69: Bad line checksum",
        ],
    );
    assert_eq!(served_name(&server), name(BRAVO, 0));
    assert!(
        elsewhere.served().is_empty(),
        "followed a redirect to another host"
    );
    for request in &served {
        assert!(
            request.head.starts_with("get /elements.tle http/1.1"),
            "{}",
            request.head
        );
    }
}

/// Each needle is in exactly one log line, which says the last good
/// catalogue is still served.
fn assert_one_line_each(server: &Server, needles: &[&str]) {
    for needle in needles {
        let lines = log_lines(server, needle);
        assert_eq!(lines.len(), 1, "{needle}:\n{}", server.log_text());
        assert!(
            lines[0].contains("still serving its last good 7 objects"),
            "{}",
            lines[0]
        );
    }
}

/// What `--state-dir` holds survives a restart: with the URL unreachable the
/// server serves the saved elements (and warns about their age), not the
/// embedded snapshot; without saved state it serves the snapshot and says so.
#[test]
fn the_state_dir_serves_saved_elements_after_a_restart_without_network() {
    let state = TempDir::new("state");
    let stub = Stub::start(Box::new(|_, _| good("good1", ALPHA, "\"g1\"")));
    let url = stub.url("/gp.php?GROUP=test&FORMAT=tle");
    fetch_into_state_and_stop(&url, &state);
    stub.stop();
    restart_with_the_url_unreachable(&url, &state);
    start_with_nothing_saved_and_the_url_unreachable(&url);
}

/// Fetches the first catalogue with `--state-dir`, stops cleanly, and checks
/// what was saved: the body as served, and its ETag.
fn fetch_into_state_and_stop(url: &str, state: &TempDir) {
    let state_dir = state.0.to_string_lossy();
    let first = serve_url(url, &["--state-dir", &state_dir]);
    wait_for_log(&first, "updated, 7 objects", Duration::from_secs(10));
    assert_eq!(served_name(&first), name(ALPHA, 0));
    assert_eq!(first.stop_with("TERM"), Some(0));
    let mut files: Vec<String> = std::fs::read_dir(&state.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    let body = std::fs::read_to_string(state.0.join(&files[0])).unwrap();
    assert_eq!(body, tle(ALPHA, &IDS), "{}", files[0]);
    let meta = std::fs::read_to_string(state.0.join(&files[1])).unwrap();
    assert!(meta.contains("\"etag\": \"\\\"g1\\\"\""), "{meta}");
}

/// A restart with the URL unreachable serves the saved elements at once,
/// warns about their age (a short `--stale-after` makes the day-and-a-half-
/// old elements stale), and keeps them when the fetch fails.
fn restart_with_the_url_unreachable(url: &str, state: &TempDir) {
    let second = Server::start(&[
        "--catalog-url",
        url,
        "--state-dir",
        &state.0.to_string_lossy(),
        "--refresh",
        "1s",
        "--stale-after",
        "1d",
        "--now",
        NOW,
    ]);
    assert_eq!(
        served_name(&second),
        name(ALPHA, 0),
        "{}",
        second.log_text()
    );
    let log = second.log_text();
    assert!(
        log.contains("serving 7 objects saved in --state-dir"),
        "{log}"
    );
    assert!(
        log.contains("7 of 7 element sets are older than 1.0 days"),
        "{log}"
    );
    wait_for_log(
        &second,
        "no answer: connection failed",
        Duration::from_secs(10),
    );
    let failure = log_lines(&second, "no answer")[0].clone();
    assert!(failure.contains(url), "{failure}");
    assert!(
        failure.contains("still serving its last good 7 objects from"),
        "{failure}"
    );
    assert_eq!(served_name(&second), name(ALPHA, 0));
}

/// Without saved state and with the URL unreachable, the embedded snapshot
/// is served, and the log says so at start and after the failed fetch.
fn start_with_nothing_saved_and_the_url_unreachable(url: &str) {
    let empty = TempDir::new("state-empty");
    let third = Server::start(&[
        "--catalog-url",
        url,
        "--state-dir",
        &empty.0.to_string_lossy(),
        "--refresh",
        "1s",
        "--now",
        NOW,
    ]);
    assert!(
        third.log_text().contains(
            "nothing usable saved in --state-dir): serving the embedded catalogue until a fetch succeeds"
        ),
        "{}",
        third.log_text()
    );
    wait_for_log(&third, "no answer", Duration::from_secs(10));
    assert!(
        log_lines(&third, "no answer")[0].contains("still serving the embedded catalogue"),
        "{}",
        third.log_text()
    );
    assert!(txt(&third, 25544).unwrap().starts_with("ISS (ZARYA)"));
    assert_eq!(txt(&third, IDS[0]), None);
}

/// URLs and files make one catalogue: a URL that fails, or stops serving a
/// usable body, drops none of the other sources' objects; OMM CSV carries a
/// six-digit catalogue number.
#[test]
fn urls_and_files_make_one_catalogue_and_one_failing_drops_nothing() {
    let csv = Stub::start(Box::new(|n, _| match n {
        0 => Reply::ok(
            "csv",
            elements::csv_with_six_digit_number(270_123, "CHARLIE"),
        ),
        _ => Reply::ok("garbage", "OBJECT_NAME,NORAD_CAT_ID\nbroken,\n"),
    }));
    let missing = Stub::start(Box::new(|_, _| Reply::new("404", 404, "")));
    let dir = TempDir::new("union");
    let file = dir.write("file.tle", &tle(ALPHA, &IDS));
    let server = Server::start(&[
        "--catalog",
        &file,
        "--catalog-url",
        &csv.url("/gp.csv"),
        "--catalog-url",
        &missing.url("/gone"),
        "--refresh",
        "1s",
        "--now",
        NOW,
    ]);
    wait_for_log(
        &server,
        "updated, 1 objects; catalogue now 8 objects",
        Duration::from_secs(10),
    );
    wait_for_log(
        &server,
        "refused the new catalogue: line 1: OMM CSV header lacks",
        Duration::from_secs(10),
    );
    wait_for_log(&server, "HTTP 404", Duration::from_secs(10));
    assert!(
        txt(&server, 270_123)
            .unwrap()
            .starts_with("CHARLIE (NORAD 270123)")
    );
    assert_eq!(served_name(&server), name(ALPHA, 0));
    assert!(
        txt(&server, 25544).is_none(),
        "the embedded snapshot is not mixed in"
    );
}

/// A `--catalog` file that changes on disk is reloaded without SIGHUP; one
/// that lost most of its objects is refused until an operator sends SIGHUP.
#[test]
fn a_changed_catalog_file_is_reloaded_and_a_shrunken_one_waits_for_sighup() {
    let dir = TempDir::new("watch");
    let path = dir.write("live.tle", &tle(ALPHA, &IDS));
    let server = Server::start(&["--catalog", &path, "--now", NOW]);
    assert_eq!(served_name(&server), name(ALPHA, 0));

    std::fs::write(&path, tle(BRAVO, &IDS)).unwrap();
    wait_for_log(
        &server,
        "(changed on disk): reloaded, 7 objects",
        Duration::from_secs(15),
    );
    assert_eq!(served_name(&server), name(BRAVO, 0));

    std::fs::write(&path, tle(ALPHA, &IDS[..3])).unwrap();
    wait_for_log(
        &server,
        "(changed on disk): reload failed",
        Duration::from_secs(15),
    );
    assert!(
        log_lines(&server, "reload failed")[0]
            .contains("it has 3 objects where the last good one had 7"),
        "{}",
        server.log_text()
    );
    assert_eq!(served_name(&server), name(BRAVO, 0));
    assert!(txt(&server, IDS[6]).is_some());

    server.signal("HUP");
    wait_for_log(&server, "catalogue reloaded", Duration::from_secs(10));
    assert_eq!(served_name(&server), name(ALPHA, 0));
    assert!(txt(&server, IDS[6]).is_none());
}
