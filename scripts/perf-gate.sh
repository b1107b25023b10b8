#!/usr/bin/env bash
# Gate a change on measured latency and throughput: builds satloc-server at
# BASE (a git ref, default main) and from the working tree, runs the same load
# against each, ROUNDS times in turn (base, current, base, ...), on this
# machine (the server on CPU 0, the generator on CPU 1; one satloc-loadgen,
# built from the working tree, measures both), and judges the current build's
# rounds against the base's with `satloc-loadgen compare`. The exit status is
# compare's: 0 pass, 1 regression, 2 inputs that cannot be compared. When to
# use this and when the instruction-count gate is enough:
# docs/benchmarking.md, "Gating a pull request".
#
#   scripts/perf-gate.sh [BASE]                                  # default main
#   ROUNDS=7 DURATION=10s WARMUP=2s THRESHOLD=5 OUT=perf scripts/perf-gate.sh origin/main
#   LOAD="--rate 50k" scripts/perf-gate.sh main                  # latency at a fixed rate
#   SERVER_ARGS="--threads 1 --udp-engine uring" scripts/perf-gate.sh main
#   CURRENT_ARGS="--udp-engine spawn" scripts/perf-gate.sh HEAD  # a setting under test, not a commit
#
# Environment: ROUNDS (5), DURATION (10s) and WARMUP (2s) per round,
# THRESHOLD (5, percent), LOAD (satloc-loadgen's load options, default
# "--concurrency 10", the case study's closed loop: it shows a costlier
# answer as fewer answers per second and a longer median, where an open loop
# well below capacity hides it), SERVER_ARGS (both servers, default
# "--threads 1"), CURRENT_ARGS (the current server only), OUT.
#
# The base is built from a temporary git worktree into its own target
# directory (target/perf-gate-base, kept so the next gate only rebuilds what
# changed). OUT (default: a temporary directory, removed) receives
# base-N.json and current-N.json for each round, compare.txt and
# current.bmf.json.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

base_ref="${1:-main}"
ROUNDS="${ROUNDS:-5}"
read -r -a load <<<"${LOAD:---concurrency 10}"
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-2s}"
THRESHOLD="${THRESHOLD:-5}"
read -r -a server_args <<<"${SERVER_ARGS:---threads 1}"
read -r -a current_args <<<"${CURRENT_ARGS:-}"
git rev-parse --verify --quiet "$base_ref^{commit}" >/dev/null || {
    echo "perf-gate.sh: $base_ref is not a commit in this repository" >&2
    exit 2
}
pick_cpus
command -v taskset >/dev/null 2>&1 || apt_install util-linux >&2

work=$(mktemp -d -t perf-gate.XXXXXX)
out="${OUT:-$work/out}"
mkdir -p "$out"
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then
        kill -INT "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    git worktree remove --force "$work/base" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

build_server_and_loadgen
echo "==> building satloc-server at $base_ref ($(git rev-parse --short "$base_ref"))" >&2
git worktree add --quiet --detach "$work/base" "$base_ref"
base_target="$target_dir/perf-gate-base"
(cd "$work/base" && CARGO_TARGET_DIR="$base_target" cargo build --release -q -p satloc-server)
base_server="$base_target/release/satloc-server"

# measure NAME SERVER [ARG...]: a run of LOAD against SERVER started with
# SERVER_ARGS and ARGs, its JSON to OUT/NAME.json.
measure() {
    local name=$1 server=$2 port
    shift 2
    local args=("${server_args[@]}" "$@")
    taskset -c "$server_cpus" "$server" "${args[@]}" --listen 127.0.0.1:0 \
        >"$work/$name.log" 2>&1 &
    server_pid=$!
    port=$(listening_port "$work/$name.log" "$server_pid")
    echo "==> $name: satloc-server ${args[*]} (CPU $server_cpus); satloc-loadgen ${load[*]} for $DURATION (CPU $load_cpus)" >&2
    taskset -c "$load_cpus" "$LOADGEN" -s 127.0.0.1 -p "$port" --qname iss.sat.example \
        --qtype LOC --edns "${load[@]}" --duration "$DURATION" --warmup "$WARMUP" --quiet \
        --json "$out/$name.json" >/dev/null
    kill -INT "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}
base_rounds=()
current_rounds=()
for round in $(seq 1 "$ROUNDS"); do
    measure "base-$round" "$base_server"
    measure "current-$round" "$SERVER" "${current_args[@]}"
    base_rounds+=("$out/base-$round.json")
    current_rounds+=("$out/current-$round.json")
done

status=0
"$LOADGEN" compare --threshold "$THRESHOLD" --bmf "$out/current.bmf.json" --name satloc-server \
    "$(IFS=,; echo "${base_rounds[*]}")" "$(IFS=,; echo "${current_rounds[*]}")" \
    | tee "$out/compare.txt" || status=${PIPESTATUS[0]}
exit "$status"
