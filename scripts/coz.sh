#!/usr/bin/env bash
# Causal profile of satloc-server under load.
#
#   scripts/coz.sh [--seconds N] [--concurrency N] [--append] [--out DIR]
#                  [--fixed-line FILE:LINE] [--scope-crate NAME]... [-- server flags...]
#
# Installs coz-profiler from Debian if missing, builds the server with the
# `profiling` profile and the `coz` feature (GNU ld, frame pointers: see
# docs/profiling.md, "Building for profiling"), runs it under `coz run` with
# the source scope limited to this workspace's server sources, drives it with
# satloc-loadgen (closed loop, concurrency 10 by default) for --seconds, stops
# it with SIGINT so coz writes its last samples, and leaves
#
#   target/coz/profile.coz     the profile (appended to with --append)
#   target/coz/report.txt      satloc-prof coz-report's table
#   target/coz/speedup.svg     the speedup curves
#   target/coz/loadgen.json    what the load generator measured
#
# --fixed-line FILE:LINE (relative to the workspace, e.g.
# server/src/engine/udp_spawn.rs:44) makes every experiment use that one line
# (coz's --fixed-line): a tight curve for a suspect in the same time, instead
# of experiments spread over every line coz samples.
#
# --scope-crate NAME (repeatable) adds a dependency's sources to coz's source
# scope, from the directory `cargo metadata` gives for it, e.g. tokio: its
# scheduler's lines then get samples and experiments of their own instead of
# being credited to the server line that called into them (the case study's
# spawn test, docs/case-study.md, "What coz says").
#
# Server and load generator are pinned to different CPUs (taskset) when there
# are at least two. Extra arguments after `--` go to satloc-server, e.g.
#   scripts/coz.sh --seconds 600 -- --udp-engine spawn --threads 1
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
root=$(pwd -P) # physical, as in the debug info coz reads

seconds=420
concurrency=10
append=0
out=target/coz
fixed_line=""
scope_crates=()
server_args=()
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --concurrency) concurrency="$2"; shift ;;
        --append) append=1 ;;
        --out) out="$2"; shift ;;
        --fixed-line) fixed_line="$2"; shift ;;
        --scope-crate) scope_crates+=("$2"); shift ;;
        --) shift; server_args=("$@"); break ;;
        -h|--help) usage; exit 0 ;;
        *) server_args+=("$1") ;;
    esac
    shift
done

command -v coz >/dev/null || apt_install coz-profiler
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)
if ((paranoid > 2)) && [[ $(id -u) -ne 0 ]]; then
    echo "kernel.perf_event_paranoid is $paranoid: coz cannot sample. Run as root or: sudo sysctl kernel.perf_event_paranoid=2" >&2
    exit 1
fi

echo "==> building satloc-server (profiling profile, coz feature, GNU ld, frame pointers)"
CARGO_TARGET_DIR=$target_dir/coz-build \
RUSTFLAGS="-C linker-features=-lld -C force-frame-pointers=yes" \
    cargo build -q --profile profiling -p satloc-server --features coz
echo "==> building satloc-loadgen and satloc-prof"
cargo build -q --release -p satloc-loadgen -p satloc-prof

server_bin=$target_dir/coz-build/profiling/satloc-server
mkdir -p "$out"
((append)) || rm -f "$out/profile.coz"

pick_cpus

coz_args=(-s "$root/server/%" -o "$out/profile.coz")
scope="$root/server/%"
for crate in "${scope_crates[@]}"; do
    dir=$(crate_source_dir "$crate") || exit 2
    coz_args+=(-s "$dir/%")
    scope+=", $dir/%"
done
if [[ -n $fixed_line ]]; then
    [[ $fixed_line == /* ]] || fixed_line="$root/$fixed_line"
    [[ -f ${fixed_line%:*} ]] || { echo "--fixed-line: no such file ${fixed_line%:*}" >&2; exit 2; }
    coz_args+=(--fixed-line "$fixed_line")
fi

log="$out/server.log"
echo "==> coz run satloc-server ${server_args[*]:-} (scope: $scope${fixed_line:+; fixed line $fixed_line})"
taskset -c "$server_cpus" coz run "${coz_args[@]}" --- \
    "$server_bin" --listen 127.0.0.1:0 "${server_args[@]}" >"$log" 2>&1 &
coz_pid=$!
server_pid=""
# On any exit, stop what this run started: the server with SIGINT, so it still
# writes coz's samples and coz exits after it; coz itself only when there is
# no server (an interrupted coz kills its child outright).
# shellcheck disable=SC2317 # called by the trap (shellcheck 0.9 misses it)
stop_started() {
    if [[ -n $server_pid ]]; then
        kill -INT "$server_pid" 2>/dev/null || true
    else
        kill -INT "$coz_pid" 2>/dev/null || true
    fi
    wait "$coz_pid" 2>/dev/null || true
}
trap stop_started EXIT

port=$(listening_port "$log" "$coz_pid") || exit 1
# The server is coz's child: found through the process tree, never by name,
# which could pick another run's server.
server_pid=$(child_pid "$coz_pid" "$server_bin")
[[ -n $server_pid ]] || { echo "no $server_bin under coz (pid $coz_pid); log: $log" >&2; exit 1; }

echo "==> load: closed loop, concurrency $concurrency, ${seconds}s, LOC iss.sat.example on port $port"
taskset -c "$load_cpus" "$release_dir"/satloc-loadgen -s 127.0.0.1 -p "$port" \
    --qname iss.sat.example --qtype LOC --edns -q "$concurrency" -l "${seconds}s" --warmup 2s \
    --quiet --json "$out/loadgen.json" || true

# SIGINT: the server shuts down cleanly and coz writes its final samples.
kill -INT "$server_pid"
wait "$coz_pid" || true
trap - EXIT

echo "==> report"
status=0
"$release_dir"/satloc-prof coz-report "$out/profile.coz" --svg "$out/speedup.svg" | tee "$out/report.txt" || status=$?
echo "profile: $out/profile.coz  report: $out/report.txt  curves: $out/speedup.svg"
exit "$status"
