#!/usr/bin/env bash
# What one answer costs for each orbit class and element age, side by side:
# queries per second from a real server (one worker on CPU 0, satloc-loadgen
# on CPU 1, closed loop with 10 in flight, LOC with EDNS, the clock frozen at
# the workload's instant) and instructions per answer (valgrind, as
# scripts/bench-icount.sh counts them).
#
#   scripts/per-object.sh                           # 3 s of load per workload
#   scripts/per-object.sh --seconds 5 --iterations 200
#
# The workloads are satloc-benches' per-object ones (`satloc-icount --scenes`):
# LEO (ISS), MEO (GPS PRN 13), GEO (GOES 18) and a 12-hour resonant Molniya
# (MOLNIYA 1-83), each an hour and a year after its element epoch, and the
# Molniya twenty years after. The last column is the cost against the ISS's.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

seconds=3
iterations=200
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --iterations) iterations="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "usage: $0 [--seconds N] [--iterations N]" >&2; exit 2 ;;
    esac
    shift
done

command -v valgrind >/dev/null || apt_install valgrind
build_server_and_loadgen
cargo build --release -q -p satloc-benches --bin satloc-icount
pick_cpus
out=target/per-object
mkdir -p "$out"

server_pid=""
# shellcheck disable=SC2317 # called by the trap (shellcheck 0.9 misses it)
stop_server() {
    if [[ -n $server_pid ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
trap stop_server EXIT

echo "| workload | name | now (frozen) | qps | p50 / p99 µs | instr/answer | vs LEO a year old |"
echo "|---|---|---|---:|---:|---:|---:|"
declare -A instructions
rows=()
while IFS=$'\t' read -r name qname now files; do
    catalogs=()
    for file in $files; do catalogs+=(--catalog "$file"); done
    log="$out/server-$name.log"
    taskset -c "$server_cpus" "$SERVER" --listen 127.0.0.1:0 --threads 1 \
        --now "$now" "${catalogs[@]}" >"$log" 2>&1 &
    server_pid=$!
    port=$(listening_port "$log" "$server_pid")
    taskset -c "$load_cpus" "$LOADGEN" -s 127.0.0.1 -p "$port" \
        --qname "$qname" --qtype LOC --edns -q 10 -l "${seconds}s" --json "$out/$name.json" \
        >"$out/loadgen-$name.txt" 2>&1
    stop_server
    instructions[$name]=$(instructions_per_answer "$name" "$iterations")
    rows+=("$name"$'\t'"$qname"$'\t'"$now")
done < <("$release_dir"/satloc-icount --scenes)

reference=${instructions[loc_leo_year]}
for row in "${rows[@]}"; do
    IFS=$'\t' read -r name qname now <<<"$row"
    python3 - "$out/$name.json" "$name" "$qname" "$now" "${instructions[$name]}" "$reference" <<'PY'
import json, sys
path, name, qname, now, instr, reference = sys.argv[1:]
run = json.load(open(path))
lat = run["latency_us"]
print(f"| {name} | {qname} | {now} | {run['qps']:,.0f} | {lat['p50']:,} / {lat['p99']:,} "
      f"| {int(instr):,} | {int(instr) / int(reference):.2f}x |")
PY
done
