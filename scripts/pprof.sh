#!/usr/bin/env bash
# CPU profile of satloc-server under load, with pprof-rs.
#
#   scripts/pprof.sh [--seconds N] [--concurrency N] [--top N] [-- server flags...]
#
# Builds the server with the `profiling` profile (release code, full debug info)
# and the `pprof` feature, starts it with `--cpu-profile` for both output
# formats, drives it with satloc-loadgen (closed loop, concurrency 10 by
# default) for --seconds, stops it with SIGINT, and leaves
#
#   target/profiles/flamegraph.svg   open in a browser
#   target/profiles/profile.pb       gzip'd pprof protobuf (go tool pprof, pprof)
#   target/profiles/loadgen.json     what the load generator measured
#
# then prints the top functions by CPU time (satloc-prof pprof-top).
# Server and load generator run on different CPUs (taskset). Extra arguments
# after `--` go to satloc-server, e.g. `-- --udp-engine spawn --threads 1`.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

seconds=20
concurrency=10
top=25
server_args=()
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --concurrency) concurrency="$2"; shift ;;
        --top) top="$2"; shift ;;
        --) shift; server_args=("$@"); break ;;
        -h|--help) usage; exit 0 ;;
        *) server_args+=("$1") ;;
    esac
    shift
done

echo "==> building satloc-server (profiling profile, pprof feature), satloc-loadgen, satloc-prof"
cargo build -q --profile profiling -p satloc-server --features pprof
cargo build -q --release -p satloc-loadgen
cargo build -q --release -p satloc-prof

out=target/profiles
mkdir -p "$out"
rm -f "$out/flamegraph.svg" "$out/profile.pb"
pick_cpus

log="$out/server.log"
taskset -c "$server_cpus" "$target_dir"/profiling/satloc-server --listen 127.0.0.1:0 \
    --cpu-profile "$out/flamegraph.svg" --cpu-profile "$out/profile.pb" "${server_args[@]}" >"$log" 2>&1 &
server_pid=$!
trap 'kill -INT "$server_pid" 2>/dev/null || true' EXIT

port=$(listening_port "$log" "$server_pid") || exit 1

echo "==> load: closed loop, concurrency $concurrency, ${seconds}s, LOC iss.sat.example on port $port"
taskset -c "$load_cpus" "$release_dir"/satloc-loadgen -s 127.0.0.1 -p "$port" \
    --qname iss.sat.example --qtype LOC --edns -q "$concurrency" -l "${seconds}s" --warmup 1s \
    --quiet --json "$out/loadgen.json" || true

kill -INT "$server_pid"
wait "$server_pid" || { cat "$log" >&2; echo "server failed" >&2; exit 1; }
trap - EXIT
[[ -s $out/profile.pb && -s $out/flamegraph.svg ]] || { cat "$log" >&2; echo "no profile written" >&2; exit 1; }

echo "==> top functions (satloc-prof pprof-top $out/profile.pb)"
"$release_dir"/satloc-prof pprof-top "$out/profile.pb" --top "$top"
echo "flamegraph: $out/flamegraph.svg  profile: $out/profile.pb"
