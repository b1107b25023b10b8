#!/usr/bin/env bash
# The case study's numbers, side by side from one run (docs/case-study.md).
#
#   scripts/case-study.sh [--seconds N] [--rounds N] [--concurrency N]
#
# Three builds of the query path, same binary, chosen by flags:
#
#   A  --udp-engine spawn --answer-path hickory   a task per datagram, fresh
#                                                 buffers, hickory Message in/out
#                                                 (the hickory-dns server pattern)
#   B  --udp-engine loop  --answer-path hickory   no task per query, buffers reused
#   C  --udp-engine loop  --answer-path fast      plus the allocation-free LOC path
#   D  --udp-engine batch --answer-path fast      plus recvmmsg/sendmmsg batches on
#                                                 a blocking worker thread
#
# Each is served by one worker thread pinned to CPU 0 and driven by
# satloc-loadgen on CPU 1 (closed loop, concurrency 10 as in the HTTP/2 study,
# LOC iss.sat.example with EDNS), --rounds times in rotating order; the table
# shows each configuration's median-QPS round, the server's CPU time per 100k
# answers (from /proc/PID/stat) and the change against A. Each run's output
# stays in target/case-study/ (server-C-R.log, loadgen-C-R.log for configuration
# C, round R); a failed run stops the script, shows their last lines and leaves
# no server running.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

seconds=5
rounds=3
concurrency=10
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --rounds) rounds="$2"; shift ;;
        --concurrency) concurrency="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

cargo build -q --release -p satloc-server -p satloc-loadgen
out=target/case-study
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.cpu "$out"/*.log
tick=$(getconf CLK_TCK)
pick_cpus

declare -A flags=(
    [A]="--udp-engine spawn --answer-path hickory"
    [B]="--udp-engine loop --answer-path hickory"
    [C]="--udp-engine loop --answer-path fast"
    [D]="--udp-engine batch --answer-path fast"
)
configs=(A B C D)

# The server and load generator running now. The EXIT trap stops them, so a
# failed or interrupted run leaves no server behind; it signals only these
# pids, never processes found by name.
server_pid=""
load_pid=""
# shellcheck disable=SC2317 # called by the trap (shellcheck 0.9 misses it)
stop_started() {
    local pid
    for pid in $load_pid $server_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_started EXIT

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# failed MESSAGE LOG...: says what failed and where its output is kept, shows
# the end of each LOG, and exits (the trap stops the server).
failed() {
    local log
    echo "case-study: $1" >&2
    for log in "${@:2}"; do
        echo "==> last lines of $log" >&2
        tail -n 20 "$log" >&2
    done
    exit 1
}

# load LOG PORT DURATION [ARGS...]: one satloc-loadgen run against the server,
# its output in LOG. It runs in the background so that a signal reaches the
# EXIT trap at once rather than after the run.
load() {
    local log=$1 port=$2 duration=$3 status=0
    shift 3
    taskset -c "$load_cpus" "$release_dir"/satloc-loadgen -s 127.0.0.1 -p "$port" --qname iss.sat.example \
        --qtype LOC --edns -q "$concurrency" -l "$duration" --quiet "$@" >"$log" 2>&1 &
    load_pid=$!
    wait "$load_pid" || status=$?
    load_pid=""
    return "$status"
}

run_one() { # config round
    local config=$1 round=$2
    local log="$out/server-$1-$2.log" load_log="$out/loadgen-$1-$2.log"
    # shellcheck disable=SC2086
    taskset -c "$server_cpus" "$release_dir"/satloc-server --threads 1 --listen 127.0.0.1:0 \
        --now 2026-11-28T12:00:00Z ${flags[$config]} >"$log" 2>&1 &
    server_pid=$!
    local port before after
    port=$(listening_port "$log" "$server_pid") ||
        failed "the server for $config (round $round) did not start; its log: $log"
    # Warm up outside the measurement, then measure CPU around the run.
    load /dev/null "$port" 1s || true
    before=$(cpu_ticks "$server_pid")
    load "$load_log" "$port" "${seconds}s" --json "$out/$config-$round.json" ||
        failed "the measured run of $config (round $round) failed; load generator: $load_log, server: $log" \
            "$load_log" "$log"
    after=$(cpu_ticks "$server_pid") ||
        failed "the server for $config (round $round) exited during the run; its log: $log" "$log"
    kill -INT "$server_pid"; wait "$server_pid" || true
    server_pid=""
    echo "$((after - before))" >"$out/$config-$round.cpu"
}

for round in $(seq 1 "$rounds"); do
    # Rotate the order so no configuration always runs first or last.
    for i in 0 1 2 3; do
        config=${configs[$(((i + round) % 4))]}
        run_one "$config" "$round"
    done
done

python3 - "$out" "$rounds" "$tick" "$concurrency" "$seconds" <<'EOF'
import json, statistics, sys
out, rounds, tick, conc, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
names = {
    "A": "spawn + hickory",
    "B": "loop + hickory",
    "C": "loop + fast path",
    "D": "batch + fast path",
}
rows = {}
for config in "ABCD":
    runs = []
    for r in range(1, rounds + 1):
        with open(f"{out}/{config}-{r}.json") as f:
            doc = json.load(f)
        cpu_s = int(open(f"{out}/{config}-{r}.cpu").read()) / tick
        runs.append((doc["qps"], doc, cpu_s))
    runs.sort(key=lambda x: x[0])
    qps, doc, cpu_s = runs[len(runs) // 2]
    lat = doc["latency_us"]
    rows[config] = {
        "qps": qps, "p50": lat["p50"], "p99": lat["p99"], "p999": lat["p999"], "mean": lat["mean"],
        "cpu_per_100k": cpu_s / max(doc["completed"], 1) * 1e5, "lost": doc["lost"],
        "all_qps": [round(r[0]) for r in sorted(runs, key=lambda x: x[0])],
    }
a = rows["A"]
print(f"closed loop, concurrency {conc}, {secs} s x {rounds} rounds per configuration (median-QPS round shown)")
print("| config | qps | p50 us | p99 us | p99.9 us | server cpu-s/100k | qps vs A | p50 vs A | cpu vs A | all rounds qps |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for config in "ABCD":
    r = rows[config]
    print(f"| {config} {names[config]} | {r['qps']:,.0f} | {r['p50']:.0f} | {r['p99']:.0f} | {r['p999']:.0f} | "
          f"{r['cpu_per_100k']:.3f} | {r['qps'] / a['qps'] - 1:+.1%} | {r['p50'] / a['p50'] - 1:+.1%} | "
          f"{r['cpu_per_100k'] / a['cpu_per_100k'] - 1:+.1%} | {r['all_qps']} |")
EOF
