//! `satloc-loadgen compare` on real runs against a server with a known
//! delay: two runs of the same server pass, a server 20 % slower fails (one
//! run a side, and rounds),
//! a run cannot be judged against a sweep, and the BMF output holds the
//! current run's figures.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use common::{Behaviour, TempDir, TestServer, args, run};

/// How long the test server holds each answer; the planted regression
/// holds it 20 % longer. Long against this machine's wake-up jitter, so
/// the runs' medians sit on the delay.
const DELAY: Duration = Duration::from_millis(20);

/// A closed-loop run of a few seconds against `server`, its JSON written
/// to `dir/name.json`.
fn run_json(server: &TestServer, dir: &Path, name: &str) -> PathBuf {
    let result = run(args(
        server.addr,
        &[
            "--concurrency",
            "20",
            "--duration",
            "4s",
            "--warmup",
            "500ms",
        ],
    ));
    assert!(result.error.is_none(), "{:?}", result.error);
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, result.report.to_json()).unwrap();
    path
}

fn compare(extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_satloc-loadgen"))
        .arg("compare")
        .args(extra)
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_same_server_passes_a_twenty_percent_slower_one_fails() {
    let dir = TempDir::new("compare");
    let server = TestServer::udp(Behaviour::Delay(DELAY));
    let baseline = run_json(&server, &dir.0, "baseline");
    let again = run_json(&server, &dir.0, "again");
    let slower = TestServer::udp(Behaviour::Delay(DELAY * 6 / 5));
    let regressed = run_json(&slower, &dir.0, "slower");
    let (baseline, again, regressed) = (
        baseline.to_str().unwrap(),
        again.to_str().unwrap(),
        regressed.to_str().unwrap(),
    );

    let same = compare(&["--threshold", "10", baseline, again]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert!(text(&same).contains("verdict: pass"), "{}", text(&same));

    let worse = compare(&["--threshold", "10", baseline, regressed]);
    assert_eq!(worse.status.code(), Some(1), "{}", text(&worse));
    let table = text(&worse);
    let p50 = table.lines().find(|line| line.starts_with("p50 ")).unwrap();
    assert!(p50.ends_with("WORSE"), "{table}");
    assert!(table.contains("verdict: REGRESSION in p50"), "{table}");

    // Rounds, as comma lists: the baseline's two runs against themselves
    // pass, against the slower server's run (taken twice) fail.
    let rounds = format!("{baseline},{again}");
    let same = compare(&["--threshold", "10", &rounds, &rounds]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert!(
        text(&same).contains("median of 2 rounds"),
        "{}",
        text(&same)
    );
    let slower_rounds = format!("{regressed},{regressed}");
    let worse = compare(&["--threshold", "10", &rounds, &slower_rounds]);
    assert_eq!(worse.status.code(), Some(1), "{}", text(&worse));
}

#[test]
fn bmf_output_holds_the_current_runs_figures_with_their_band() {
    let dir = TempDir::new("compare-bmf");
    let server = TestServer::udp(Behaviour::Delay(Duration::from_millis(5)));
    let path = run_json(&server, &dir.0, "run");
    let path = path.to_str().unwrap();
    let output = compare(&["--bmf", "-", "--name", "delay-5ms", path, path]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let bmf: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let p50 = &bmf["delay-5ms"]["latency-p50"];
    // Nanoseconds, as Bencher's latency measure counts.
    assert_eq!(
        p50["value"].as_f64(),
        Some(run["latency_us"]["p50"].as_f64().unwrap() * 1e3)
    );
    assert!(p50["lower_value"].as_f64().unwrap() <= p50["value"].as_f64().unwrap());
    assert!(p50["upper_value"].as_f64().unwrap() >= p50["value"].as_f64().unwrap());
    assert_eq!(bmf["delay-5ms"]["throughput"]["value"], run["qps"]);
    // With --bmf -, stdout is the JSON alone and the table goes to stderr.
    assert!(String::from_utf8_lossy(&output.stderr).contains("verdict: pass"));
}

#[test]
fn inputs_that_cannot_be_compared_exit_two_naming_the_file() {
    let dir = TempDir::new("compare-bad");
    let sweep = dir.0.join("sweep.json");
    std::fs::write(
        &sweep,
        r#"{"transport": "udp", "slo": [], "capacity": {"qps": 1000.0, "limit": {"kind": "not_reached"}}, "steps": []}"#,
    )
    .unwrap();
    let server = TestServer::udp(Behaviour::Immediate);
    let run = run_json(&server, &dir.0, "run");
    let mixed = compare(&[run.to_str().unwrap(), sweep.to_str().unwrap()]);
    assert_eq!(mixed.status.code(), Some(2), "{}", text(&mixed));
    assert!(text(&mixed).contains("is a run and"), "{}", text(&mixed));

    let garbage = dir.0.join("garbage.json");
    std::fs::write(&garbage, "{\"qps\": \"fast\"}").unwrap();
    let bad = compare(&[garbage.to_str().unwrap(), run.to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(
        text(&bad).contains("garbage.json: not the --json"),
        "{}",
        text(&bad)
    );
}
