#!/usr/bin/env bash
# Benchmark (not a test): system calls and CPU time per answered query of the
# UDP engines under a given load. System calls are counted exactly by the
# kernel's tracepoints (perf stat -e raw_syscalls:sys_enter and the calls that
# move datagrams, attached to the server's threads for the run), so the count
# is not perturbed the way strace's stop per call would perturb it; CPU is the
# server's user + system time from /proc over the same run.
#
# Each engine runs satloc-server --threads 1 pinned to CPU 0; satloc-loadgen
# sends LOC queries for the ISS from CPU 1, for each LOADS entry either
# closed loop, q:N (N outstanding; q:1 makes every datagram a batch of one, so
# the calls per batch show exactly), or open loop, rate:N (N queries per
# second). The calls per answer depend on how many datagrams wait per
# wake-up, so on the load and on what else the CPUs run: every engine runs at
# each load, one after the other, ROUNDS times; each figure is the median round.
#
#   scripts/udp-syscalls.sh                                  # batch and uring, q:1, 30k and 100k qps
#   FLOOR=1 LOADS=rate:100000 scripts/udp-syscalls.sh        # the echo floor on each engine
#   ENGINES="batch uring" DURATION=3 ROUNDS=1 scripts/udp-syscalls.sh
#
# Environment: ENGINES ("batch uring"; any --udp-engine value), LOADS ("q:1
# rate:30000 rate:100000"), DURATION (seconds per run, 5), ROUNDS (3), FLOOR (0; 1 serves
# --echo-floor instead of answers), NOW (--now, 2026-11-28T12:00:00Z),
# SERVER_ARGS (more satloc-server arguments), SERVER_FEATURES (cargo features
# to build satloc-server with, e.g. uring-sqpoll: the busy-polling experiment).
# Needs perf (linux-perf) and permission to read tracepoints (root).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
environment_settings_only "$@"

ENGINES="${ENGINES:-batch uring}"
LOADS="${LOADS:-q:1 rate:30000 rate:100000}"
DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-3}"
FLOOR="${FLOOR:-0}"
NOW="${NOW:-2026-11-28T12:00:00Z}"
read -r -a extra_args <<<"${SERVER_ARGS:-}"
command -v perf >/dev/null || apt_install linux-perf >&2
pick_cpus
build_server_and_loadgen
if [[ -n ${SERVER_FEATURES:-} ]]; then
    cargo build --release -q -p satloc-server --features "$SERVER_FEATURES"
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
    [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

mode=(--now "$NOW")
((FLOOR)) && mode+=(--echo-floor)
calls="raw_syscalls:sys_enter,syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendmmsg"
calls+=",syscalls:sys_enter_io_uring_enter"
: >"$work/results.tsv"
for round in $(seq "$ROUNDS"); do
    for load in $LOADS; do
        case "$load" in
            q:*) load_args=(-q "${load#q:}") ;;
            rate:*) load_args=(--rate "${load#rate:}") ;;
            *) echo "udp-syscalls.sh: LOADS: '$load': expected q:N or rate:N" >&2; exit 2 ;;
        esac
        for engine in $ENGINES; do
            echo "==> round $round/$ROUNDS: $engine, $load" >&2
            taskset -c "$server_cpus" "$SERVER" "${mode[@]}" --threads 1 --udp-engine "$engine" \
                "${extra_args[@]}" --listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
            server_pid=$!
            port=$(listening_port "$work/server.log" "$server_pid")
            # Warm up outside the count.
            taskset -c "$load_cpus" "$LOADGEN" -s "127.0.0.1:$port" "${load_args[@]}" -l 1s --quiet \
                --qname iss.sat.example. --qtype LOC >/dev/null 2>&1
            ticks_before=$(tree_cpu_ticks "$server_pid")
            perf stat -x, -e "$calls" -p "$server_pid" -o "$work/perf.csv" &
            perf_pid=$!
            sleep 0.2
            taskset -c "$load_cpus" "$LOADGEN" -s "127.0.0.1:$port" "${load_args[@]}" -l "${DURATION}s" \
                --quiet --qname iss.sat.example. --qtype LOC --json "$work/run.json" >/dev/null 2>&1
            kill -INT "$perf_pid"
            wait "$perf_pid" || true
            ticks=$(($(tree_cpu_ticks "$server_pid") - ticks_before))
            kill "$server_pid"
            wait "$server_pid" 2>/dev/null || true
            server_pid=""
            python3 - "$work/perf.csv" "$work/run.json" "$engine" "$load" "$ticks" "$(getconf CLK_TCK)" \
                >>"$work/results.tsv" <<'PY'
import json, sys
perf, run, engine, load, ticks, tck = sys.argv[1:]
counts = {}
for line in open(perf):
    fields = line.strip().split(",")
    if len(fields) > 2 and fields[0].isdigit():
        counts[fields[2].split(":")[1].replace("sys_enter_", "")] = int(fields[0])
answered = json.load(open(run))["completed"]
print("\t".join(str(x) for x in (engine, load, answered, counts.get("sys_enter", 0),
      counts.get("recvmmsg", 0), counts.get("sendmmsg", 0), counts.get("io_uring_enter", 0),
      int(ticks) / float(tck))))
PY
        done
    done
done

python3 - "$work/results.tsv" "$DURATION" "$ROUNDS" "$FLOOR" <<'PY'
import sys
from collections import defaultdict
path, duration, rounds, floor = sys.argv[1:]
runs = defaultdict(list)
for line in open(path):
    engine, load, answered, total, recv, send, enter, cpu = line.split("\t")
    answered = int(answered)
    runs[(engine, load)].append(dict(
        answered=answered, per=int(total) / answered, recv=int(recv) / answered,
        send=int(send) / answered, enter=int(enter) / answered, us=float(cpu) / answered * 1e6))
what = "echo floor (--echo-floor)" if floor == "1" else "satloc answers (fast path)"
print(f"{what}, --threads 1 on CPU 0, satloc-loadgen on CPU 1 (q:N outstanding, rate:N qps), {duration} s per run, "
      f"median of {rounds} rounds (by system calls per answer)")
print()
print("| engine | load | answered | system calls per answer | recvmmsg | sendmmsg "
      "| io_uring_enter | server CPU µs per answer |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for (engine, load), rs in runs.items():
    r = sorted(rs, key=lambda r: r["per"])[(len(rs) - 1) // 2]
    print(f"| {engine} | {load} | {r['answered']:,} | {r['per']:.3f} | {r['recv']:.3f} "
          f"| {r['send']:.3f} | {r['enter']:.3f} | {r['us']:.2f} |")
PY
