#!/usr/bin/env bash
# Causal profile of satloc-server under load.
#
#   scripts/coz.sh [--seconds N] [--concurrency N] [--append] [--out DIR]
#                  [--fixed-line FILE:LINE] [-- server flags...]
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
# Server and load generator are pinned to different CPUs (taskset) when there
# are at least two. Extra arguments after `--` go to satloc-server, e.g.
#   scripts/coz.sh --seconds 600 -- --udp-engine spawn --threads 1
set -euo pipefail
cd "$(dirname "$0")/.."
# Where cargo puts binaries (CARGO_TARGET_DIR is honoured).
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-target}")
release_dir=$target_dir/release
root=$PWD

seconds=420
concurrency=10
append=0
out=target/coz
fixed_line=""
server_args=()
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --concurrency) concurrency="$2"; shift ;;
        --append) append=1 ;;
        --out) out="$2"; shift ;;
        --fixed-line) fixed_line="$2"; shift ;;
        --) shift; server_args=("$@"); break ;;
        -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
        *) server_args+=("$1") ;;
    esac
    shift
done

sudo_cmd=(); [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
if ! command -v coz >/dev/null; then
    echo "==> installing coz-profiler"
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq coz-profiler
fi
paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo 2)
if ((paranoid > 2)) && [[ $(id -u) -ne 0 ]]; then
    echo "kernel.perf_event_paranoid is $paranoid: coz cannot sample. Run as root or: sudo sysctl kernel.perf_event_paranoid=2" >&2
    exit 1
fi

echo "==> building satloc-server (profiling profile, coz feature, GNU ld, frame pointers)"
CARGO_TARGET_DIR=target/coz-build \
RUSTFLAGS="-C linker-features=-lld -C force-frame-pointers=yes" \
    cargo build -q --profile profiling -p satloc-server --features coz
echo "==> building satloc-loadgen and satloc-prof"
cargo build -q --release -p satloc-loadgen -p satloc-profiling

server_bin=target/coz-build/profiling/satloc-server
mkdir -p "$out"
((append)) || rm -f "$out/profile.coz"

server_cpus=0; load_cpus=1
if (($(nproc) < 2)); then server_cpus=0; load_cpus=0; fi

coz_args=(-s "$root/server/%" -o "$out/profile.coz")
if [[ -n $fixed_line ]]; then
    [[ $fixed_line == /* ]] || fixed_line="$root/$fixed_line"
    [[ -f ${fixed_line%:*} ]] || { echo "--fixed-line: no such file ${fixed_line%:*}" >&2; exit 2; }
    coz_args+=(--fixed-line "$fixed_line")
fi

log="$out/server.log"
echo "==> coz run satloc-server ${server_args[*]:-} (scope: $root/server/%${fixed_line:+, fixed line $fixed_line})"
taskset -c "$server_cpus" coz run "${coz_args[@]}" --- \
    "$server_bin" --listen 127.0.0.1:0 "${server_args[@]}" >"$log" 2>&1 &
coz_pid=$!
cleanup() { kill -INT "$coz_pid" 2>/dev/null || true; }
trap cleanup EXIT

port=""
for _ in $(seq 1 200); do
    port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
    [[ -n $port ]] && break
    kill -0 "$coz_pid" 2>/dev/null || { cat "$log" >&2; echo "server did not start" >&2; exit 1; }
    sleep 0.1
done
[[ -n $port ]] || { cat "$log" >&2; echo "server did not say where it listens" >&2; exit 1; }

echo "==> load: closed loop, concurrency $concurrency, ${seconds}s, LOC iss.sat.example on port $port"
taskset -c "$load_cpus" "$release_dir"/satloc-loadgen -s 127.0.0.1 -p "$port" \
    --qname iss.sat.example --qtype LOC --edns -q "$concurrency" -l "${seconds}s" --warmup 2s \
    --quiet --json "$out/loadgen.json" || true

# SIGINT: the server shuts down cleanly and coz writes its final samples.
# The server runs as coz's child; signal it, then wait for coz to exit.
server_pid=$(pgrep -n -f "^$server_bin" || true)
[[ -n $server_pid ]] && kill -INT "$server_pid"
wait "$coz_pid" || true
trap - EXIT

echo "==> report"
status=0
"$release_dir"/satloc-prof coz-report "$out/profile.coz" --svg "$out/speedup.svg" | tee "$out/report.txt" || status=$?
echo "profile: $out/profile.coz  report: $out/report.txt  curves: $out/speedup.svg"
exit "$status"
