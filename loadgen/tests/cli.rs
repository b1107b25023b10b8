//! The `satloc-loadgen` binary as a user meets it: exit codes, one-line
//! error messages, what is printed on stdout, JSON, and `merge`.

mod common;

use std::net::UdpSocket;
use std::process::{Command, Output};

use common::{Behaviour, TestServer};

fn loadgen(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_satloc-loadgen"))
        .args(args)
        .output()
        .expect("run satloc-loadgen")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("satloc-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_bad_queries_file_line_names_file_line_and_problem() {
    let dir = temp_dir("queries");
    let path = dir.join("queries.txt");
    std::fs::write(&path, "; comment\niss.sat.example LOC\niss.sat.example\n").unwrap();
    let output = loadgen(&["--queries", path.to_str().unwrap(), "--requests", "1"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert_eq!(
        message,
        format!(
            "satloc-loadgen: error: {}:3: expected \"name TYPE\", found 1 field: \"iss.sat.example\"\n",
            path.display()
        )
    );
    std::fs::write(&path, "iss.sat.example NOTATYPE\n").unwrap();
    let output = loadgen(&["--queries", path.to_str().unwrap()]);
    assert!(stderr(&output).contains("queries.txt:1: unknown record type \"NOTATYPE\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_refused_port_is_one_clear_line_and_a_failure_exit() {
    // A port nobody listens on: bind, note the port, close.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = loadgen(&[
        "--server",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--qname",
        "test.example",
        "--duration",
        "2s",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert_eq!(
        message,
        format!(
            "satloc-loadgen: error: 127.0.0.1:{port} refused the UDP query (ICMP port unreachable): nothing is listening on port {port}\n"
        ),
    );
    // What was measured is still printed, and the queries abandoned in
    // flight count as lost.
    let report = stdout(&output);
    let sent = report
        .split("sent ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    assert!(report.contains(&format!("lost {sent}")), "{report}");
}

#[test]
fn a_refused_tcp_port_fails_before_the_run() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let output = loadgen(&["--tcp", "--port", &port.to_string(), "--qname", "a.example"]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "satloc-loadgen: error: 127.0.0.1:{port} refused the TCP connection: nothing is listening on port {port}\n"
        )
    );
}

#[test]
fn an_unresolvable_server_name_is_one_clear_line() {
    let output = loadgen(&["--server", "no-such-host.invalid", "--qname", "a.example"]);
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.starts_with(
            "satloc-loadgen: error: cannot resolve server name \"no-such-host.invalid\": "
        ),
        "{message}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
}

#[test]
fn a_silent_server_is_reported_as_no_response() {
    // Bound but never read: queries vanish without an ICMP error.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    let output = loadgen(&[
        "--port",
        &port,
        "--qname",
        "a.example",
        "--requests",
        "5",
        "--timeout",
        "200ms",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!(
            "satloc-loadgen: error: no response from 127.0.0.1:{port}: all 5 queries timed out after 200ms\n"
        )
    );
    assert!(stdout(&output).contains("lost 5"), "{}", stdout(&output));
}

#[test]
fn json_summary_goes_to_stdout_with_the_documented_fields() {
    let server = TestServer::udp(Behaviour::Immediate);
    let output = loadgen(&[
        "--server",
        &server.addr.to_string(),
        "--qname",
        "test.example",
        "--requests",
        "300",
        "--json",
        "-",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("stdout is JSON");
    assert_eq!(json["sent"], 300);
    assert_eq!(json["completed"], 300);
    assert_eq!(json["lost"], 0);
    assert_eq!(json["errors"], 0);
    assert_eq!(json["rcodes"]["NOERROR"], 300);
    assert!(json["qps"].as_f64().unwrap() > 0.0);
    for key in ["min", "mean", "p50", "p90", "p99", "p999", "max"] {
        assert!(json["latency_us"][key].is_number(), "latency_us.{key}");
    }
    // The text report went to stderr instead.
    assert!(stderr(&output).contains("latency us"));
}

#[test]
fn merge_prints_one_summary_of_several_logs() {
    let dir = temp_dir("merge");
    let server = TestServer::udp(Behaviour::Immediate);
    let mut logs = Vec::new();
    for name in ["a.hlog", "b.hlog"] {
        let log = dir.join(name);
        let output = loadgen(&[
            "--server",
            &server.addr.to_string(),
            "--qname",
            "test.example",
            "--requests",
            "500",
            "--hdr-log",
            log.to_str().unwrap(),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        logs.push(log);
    }
    let json_path = dir.join("merged.json");
    let output = loadgen(&[
        "merge",
        logs[0].to_str().unwrap(),
        logs[1].to_str().unwrap(),
        "--json",
        json_path.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("merged from 2 logs"),
        "{}",
        stdout(&output)
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(json["completed"], 1000);
    assert_eq!(json["sent"], 1000);
    assert_eq!(json["latency_us"]["count"], 1000);

    let output = loadgen(&["merge", dir.join("missing.hlog").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("missing.hlog: cannot read"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_sweep_rates_and_slos_name_the_flag_the_text_and_what_was_expected() {
    let sweep = |extra: &[&str]| {
        let mut args = vec!["sweep", "--qname", "a.example"];
        args.extend_from_slice(extra);
        loadgen(&args)
    };
    let cases: [(&[&str], &str); 7] = [
        (
            &["--rates", "5000..1000", "--slo", "p99=1ms"],
            "invalid value '5000..1000' for '--rates <FROM..TO|LIST>': FROM must be less than TO",
        ),
        (
            &["--rates", "1000..lots", "--slo", "p99=1ms"],
            "invalid value '1000..lots' for '--rates <FROM..TO|LIST>': \"lots\" is not a positive number of queries per second",
        ),
        (
            &["--rates", "1000..5000", "--slo", "p99<1ms"],
            "invalid value 'p99<1ms' for '--slo <PERCENTILE=LIMIT>': expected PERCENTILE=LIMIT, e.g. p99=1ms",
        ),
        (
            &["--rates", "1000..5000", "--slo", "p999=1ms"],
            "invalid value 'p999=1ms' for '--slo <PERCENTILE=LIMIT>': \"p999\" is not a percentile",
        ),
        (
            &["--rates", "1000..5000", "--slo", "p99=fast"],
            "invalid value 'p99=fast' for '--slo <PERCENTILE=LIMIT>': \"fast\" is not a latency limit",
        ),
        (
            &["--rates", "1000..5000"],
            "the following required arguments were not provided:\n  --slo <PERCENTILE=LIMIT>",
        ),
        (
            &["--rates", "1000..5000", "--slo", "p99=1ms", "--rate", "100"],
            "satloc-loadgen: error: --rate is for a single run: a sweep takes --rates",
        ),
    ];
    for (args, expected) in cases {
        let output = sweep(args);
        assert!(!output.status.success(), "{args:?} was accepted");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: expected {expected:?} in\n{}",
            stderr(&output)
        );
    }
    let output = sweep(&["--rates", "1000,2000", "--steps", "4", "--slo", "p99=1ms"]);
    assert_eq!(
        stderr(&output),
        "satloc-loadgen: error: --steps, --step-factor and --linear cut a FROM..TO range: --rates was given as a list\n"
    );
}

#[test]
fn a_sweep_prints_its_table_and_capacity_and_writes_json_and_csv() {
    let server = TestServer::udp(Behaviour::Immediate);
    let dir = temp_dir("sweep");
    let (json, csv) = (dir.join("sweep.json"), dir.join("sweep.csv"));
    let output = loadgen(&[
        "sweep",
        "--server",
        &server.addr.to_string(),
        "--qname",
        "a.example",
        "--rates",
        "200..400",
        "--steps",
        "2",
        "--step-duration",
        "300ms",
        "--slo",
        "p99=500ms",
        "--json",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let table = stdout(&output);
    assert!(
        table.contains("capacity: above 400 qps, the highest rate offered"),
        "{table}"
    );
    assert!(
        stderr(&output).contains("step  2 plan   offered        400 qps"),
        "{}",
        stderr(&output)
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(summary["capacity_qps"], 400.0);
    assert!(
        summary["command_line"]
            .as_str()
            .unwrap()
            .contains("sweep --server"),
        "{summary}"
    );
    assert_eq!(summary["steps"].as_array().unwrap().len(), 2);
    assert_eq!(std::fs::read_to_string(&csv).unwrap().lines().count(), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_rate_takes_k_and_m_as_sweep_rates_do_and_refuses_anything_else() {
    use clap::Parser;
    use satloc_loadgen::config::LoadModel;
    let config = |rate: &str| {
        satloc_loadgen::cli::Cli::try_parse_from([
            "satloc-loadgen",
            "--qname",
            "a.example",
            "--rate",
            rate,
        ])
        .map(|cli| cli.run.into_config().unwrap().load)
    };
    assert_eq!(
        config("50k").unwrap(),
        LoadModel::Open { rate_qps: 50_000.0 }
    );
    assert_eq!(
        config("1.5M").unwrap(),
        LoadModel::Open {
            rate_qps: 1_500_000.0
        }
    );
    assert_eq!(config("250").unwrap(), LoadModel::Open { rate_qps: 250.0 });
    for bad in ["fast", "0", "-5k"] {
        let message = loadgen(&["--qname", "a.example", &format!("--rate={bad}")]);
        assert_eq!(message.status.code(), Some(2), "{bad}");
        assert!(
            stderr(&message).contains(&format!(
                "invalid value '{bad}' for '--rate <QPS>': expected queries per second above 0"
            )),
            "{bad}: {}",
            stderr(&message)
        );
    }
}

#[test]
fn the_command_line_definition_is_consistent() {
    // clap checks its definition only when a debug build parses: this
    // makes every build check it, subcommands included.
    use clap::CommandFactory;
    satloc_loadgen::cli::Cli::command().debug_assert();
}
