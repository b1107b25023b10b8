#!/usr/bin/env bash
# Demonstration (not a test; tests/multihost.rs in loadgen/ is the test): the
# multi-host load of docs/deploy.md on one machine. Starts satloc-server on
# loopback (--threads 1, CPU 0), then HOSTS satloc-loadgen processes (CPU 1)
# with one --start-at a few seconds ahead, each an open loop of RATE qps for
# DURATION with its own --host-tag and interval log, then merges the logs
# with `satloc-loadgen merge` and prints its report (per host and combined).
#
#   scripts/merge-demo.sh                     # 3 hosts x 5,000 qps for 10 s
#   HOSTS=4 RATE=2000 DURATION=5s scripts/merge-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

HOSTS="${HOSTS:-3}"
RATE="${RATE:-5000}"
DURATION="${DURATION:-10s}"
pick_cpus
command -v taskset >/dev/null 2>&1 || apt_install util-linux >&2

build_server_and_loadgen

work=$(mktemp -d -t merge-demo.XXXXXX)
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill -INT "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

taskset -c "$server_cpus" "$SERVER" --threads 1 --listen 127.0.0.1:0 \
    >"$work/server.log" 2>&1 &
server_pid=$!
port=$(listening_port "$work/server.log" "$server_pid")

start_at=$(($(date +%s) + 3))
echo "==> $HOSTS load processes, $RATE qps each for $DURATION, --start-at $start_at" >&2
pids=()
for i in $(seq 0 $((HOSTS - 1))); do
    taskset -c "$load_cpus" "$LOADGEN" -s 127.0.0.1 -p "$port" \
        --qname iss.sat.example --qtype LOC --edns --rate "$RATE" --warmup 1s -l "$DURATION" \
        --start-at "$start_at" --host-tag "load-$i" --hdr-log "$work/load-$i.hlog" --quiet \
        >"$work/load-$i.txt" 2>&1 &
    pids+=("$!")
done
for i in "${!pids[@]}"; do
    wait "${pids[$i]}" || { cat "$work/load-$i.txt" >&2; exit 1; }
done
logs=()
for i in $(seq 0 $((HOSTS - 1))); do logs+=("$work/load-$i.hlog"); done
echo "\$ satloc-loadgen merge load-0.hlog ... load-$((HOSTS - 1)).hlog"
"$LOADGEN" merge "${logs[@]}" | sed "s|$work/||g"
