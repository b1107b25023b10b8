#!/usr/bin/env bash
# Demonstration (not a test; loadgen/tests/sweep.rs is the test): a capacity
# sweep of one server on loopback, the server on CPU 0 and the generator on
# CPU 1. Starts the server MODE names, then `satloc-loadgen sweep` asking for
# the ISS's LOC record (iss.sat.example LOC, EDNS) at RATES with an SLO, and
# prints the commands run, its table and the capacity:
#
#   default  satloc-server --threads 1, its defaults
#   echo     satloc-server --threads 1 --echo-floor: every query back with QR
#            set, no DNS work (the floor)
#   nsd      NSD serving iss.sat.example LOC from a static zone (installed
#            from Debian if missing; its own configuration, zone and state in
#            OUT/nsd, a free loopback port, the system's NSD configuration
#            untouched): server-count 1, one server process answering, as
#            satloc's --threads 1 has one thread, and rrl-ratelimit 0, so its
#            rate limiting does not answer for it. NSD's main process, its
#            server process and xfrd are all pinned to CPU 0 like satloc.
#
# NSD's answer also carries the zone's NS record and its address (its
# default, minimal-responses: no), a few bytes more than satloc's.
#
# The JSON, CSV, interval log and HTML report go to OUT (default: a temporary
# directory, removed at the end; give OUT to keep them). SHOT=PATH.png also
# writes a screenshot of the report's top (scripts/report-screenshot.sh).
# Relative OUT and SHOT are taken from the workspace root.
#
# SLO: below its capacity a server answers in tens of µs at the median, and
# past it the queue takes the median to milliseconds, so a median objective
# finds the knee; the p99 of a server idle between queries is a few ms of
# wake-ups on a virtual machine, so a p99 objective of 1 ms fails at every
# rate there. The default rates double from 25k to 400k qps, past what one
# core of NSD or satloc answers and past what the generator's one thread
# sends (docs/benchmarking.md has both); a rate it cannot keep is reported
# as its shortfall, not as the server's limit.
#
#   scripts/sweep-demo.sh                  # satloc-server, 25k..400k qps, ~20 s
#   MODE=nsd SHOT=nsd.png scripts/sweep-demo.sh
#   MODE=echo RATES=50k..400k STEPS=4 scripts/sweep-demo.sh
#   MODE=nsd RATES=25k..400k STEPS=9 STEP=5s WARMUP=1s OUT=sweep-nsd scripts/sweep-demo.sh
#
# Environment: MODE (default, echo or nsd), RATES (25k..400k), STEPS (5),
# STEP (2s per step), WARMUP (500ms), SLO ("p50=1ms p99=20ms": every
# objective, space-separated, must hold), CONFIRM (the sweep's --confirm:
# times a failing rate is run again), OUT, SHOT.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
environment_settings_only "$@"

MODE="${MODE:-default}"
RATES="${RATES:-25k..400k}"
STEPS="${STEPS:-5}"
STEP="${STEP:-2s}"
WARMUP="${WARMUP:-500ms}"
SLO="${SLO:-p50=1ms p99=20ms}"
SHOT="${SHOT:-}"
CONFIRM="${CONFIRM:-}"
case "$MODE" in
    default|echo|nsd) ;;
    *) echo "sweep-demo.sh: MODE=$MODE: expected default, echo or nsd" >&2; exit 2 ;;
esac
pick_cpus

need_packages=()
command -v taskset >/dev/null 2>&1 || need_packages+=(util-linux)
command -v python3 >/dev/null 2>&1 || need_packages+=(python3)
[[ $MODE != nsd || -n $(nsd_path) ]] || need_packages+=(nsd)
apt_install "${need_packages[@]}" >&2
stop_new_services "${need_packages[@]}"
NSD=$(nsd_path)

build_server_and_loadgen

work=$(mktemp -d -t sweep-demo.XXXXXX)
out="${OUT:-$work}"
mkdir -p "$out"
server_pid=""
nsd_pid=""
cleanup() {
    # satloc-server stops on Ctrl-C; NSD on TERM, taking its children along.
    if [[ -n $nsd_pid ]]; then
        kill "$nsd_pid" 2>/dev/null || true
        wait "$nsd_pid" 2>/dev/null || true
    elif [[ -n $server_pid ]]; then
        kill -INT "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
# What the commands print: the temporary directory, when OUT is not given, as
# OUT, and the port as PORT.
placeholders() { sed "s|$work|OUT|g; s|-p $port|-p PORT|; s|127.0.0.1:$port|127.0.0.1:PORT|"; }

if [[ $MODE == nsd ]]; then
    port=$(free_ports 1)
    # NSD resolves its files from its own directory: give it whole paths.
    nsd_dir=$(realpath -m "$out/nsd")
    mkdir -p "$nsd_dir"
    sat_example_zone 60 "${static_locs[@]}" >"$nsd_dir/sat.example.zone"
    write_nsd_conf "$nsd_dir" "$port" "$nsd_dir/sat.example.zone"
    start_nsd "$nsd_dir" "$server_cpus"
    wait_answering NSD "$port" "$nsd_pid" "$nsd_dir/nsd.out" "$nsd_dir/nsd.log"
    echo "\$ $NSD -d -c $out/nsd/nsd.conf   # MODE=nsd ($("$NSD" -v 2>&1 | head -n1)), CPU $server_cpus; server-count 1, rrl-ratelimit 0" |
        placeholders >&2
else
    server_args=(--threads 1 --listen 127.0.0.1:0)
    [[ $MODE == default ]] || server_args+=(--echo-floor)
    taskset -c "$server_cpus" "$SERVER" "${server_args[@]}" >"$work/server.log" 2>&1 &
    server_pid=$!
    port=$(listening_port "$work/server.log" "$server_pid")
    echo "\$ satloc-server ${server_args[*]}   # MODE=$MODE, CPU $server_cpus" >&2
fi

sweep_args=(sweep -s 127.0.0.1 -p "$port" --qname iss.sat.example --qtype LOC --edns
    --rates "$RATES" --steps "$STEPS" --step-duration "$STEP" --warmup "$WARMUP"
    --json "$out/sweep.json" --csv "$out/sweep.csv" --hdr-log "$out/sweep.hlog" --report "$out")
for slo in $SLO; do sweep_args+=(--slo "$slo"); done
[[ -z $CONFIRM ]] || sweep_args+=(--confirm "$CONFIRM")
echo "\$ satloc-loadgen ${sweep_args[*]}   # CPU $load_cpus" | placeholders >&2
taskset -c "$load_cpus" "$LOADGEN" "${sweep_args[@]}" 2>&1 | placeholders
if [[ -n $SHOT ]]; then
    scripts/report-screenshot.sh "$out/report.html" "$SHOT"
fi
