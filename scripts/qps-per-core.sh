#!/usr/bin/env bash
# Benchmark (not a test): how many queries per second one CPU core of
# satloc-server answers, the figure behind the resource requests in
# deploy/kubernetes (docs/deploy.md, "Sizing").
#
# The server runs with --threads 1 pinned to CPU 0 and satloc-loadgen pinned
# to CPU 1 (taskset), a closed loop of LOC queries for the ISS over UDP. It
# prints the answers per second and the server's CPU use over the run (from
# /proc), and from them the answers per CPU-second of the server: the qps one
# core gives when the server, not the load generator, is the limit. Also the
# server's peak resident memory (VmHWM), for the memory request.
#
#   scripts/qps-per-core.sh                       # 10 s, concurrency 64
#   DURATION=20 CONCURRENCY=128 scripts/qps-per-core.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

DURATION="${DURATION:-10}"
CONCURRENCY="${CONCURRENCY:-64}"
pick_cpus
command -v taskset >/dev/null 2>&1 || apt_install util-linux >&2

build_server_and_loadgen

work=$(mktemp -d -t qps-per-core.XXXXXX)
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill -INT "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

taskset -c "$server_cpus" "$SERVER" --threads 1 --listen 127.0.0.1:0 \
    >"$work/server.log" 2>&1 &
server_pid=$!
port=$(listening_port "$work/server.log" "$server_pid")

load() { # DURATION [ARGS...]
    taskset -c "$load_cpus" "$LOADGEN" -s 127.0.0.1 -p "$port" \
        --qname iss.sat.example --qtype LOC --edns -q "$CONCURRENCY" -l "$1" --quiet "${@:2}"
}
load 1s >/dev/null # warm-up, not measured
before=$(cpu_ticks "$server_pid")
load "${DURATION}s" --json "$work/run.json" >"$work/run.txt"
after=$(cpu_ticks "$server_pid")
peak_rss_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$server_pid/status")
cat "$work/run.txt"

python3 - "$work/run.json" "$((after - before))" "$(getconf CLK_TCK)" "$peak_rss_kib" <<'EOF'
import json, sys
report = json.load(open(sys.argv[1]))
cpu_s = int(sys.argv[2]) / int(sys.argv[3])
rss_mib = int(sys.argv[4]) / 1024
busy = cpu_s / report["elapsed_s"]
print(f"server: {report['qps']:,.0f} qps with {busy:.0%} of one core busy "
      f"({cpu_s:.2f} CPU-s over {report['elapsed_s']:.2f} s): "
      f"{report['completed'] / cpu_s:,.0f} answers per CPU-second; "
      f"p99 {report['latency_us']['p99']} us, lost {report['lost']}; "
      f"peak resident memory {rss_mib:.1f} MiB")
EOF
