//! Load from several hosts, as a Kubernetes Indexed Job runs it: several
//! `satloc-loadgen` processes with one `--start-at`, each writing an
//! interval log, combined with `satloc-loadgen merge`.
//!
//! The merged figures are checked against one histogram of everything,
//! built here from the logs with hdrhistogram's own reader (not this crate's
//! `read_log`), and against what each process reported about itself. Logs
//! that do not line up must be refused, naming the log and the gap.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use common::{Behaviour, TestServer};
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
use serde_json::Value;

/// Load processes in the multi-host run.
const HOSTS: usize = 3;

/// How far ahead of now the hosts are told to start: enough for every
/// process to start and open its sockets on a loaded CI machine.
const LEAD: Duration = Duration::from_millis(2500);

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("satloc-multihost-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `time` as seconds since the epoch with milliseconds, as `--start-at`
/// takes it (the RFC 3339 form is tested in the CLI's unit tests).
fn epoch_text(time: SystemTime) -> String {
    format!(
        "{:.3}",
        time.duration_since(UNIX_EPOCH).unwrap().as_secs_f64()
    )
}

/// Starts one load host: an open loop against `server` from `start_at`,
/// writing its interval log and its JSON report into `dir`.
fn spawn_host(server: &TestServer, dir: &Path, index: usize, start_at: &str) -> Child {
    let server = server.addr.to_string();
    let log = dir.join(format!("load-{index}.hlog"));
    let json = dir.join(format!("load-{index}.json"));
    Command::new(env!("CARGO_BIN_EXE_satloc-loadgen"))
        .args(["--server", &server, "--qname", "test.example"])
        .args(["--rate", "400", "--duration", "2s", "--warmup", "0.5s"])
        .args([
            "--start-at",
            start_at,
            "--host-tag",
            &format!("load-{index}"),
        ])
        .args(["--hdr-log", log.to_str().unwrap()])
        .args(["--json", json.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start satloc-loadgen")
}

/// Runs the hosts to the end and checks each succeeded.
fn run_hosts(children: Vec<Child>) {
    for (index, child) in children.into_iter().enumerate() {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "host {index}: {}", stderr(&output));
    }
}

/// One log's histograms added up with hdrhistogram's parser, independent
/// of this crate's reader.
fn histogram_of(log: &Path) -> Histogram<u64> {
    let bytes = std::fs::read(log).unwrap();
    let mut deserializer = Deserializer::new();
    let mut sum: Option<Histogram<u64>> = None;
    for entry in IntervalLogIterator::new(&bytes) {
        if let LogEntry::Interval(interval) = entry.unwrap() {
            let raw = BASE64.decode(interval.encoded_histogram()).unwrap();
            let part: Histogram<u64> = deserializer.deserialize(&mut raw.as_slice()).unwrap();
            match &mut sum {
                Some(sum) => sum.add(&part).unwrap(),
                None => sum = Some(part),
            }
        }
    }
    sum.expect("a log with intervals")
}

/// `satloc-loadgen merge` of `logs` with `extra` flags.
fn merge(logs: &[PathBuf], extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_satloc-loadgen"))
        .arg("merge")
        .args(logs)
        .args(extra)
        .output()
        .expect("run satloc-loadgen merge")
}

/// Checks a report's latency block against a histogram's figures.
fn assert_latency_is(json: &Value, histogram: &Histogram<u64>, what: &str) {
    let latency = &json["latency_us"];
    assert_eq!(latency["count"], histogram.len(), "{what}: count");
    for (key, quantile) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999)] {
        assert_eq!(
            latency[key],
            histogram.value_at_quantile(quantile),
            "{what}: {key}"
        );
    }
    assert_eq!(latency["max"], histogram.max(), "{what}: max");
}

#[test]
fn hosts_started_together_merge_into_the_histogram_of_everything() {
    let dir = temp_dir("aligned");
    let server = TestServer::udp(Behaviour::Immediate);
    let start_at = epoch_text(SystemTime::now() + LEAD);
    let children = (0..HOSTS)
        .map(|index| spawn_host(&server, &dir, index, &start_at))
        .collect();
    run_hosts(children);

    let logs: Vec<PathBuf> = (0..HOSTS)
        .map(|index| dir.join(format!("load-{index}.hlog")))
        .collect();
    let merged_json = dir.join("merged.json");
    let output = merge(&logs, &["--json", merged_json.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("alignment   aligned: --start-at "), "{text}");
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(&merged_json).unwrap()).unwrap();
    assert_eq!(merged["alignment"]["aligned"], true, "{merged}");

    // One histogram of everything, summed here from the logs.
    let mut everything = histogram_of(&logs[0]);
    let mut completed = 0;
    let mut sent = 0;
    for (index, log) in logs.iter().enumerate() {
        let own = histogram_of(log);
        if index > 0 {
            everything.add(&own).unwrap();
        }
        let report: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join(format!("load-{index}.json"))).unwrap(),
        )
        .unwrap();
        // Each host's row is what that process measured and reported.
        let row = &merged["hosts"][index];
        assert_eq!(row["host"], format!("load-{index}"));
        assert_eq!(row["completed"], report["completed"], "host {index}");
        assert_latency_is(row, &own, &format!("host {index}"));
        assert_latency_is(&report, &own, &format!("host {index}'s own report"));
        completed += report["completed"].as_u64().unwrap();
        sent += report["sent"].as_u64().unwrap();
    }
    // 400 qps for 2 s from each host, less what a loaded machine misses.
    assert!(completed as usize >= HOSTS * 600, "{completed}");
    assert_eq!(merged["completed"], completed);
    assert_eq!(merged["sent"], sent);
    assert_latency_is(&merged, &everything, "combined");
    // Added histograms, not averaged percentiles: the combined maximum is
    // the largest host maximum, whatever the others saw.
    let host_max = (0..HOSTS)
        .map(|index| {
            merged["hosts"][index]["latency_us"]["max"]
                .as_u64()
                .unwrap()
        })
        .max();
    assert_eq!(merged["latency_us"]["max"].as_u64(), host_max);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A copy of `log` at `to` with its times moved by `shift_s` seconds, as if
