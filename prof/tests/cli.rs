//! `satloc-prof coz-report` as a person or a script runs it: exit status, stdout, stderr,
//! and the files it writes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn satloc_prof(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_satloc-prof"))
        .args(args)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("satloc-prof-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Writes `contents` to the scratch file `name`.
fn write_scratch(name: &str, contents: &str) -> PathBuf {
    let path = scratch(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// The table row of the line ranked first.
fn first_row(stdout: &str) -> &str {
    stdout
        .lines()
        .find(|l| l.trim_start().starts_with("1  "))
        .expect("a rank 1 row")
}

/// The `kind` of every warning in a `--json` report.
fn warning_kinds(json: &serde_json::Value) -> Vec<&str> {
    json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect()
}

#[test]
fn the_toy_profile_prints_a_ranked_table_and_draws_the_curves() {
    let svg = scratch("toy.svg");
    let _ = std::fs::remove_file(&svg);
    let out = satloc_prof(&[
        "coz-report",
        fixture("coz_toy.coz").to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
        "--top",
        "2",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("1 run(s), 175 experiment(s) (50 at the 0 % baseline)"));
    // The noise floor of one experiment, from the 50 baseline experiments (worked out
    // independently by the Python in tests/fixtures/README.md).
    assert!(
        stdout.contains(
            "noise on `request done`: a single 0 % experiment lies a median 6.9% (p90 20.6%) \
             from its run's baseline, over 50 experiment(s)"
        ),
        "{stdout}"
    );
    let first_row = first_row(&stdout);
    assert!(first_row.contains("coz_toy.rs:68"), "{first_row}");
    // Its slope (+44.4 ± 4.9 %) is marked as rising beyond its noise.
    assert!(first_row.contains("± 4.9%*"), "{first_row}");
    assert!(stdout.contains("#1 "), "{stdout}");
    assert!(stdout.contains("#2 "));
    assert!(!stdout.contains("#3 "), "--top 2 shows two lines in detail");
    assert!(stdout.contains("change vs baseline"));
    // The pooled baseline's size is in each curve's heading.
    assert!(
        stdout.contains(
            "request done (throughput): time per visit vs the 0 % baseline, baseline 1.827 ms \
             over 50 experiment(s) (every 0 % experiment of the run)"
        ),
        "{stdout}"
    );
    // Line 0 got 9 experiments above 0 %: listed, with the reason, and warned about (the
    // only warning).
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("coz_toy.rs:0") && l.contains("few experiments")),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(
            "satloc-prof: warning: 1 of 3 line(s) had fewer than 20 experiments above 0 %"
        ),
        "{stderr}"
    );

    let drawing = std::fs::read_to_string(&svg).unwrap();
    assert!(drawing.starts_with("<svg"), "{}", &drawing[..80]);
    assert!(drawing.contains("coz_toy.rs:68"));
    assert!(drawing.contains("request done (throughput)"));
}

#[test]
fn json_carries_the_whole_analysis() {
    let out = satloc_prof(&[
        "coz-report",
        fixture("coz_toy.coz").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["experiments"], 175);
    assert!(
        json["ranked"][0]["line"]
            .as_str()
            .unwrap()
            .ends_with("coz_toy.rs:68")
    );
    assert_eq!(json["baseline_mode"], "pooled");
    assert_eq!(json["summary"]["min_experiments"], 20);
    assert_eq!(json["ranked"][0]["baseline_experiments"], 50);
    assert_eq!(json["ranked"][0]["speedup_experiments"], 85);
    assert!(
        json["ranked"][0]["slope"]["standard_error"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    let curve = &json["curves"][json["ranked"][0]["curves"][0].as_u64().unwrap() as usize];
    assert!(curve["measurements"].as_array().unwrap().len() >= 5);
    assert_eq!(curve["baseline"]["experiments"], 50);
    assert_eq!(json["unranked"][0]["reason"], "few-experiments");
    let kinds = warning_kinds(&json);
    assert_eq!(kinds, ["few-experiments"]);

    let out = satloc_prof(&[
        "coz-report",
        fixture("coz_toy.coz").to_str().unwrap(),
        "--json",
        "--baseline",
        "per-line",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["baseline_mode"], "per-line");
    // The costly loop's own 0 % experiments.
    assert_eq!(json["ranked"][0]["baseline_experiments"], 38);
}

#[test]
fn an_empty_profile_explains_itself_instead_of_plotting_nothing() {
    let svg = scratch("empty.svg");
    let out = satloc_prof(&[
        "coz-report",
        fixture("lld_linked_empty.coz").to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "nothing to rank is exit status 2"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("warning: no experiments in 1 run(s)"),
        "{stderr}"
    );
    assert!(stderr.contains("linker-features=-lld"), "{stderr}");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("nothing to rank"), "{stdout}");
    assert!(stdout.contains("warnings:"));
    let drawing = std::fs::read_to_string(&svg).unwrap();
    assert!(drawing.contains("Nothing to plot."));
    assert!(drawing.contains("no experiments"));
}

#[test]
fn a_malformed_profile_is_an_error_naming_file_and_line() {
    let bad = write_scratch(
        "bad.coz",
        "startup\ttime=1\nexperiment\tselected=a.rs:1\tspeedup=zero\tduration=1\tselected-samples=0\n",
    );
    let out = satloc_prof(&["coz-report", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("satloc-prof: error: reading "),
        "{stderr}"
    );
    assert!(
        stderr
            .contains("bad.coz: line 2: experiment: `speedup=zero` is not a fraction from 0 to 1"),
        "{stderr}"
    );
    assert_eq!(
        stderr.lines().count(),
        1,
        "the error is printed once: {stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_missing_file_is_an_error() {
    let out = satloc_prof(&["coz-report", "/nonexistent/profile.coz"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("reading /nonexistent/profile.coz"));
}

/// `cpu_profile.pb` is pprof-rs output of `profiling/examples/cpu_profile.rs` (2 s at 249 Hz);
/// `go tool pprof -top -cum` on it gives costly_three_quarters 73.94 % and cheap_quarter
/// 26.06 % of 1987.95 ms.
#[test]
fn pprof_top_lists_the_functions_go_pprof_lists() {
    let out = satloc_prof(&[
        "pprof-top",
        fixture("cpu_profile.pb").to_str().unwrap(),
        "--top",
        "20",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("(cpu nanoseconds: 1.988 s in "), "{stdout}");
    let row = |name: &str| {
        stdout
            .lines()
            .rfind(|l| l.ends_with(name))
            .unwrap_or_else(|| panic!("{name} in {stdout}"))
            .to_owned()
    };
    assert!(
        row("cpu_profile::costly_three_quarters").contains(" 73.9%"),
        "{stdout}"
    );
    assert!(
        row("cpu_profile::cheap_quarter").contains(" 26.1%"),
        "{stdout}"
    );
}

/// A hand-made profile of a server that handles one query at a time: `good.rs:1` speeds the
/// program up, `noise.rs:2` does nothing, and three of its latency readings caught no query
/// in flight (`difference=0`), which Little's law would turn into latencies of 0 ns and
/// "+100 %" program speedups. Written to `name`: tests run in parallel, one file each.
fn one_at_a_time_profile(name: &str) -> PathBuf {
    let mut text = String::from("startup\ttime=0\n");
    let rows = [
        (
            "good.rs:1",
            [
                (0, 1000, 1),
                (20, 1100, 1),
                (40, 1200, 1),
                (60, 1300, 1),
                (80, 1400, 1),
                (100, 1500, 1),
            ],
        ),
        (
            "noise.rs:2",
            [
                (0, 1000, 1),
                (20, 1000, 0),
                (40, 1000, 0),
                (60, 1000, 0),
                (80, 1000, 1),
                (100, 1000, 1),
            ],
        ),
    ];
    for (line, experiments) in rows {
        for (speedup, visits, in_flight) in experiments {
            text.push_str(&format!(
                "experiment\tselected={line}\tspeedup={:.2}\tduration=1000000000\tselected-samples=1\n\
                 throughput-point\tname=response\tdelta={visits}\n\
                 latency-point\tname=query\tarrivals={visits}\tdepartures={visits}\tdifference={in_flight}\n",
                f64::from(speedup) / 100.0
            ));
        }
    }
    write_scratch(name, &text)
}

#[test]
fn no_in_flight_readings_never_become_0_ns_and_the_table_names_its_point() {
    let profile = one_at_a_time_profile("no_in_flight.coz");
    let out = satloc_prof(&[
        "coz-report",
        profile.to_str().unwrap(),
        "--min-points",
        "3",
        "--min-experiments",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(!stdout.contains(" 0 ns"), "{stdout}");
    assert!(!stdout.contains("+100.0%"), "{stdout}");
    assert!(
        stdout.contains("lines by impact on `response` (throughput point, the default"),
        "{stdout}"
    );
    let first_row = first_row(&stdout);
    assert!(first_row.contains("good.rs:1"), "{first_row}");
    assert!(first_row.contains("+33.3% at 100%"), "{first_row}");
    assert!(
        stdout.contains(
            "(3 reading(s) with no request in flight at the end of their experiment skipped"
        ),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "warning: latency point `query`: 3 of 12 reading(s) had no request in flight"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("Read the throughput point `response` instead"));
}

#[test]
fn point_chooses_the_ranking_and_json_says_which() {
    let profile = one_at_a_time_profile("point.coz");
    let profile = profile.to_str().unwrap();
    let out = satloc_prof(&[
        "coz-report",
        profile,
        "--point",
        "query",
        "--min-experiments",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("lines by impact on `query` (latency point, as --point asked)"),
        "{stdout}"
    );
    // Program speedups 1 - 1000/visits: 0, 9.1, 16.7, 23.1, 28.6, 33.3 % at 0..100 %; the
    // trapezoids under them average 18.8 % (with one in flight, latency is the period).
    assert!(stdout.contains("(impact +18.8% on query,"), "{stdout}");

    let out = satloc_prof(&[
        "coz-report",
        profile,
        "--json",
        "--point",
        "query",
        "--min-experiments",
        "1",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["ranked_by"],
        serde_json::json!({"point": "query", "kind": "latency", "requested": true})
    );
    assert_eq!(json["ranked"][0]["impact_point"], "query");
    assert_eq!(json["dropped"]["no_in_flight_latency_readings"], 3);
    assert_eq!(json["dropped"]["in_flight"][0]["none_in_flight"], 3);
    let kinds = warning_kinds(&json);
    assert!(kinds.contains(&"few-in-flight"), "{kinds:?}");

    let out = satloc_prof(&["coz-report", profile, "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["ranked_by"],
        serde_json::json!({"point": "response", "kind": "throughput", "requested": false})
    );
}

#[test]
fn an_unknown_point_is_an_error_listing_the_points() {
    let out = satloc_prof(&[
        "coz-report",
        fixture("coz_toy.coz").to_str().unwrap(),
        "--point",
        "requests done",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "coz_toy.coz: no progress point named `requests done` in this profile; its points \
             are: request (latency), request done (throughput)"
        ),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

/// One run, 1 s experiments of the throughput point `response`: `noisy.rs:1` has one slow
/// 0 % experiment of its own (700 visits, 1.429 ms per response) and does nothing (1000
/// visits at every line speedup); `steady.rs:2` has three 0 % experiments of 1000 visits and
/// 20 speedups at 1000 visits too. Pooled, the baseline is 4 s / 3700 = 1.081 ms: the noisy
/// line's 0 % row is 1 - 1.429 / 1.081 = -32.1 %, and its curve 1 - 1 / 1.081 = +7.5 %
/// everywhere, as is the steady line's. Per line, the noisy line's single slow baseline
/// makes every point 1 - 1 / 1.429 = +30 % and ranks it first.
fn one_slow_baseline_profile(name: &str) -> PathBuf {
    let mut text = String::from("startup\ttime=0\n");
    let mut experiment = |line: &str, speedup: u32, visits: u64| {
        text.push_str(&format!(
            "experiment\tselected={line}\tspeedup={:.2}\tduration=1000000000\tselected-samples=1\n\
             throughput-point\tname=response\tdelta={visits}\n",
            f64::from(speedup) / 100.0
        ));
    };
    experiment("noisy.rs:1", 0, 700);
    for _ in 0..3 {
        experiment("steady.rs:2", 0, 1000);
    }
    for i in 0..20 {
        experiment("noisy.rs:1", 5 * (i + 1), 1000);
        experiment("steady.rs:2", 5 * (i + 1), 1000);
    }
    write_scratch(name, &text)
}

#[test]
fn baseline_chooses_pooled_or_per_line_and_the_table_says_which() {
    let profile = one_slow_baseline_profile("baseline.coz");
    let profile = profile.to_str().unwrap();

    let out = satloc_prof(&["coz-report", profile]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("(baseline: pooled, every 0 % experiment of the run"),
        "{stdout}"
    );
    assert!(
        stdout.contains("baseline 1.081 ms over 4 experiment(s) (every 0 % experiment of the run)"),
        "{stdout}"
    );
    // The noisy line's own 0 % row stays in its table, against the pooled baseline.
    assert!(
        stdout.lines().any(|l| l.trim_start().starts_with("0%")
            && l.contains("1.429 ms")
            && l.trim_end().ends_with("-32.1%")),
        "{stdout}"
    );
    assert!(
        stdout.contains("(the 0 % row: this line's own 1 experiment(s) at 0 %"),
        "{stdout}"
    );
    for line in ["noisy.rs:1", "steady.rs:2"] {
        let row = stdout
            .lines()
            .find(|l| l.contains(line) && l.contains(" at "))
            .unwrap_or_else(|| panic!("a ranking row for {line}: {stdout}"));
        assert!(row.contains("+7.5% at 5%"), "{row}");
    }

    let out = satloc_prof(&["coz-report", profile, "--baseline", "per-line"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("(baseline: per line,"), "{stdout}");
    let first_row = first_row(&stdout);
    assert!(first_row.contains("noisy.rs:1"), "{first_row}");
    assert!(first_row.contains("+30.0% at 5%"), "{first_row}");
    assert!(
        stdout.contains("baseline 1.429 ms over 1 experiment(s) (this line's own)"),
        "{stdout}"
    );

    let out = satloc_prof(&["coz-report", profile, "--baseline", "line"]);
    assert_eq!(out.status.code(), Some(2), "clap's usage error");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("pooled") && stderr.contains("per-line"),
        "{stderr}"
    );
}

#[test]
fn min_experiments_moves_the_bar_and_the_table_gives_the_reason() {
    let profile = one_slow_baseline_profile("min_experiments.coz");
    let profile = profile.to_str().unwrap();
    let out = satloc_prof(&["coz-report", profile, "--min-experiments", "21"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "nothing ranked: {}",
        text(&out.stderr)
    );
    let stdout = text(&out.stdout);
    assert!(stdout.contains("nothing to rank"), "{stdout}");
    let row = stdout
        .lines()
        .find(|l| l.contains("steady.rs:2"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(row.contains("few experiments"), "{row}");
    assert!(
        text(&out.stderr).contains(
            "warning: nothing can be ranked yet: no line had 21 or more experiments above 0 %"
        ),
        "{}",
        text(&out.stderr)
    );
}
