#!/usr/bin/env bash
# Demonstration (not a test; loadgen/tests/sweep.rs is the test): a capacity
# sweep of satloc-server on loopback, the server on CPU 0 and the generator on
# CPU 1. Starts satloc-server (--threads 1; MODE=echo adds --echo-floor, the
# server that does no DNS work), then `satloc-loadgen sweep` asking for the
# ISS's LOC record at RATES with an SLO, and prints its table and capacity.
# The JSON, CSV, interval log and HTML report go to OUT (default: a temporary
# directory, removed at the end; give OUT to keep them).
#
#   scripts/sweep-demo.sh                              # default server, 5k..200k qps
#   MODE=echo scripts/sweep-demo.sh
#   RATES=10k..100k STEPS=6 STEP=5s SLO=p99=1ms OUT=/tmp/sweep scripts/sweep-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

MODE="${MODE:-default}"
RATES="${RATES:-5k..200k}"
STEPS="${STEPS:-6}"
STEP="${STEP:-2s}"
WARMUP="${WARMUP:-500ms}"
SLO="${SLO:-p99=1ms}"
pick_cpus
command -v taskset >/dev/null 2>&1 || apt_install util-linux >&2

build_server_and_loadgen

work=$(mktemp -d -t sweep-demo.XXXXXX)
out="${OUT:-$work}"
mkdir -p "$out"
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill -INT "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

server_args=(--threads 1 --listen 127.0.0.1:0)
case "$MODE" in
    echo) server_args+=(--echo-floor) ;;
    default) ;;
    *) echo "MODE=$MODE: expected default or echo" >&2; exit 2 ;;
esac
taskset -c "$server_cpus" "$SERVER" "${server_args[@]}" >"$work/server.log" 2>&1 &
server_pid=$!
port=$(listening_port "$work/server.log" "$server_pid")

echo "\$ satloc-server ${server_args[*]}   # MODE=$MODE, CPU $server_cpus" >&2
sweep_args=(sweep -s 127.0.0.1 -p "$port" --qname iss.sat.example --qtype LOC --edns
    --rates "$RATES" --steps "$STEPS" --step-duration "$STEP" --warmup "$WARMUP" --slo "$SLO"
    --json "$out/sweep.json" --csv "$out/sweep.csv" --hdr-log "$out/sweep.hlog" --report "$out")
echo "\$ satloc-loadgen ${sweep_args[*]}   # CPU $load_cpus" | sed "s|$work|OUT|g; s|-p $port|-p PORT|" >&2
taskset -c "$load_cpus" "$LOADGEN" "${sweep_args[@]}" 2>&1 | sed "s|127.0.0.1:$port|127.0.0.1:PORT|"