/// its host's clock had been that far off.
fn shifted_copy(log: &Path, to: &Path, shift_s: f64) {
    let text = std::fs::read_to_string(log).unwrap();
    let shifted: Vec<String> = text
        .lines()
        .map(|line| {
            for prefix in ["#[StartTime: ", "#[BaseTime: "] {
                if let Some(rest) = line.strip_prefix(prefix) {
                    let (number, tail) = rest.split_once(' ').unwrap();
                    let moved = number.parse::<f64>().unwrap() + shift_s;
                    return format!("{prefix}{moved:.3} {tail}");
                }
            }
            line.to_owned()
        })
        .collect();
    std::fs::write(to, shifted.join("\n") + "\n").unwrap();
}

#[test]
fn logs_that_do_not_line_up_are_refused_naming_the_log_and_the_gap() {
    let dir = temp_dir("misaligned");
    let server = TestServer::udp(Behaviour::Immediate);
    let start = SystemTime::now() + LEAD;
    let first = epoch_text(start);
    let second = epoch_text(start + Duration::from_millis(500));
    run_hosts(vec![
        spawn_host(&server, &dir, 0, &first),
        spawn_host(&server, &dir, 1, &second),
    ]);
    let logs = [dir.join("load-0.hlog"), dir.join("load-1.hlog")];

    // Two start times: two runs, refused.
    let output = merge(&logs, &[]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("the logs do not line up: ")
            && message.contains("load-1.hlog (host load-1) was started at ")
            && message.contains("(--start-at): they are not from one run"),
        "{message}"
    );

    // One start time, but a host whose clock was 300 ms late.
    let skewed = dir.join("skewed.hlog");
    shifted_copy(&logs[0], &skewed, 0.3);
    let pair = [logs[0].clone(), skewed];
    let output = merge(&pair, &[]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("skewed.hlog (host load-0) starts 0.300 s after ")
            && message.contains("load-0.hlog (host load-0) (more than the 100 ms tolerance)"),
        "{message}"
    );
    // A wider tolerance accepts it, and --allow-unaligned merges anyway but
    // says the logs are not aligned.
    assert!(merge(&pair, &["--tolerance", "400ms"]).status.success());
    let output = merge(&logs, &["--allow-unaligned"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("alignment   NOT aligned: "), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_log_printed_after_its_report_as_comments_merges_as_the_log_alone() {
    // What a pod of deploy/kubernetes/load prints: its text report as `# `
    // lines, then its interval log.
    let dir = temp_dir("job-output");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/v0.1.0-a.hlog");
    let log = std::fs::read_to_string(&fixture).unwrap();
    let report = "satloc-loadgen 0.1.0: satloc (10.0.0.10:53), UDP, open loop, 20,000 qps\n  \
                  queries     sent 132,334   completed 132,334 (100.00%)   lost 0   errors 0\n";
    let printed = dir.join("load-0.hlog");
    let commented: String = report.lines().map(|line| format!("# {line}\n")).collect();
    std::fs::write(&printed, commented + &log).unwrap();

    let json = |path: &Path| -> Value {
        let output = merge(&[path.to_owned()], &["--json", "-"]);
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let (alone, after_report) = (json(&fixture), json(&printed));
    assert_eq!(after_report["completed"], 132_334);
    assert_eq!(after_report["latency_us"], alone["latency_us"]);
    assert_eq!(after_report["sent"], alone["sent"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn logs_of_earlier_versions_merge_as_before_named_by_their_files() {
    // Written by 0.1.0, without host or start time, one run after the other.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let logs = [
        fixtures.join("v0.1.0-a.hlog"),
        fixtures.join("v0.1.0-b.hlog"),
    ];
    let output = merge(&logs, &["--json", "-"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["completed"], 132_334 + 80_666);
    assert_eq!(json["hosts"][0]["host"], "v0.1.0-a.hlog");
    assert_eq!(json["hosts"][1]["host"], "v0.1.0-b.hlog");
    // Nothing was promised, so nothing is refused; the report still says
    // they did not run together.
    assert_eq!(json["alignment"]["aligned"], false);
    let problem = json["alignment"]["problem"].as_str().unwrap();
    assert!(
        problem.contains("v0.1.0-b.hlog starts 2.506 s after "),
        "{problem}"
    );
}
