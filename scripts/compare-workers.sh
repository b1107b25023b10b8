#!/usr/bin/env bash
# Benchmark (not a test): satloc with one worker against two, on this
# machine's two CPUs (docs/case-study.md, "More cores"). Configurations:
#
#   1w        satloc-server --cpus 0     one worker, on CPU 0
#   2w        satloc-server --cpus 0,1   a worker on each CPU, datagrams
#                                        steered to the receiving CPU's socket
#   2w-hash   satloc-server --threads 2  two workers anywhere on CPUs 0-1,
#                                        the kernel's flow hash picks the socket
#
# A two-CPU machine has no spare core for the generator, and on loopback the
# receive softirq runs on the sender's CPU: a generator on one CPU would put
# every query on that CPU, and steering would hand them all to that CPU's
# worker. So the load comes from two satloc-loadgen processes, one pinned to
# each CPU, each sending half (queries then arrive on both CPUs, as they do
# from a NIC with two RSS queues), with --spin 0 so a generator waiting for
# answers sleeps instead of taking CPU from a server on its core.
# Measurements, each for every configuration in turn, the order rotating,
# ROUNDS times:
#
#   rate      open loop, RATE queries per second in all. Server CPU per
#             answered query: user + system time of the server's threads
#             (/proc) over the run, divided by the answers; p50/p99 of each
#             generator (the larger shown). Also the share of the server's CPU
#             spent by the threads pinned to CPU 0, and the server's context
#             switches per answer (exact: how often its workers slept and
#             woke, which is what a smaller batch per worker costs).
#   saturate  closed loop, SAT_CONCURRENCY outstanding per generator, the
#             server's whole CPU capped by the cgroup v1 CPU controller at
#             CAP_PERCENT of one core (cpu.cfs_quota_us: a quota for the
#             cgroup, whichever CPUs it runs on), so 1w and 2w get the same
#             CPU time, spread over one or two cores. Whichever side ran out
#             is reported: the server at its quota, or the cores it may use
#             all busy (with the generators' work; /proc/stat, which also
#             counts anything else running on the machine).
#
# The kernel's receive work on loopback (IP and UDP input, the socket lookup
# and the steering program) runs in the sender's system call and is charged
# to the generator; the server's sendmmsg pays for the generator's side in
# turn.
#
#   scripts/compare-workers.sh                       # 5 s per run, 3 rounds: ~3 min
#   DURATION=2 ROUNDS=1 scripts/compare-workers.sh   # a quick look
#
# Environment: DURATION (seconds per run, 5), ROUNDS (3), RATE (60000 in
# all), CAP_PERCENT (40), SAT_CONCURRENCY (100 per generator), CONFIGS (all
# three above), MEASURE ("rate saturate"), NOW (2026-11-28T12:00:00Z). Needs
# two CPUs; needs root for the cgroup (without it, saturation is uncapped and
# the table says so).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
environment_settings_only "$@"

DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-3}"
RATE="${RATE:-60000}"
CAP_PERCENT="${CAP_PERCENT:-40}"
SAT_CONCURRENCY="${SAT_CONCURRENCY:-100}"
CONFIGS="${CONFIGS:-1w 2w 2w-hash}"
MEASURE="${MEASURE:-rate saturate}"
NOW="${NOW:-2026-11-28T12:00:00Z}"

for pair in "DURATION=$DURATION" "ROUNDS=$ROUNDS" "RATE=$RATE" "CAP_PERCENT=$CAP_PERCENT" \
    "SAT_CONCURRENCY=$SAT_CONCURRENCY"; do
    [[ ${pair#*=} =~ ^[1-9][0-9]*$ ]] ||
        { echo "compare-workers.sh: $pair: expected a whole number above zero" >&2; exit 2; }
done
((CAP_PERCENT <= 200)) || { echo "compare-workers.sh: CAP_PERCENT=$CAP_PERCENT: expected at most 200 (two cores)" >&2; exit 2; }
for config in $CONFIGS; do
    case "$config" in 1w|2w|2w-hash) ;;
        *) echo "compare-workers.sh: CONFIGS: unknown configuration '$config' (expected 1w, 2w, 2w-hash)" >&2; exit 2 ;;
    esac
done
for measure in $MEASURE; do
    [[ $measure == rate || $measure == saturate ]] ||
        { echo "compare-workers.sh: MEASURE: unknown measurement '$measure' (expected rate, saturate)" >&2; exit 2; }
done
grep -q '^Cpus_allowed_list:[[:space:]]*0-1\b\|^Cpus_allowed_list:[[:space:]]*0,1\b' /proc/self/status ||
    { echo "compare-workers.sh: needs CPUs 0 and 1 (this process may run on $(awk '/Cpus_allowed_list/ { print $2 }' /proc/self/status))" >&2; exit 2; }
if ! command -v python3 >/dev/null 2>&1 || ! command -v taskset >/dev/null 2>&1 || [[ ! -x /usr/bin/time ]]; then
    apt_install python3 util-linux time >&2
fi

build_server_and_loadgen

work=$(mktemp -d -t compare-workers.XXXXXX)
cgroot=/sys/fs/cgroup/cpu/compare-workers.$$
capped=no
if [[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]] && mkdir "$cgroot" 2>/dev/null; then
    capped=yes
else
    echo "warning: no writable cgroup v1 cpu controller at /sys/fs/cgroup/cpu: saturation runs are uncapped" >&2
fi
server_pid=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
    if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    if [[ $capped == yes ]]; then
        for _ in $(seq 50); do rmdir "$cgroot" 2>/dev/null && break; sleep 0.1; done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

set_cap() { # PERCENT of one core for the server's cgroup; 0 lifts it
    [[ $capped == yes ]] || return 0
    local period
    period=$(cat "$cgroot/cpu.cfs_period_us")
    if (($1 == 0)); then echo -1 >"$cgroot/cpu.cfs_quota_us"
    else echo $((period * $1 / 100)) >"$cgroot/cpu.cfs_quota_us"; fi
}
throttled() {
    if [[ $capped == yes ]]; then awk '$1 == "nr_throttled" { print $2 }' "$cgroot/cpu.stat"; else echo 0; fi
}

# cpu0_ticks PID: user + system ticks of the threads of PID pinned to CPU 0 alone.
cpu0_ticks() {
    local task total=0
    for task in /proc/"$1"/task/*; do
        grep -q '^Cpus_allowed_list:[[:space:]]*0$' "$task/status" 2>/dev/null || continue
        total=$((total + $(sed 's/.*) //' "$task/stat" | awk '{ print $12 + $13 }')))
    done
    echo "$total"
}

# switches PID: context switches so far of all the threads of PID (voluntary:
# a worker blocked for its next batch; involuntary: preempted). An exact
# count: how many times the workers went to sleep and woke per answer.
switches() {
    cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches:/ { n += $2 } END { print n + 0 }'
}

# cpu_jiffies: "busy idle" jiffies of CPU 0 and of CPU 1 so far (/proc/stat;
# iowait counts as idle), everything on the machine included.
cpu_jiffies() {
    awk '$1 == "cpu0" || $1 == "cpu1" { idle = $5 + $6; busy = 0; for (i = 2; i <= NF; i++) busy += $i; printf "%d %d ", busy - idle, idle }' /proc/stat
}

# start CONFIG: the server in that configuration, in the cgroup, on a free
# port; sets server_pid and port.
start() {
    local flags
    case "$1" in
        1w) flags=(--cpus 0) ;;
        2w) flags=(--cpus "0,1") ;;
        2w-hash) flags=(--threads 2) ;;
    esac
    local launch=(taskset -c "0,1" "$SERVER" "${flags[@]}" --now "$NOW" --listen 127.0.0.1:0)
    if [[ $capped == yes ]]; then
        bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$cgroot" "${launch[@]}" \
            >"$work/server.log" 2>&1 &
    else
        "${launch[@]}" >"$work/server.log" 2>&1 &
    fi
    server_pid=$!
    port=$(listening_port "$work/server.log" "$server_pid")
    # A second's load, unmeasured: caches and buffers warm.
    "$LOADGEN" -s 127.0.0.1 -p "$port" -d "$work/queries.txt" --rate 10000 -l 1s --quiet >/dev/null 2>&1 || true
}
stop() {
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# generate KIND: the two generators, one pinned to each CPU, at once.
generate() {
    local cpu cmd pids=()
    for cpu in 0 1; do
        cmd=("$LOADGEN" -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l "${DURATION}s" -t 1s
            --spin 0 --quiet --json "$work/gen$cpu.json")
        if [[ $1 == rate ]]; then cmd+=(--rate $((RATE / 2))); else cmd+=(-q "$SAT_CONCURRENCY"); fi
        taskset -c "$cpu" /usr/bin/time -f "%U %S" -o "$work/gen$cpu.time" "${cmd[@]}" >"$work/gen$cpu.out" 2>&1 &
        pids+=($!)
    done
    for cpu in 0 1; do
        wait "${pids[cpu]}" || { cat "$work/gen$cpu.out" >&2; echo "compare-workers.sh: generator on CPU $cpu failed" >&2; exit 1; }
    done
}

# measure CONFIG KIND ROUND: one run, appended to $results.
measure() {
    local config=$1 kind=$2 round=$3 before after before0 after0 thr_before thr_after jiffies_before jiffies_after switches_before switches_after
    [[ $kind == rate ]] || set_cap "$CAP_PERCENT"
    before=$(tree_cpu_ticks "$server_pid"); before0=$(cpu0_ticks "$server_pid"); thr_before=$(throttled)
    jiffies_before=$(cpu_jiffies); switches_before=$(switches "$server_pid")
    generate "$kind"
    jiffies_after=$(cpu_jiffies); switches_after=$(switches "$server_pid")
    after=$(tree_cpu_ticks "$server_pid"); after0=$(cpu0_ticks "$server_pid"); thr_after=$(throttled)
    set_cap 0
    python3 - "$work" "$config" "$kind" "$round" $((after - before)) $((after0 - before0)) \
        $((thr_after - thr_before)) "$jiffies_before" "$jiffies_after" $((switches_after - switches_before)) \
        >>"$results" <<'PY'
import json, sys
work, config, kind, rnd, ticks, ticks0, throttled, j0, j1, switches = sys.argv[1:]
# Busy share of CPU 0 and CPU 1 over the run.
j0, j1 = [int(x) for x in j0.split()], [int(x) for x in j1.split()]
busy = []
for c in (0, 1):
    b, i = j1[2 * c] - j0[2 * c], j1[2 * c + 1] - j0[2 * c + 1]
    busy.append(f"{b / max(b + i, 1) * 100:.0f}")
completed = failed = 0
qps = gen_cpu = 0.0
p50s, p99s = [], []
for cpu in (0, 1):
    j = json.load(open(f"{work}/gen{cpu}.json"))
    completed += j["completed"]; qps += j["qps"]
    failed += (j.get("lost") or 0) + j["completed"] - (j.get("rcodes") or {}).get("NOERROR", 0)
    p50s.append(j["latency_us"]["p50"]); p99s.append(j["latency_us"]["p99"])
    user, system = open(f"{work}/gen{cpu}.time").read().split()[-2:]
    gen_cpu += float(user) + float(system)
print(config, kind, rnd, qps, completed, failed, max(p50s), max(p99s), ticks, ticks0,
      gen_cpu, throttled, "/".join(busy), switches, sep="\t")
PY
}

echo "; dnsperf format: name TYPE" >"$work/queries.txt"
for name in iss hubble css; do echo "$name.sat.example LOC" >>"$work/queries.txt"; done
results="$work/results.tsv"
: >"$results"
read -r -a configs <<<"$CONFIGS"
read -r -a measures <<<"$MEASURE"
echo "==> ${#configs[@]} configurations x ${#measures[@]} measurements x $ROUNDS rounds, ${DURATION}s each; generators on CPU 0 and CPU 1" >&2
for round in $(seq "$ROUNDS"); do
    for i in "${!configs[@]}"; do
        # Take turns going first.
        config=${configs[$(((i + round) % ${#configs[@]}))]}
        start "$config"
        for kind in "${measures[@]}"; do
            echo "==> round $round/$ROUNDS: $config $kind" >&2
            measure "$config" "$kind" "$round"
        done
        stop
    done
done

python3 - "$results" "$CONFIGS" "$(getconf CLK_TCK)" "$DURATION" "$RATE" "$CAP_PERCENT" "$capped" \
    "$SAT_CONCURRENCY" "$(git rev-parse --short HEAD)" <<'PY'
import statistics, sys
path, configs, hz, duration, rate, cap, capped, conc, commit = sys.argv[1:]
hz, duration = int(hz), float(duration)
rows = [line.rstrip("\n").split("\t") for line in open(path) if line.strip()]
def median_row(config, kind, key):
    runs = [r for r in rows if r[0] == config and r[1] == kind]
    if not runs:
        return None, 0
    runs.sort(key=key)
    return runs[len(runs) // 2], len(runs)
def us_per_answer(r):
    return int(r[8]) / hz / max(int(r[4]), 1) * 1e6
print(f"satloc {commit}, {len(set(r[2] for r in rows))} rounds of {duration:g} s; two satloc-loadgen "
      "processes, one pinned to each CPU, --spin 0; medians of the rounds")
print()
print(f"| at {int(rate):,} qps in all | server CPU per answer | server context switches per answer | share on CPU 0's threads | p50 / p99 (µs) | lost |")
print("|---|---:|---:|---:|---:|---:|")
for config in configs.split():
    r, n = median_row(config, "rate", us_per_answer)
    if r:
        share = "n/a (unpinned)" if config == "2w-hash" else f"{int(r[9]) / max(int(r[8]), 1) * 100:.0f} %"
        per = int(r[13]) / max(int(r[4]), 1)
        print(f"| {config} | {us_per_answer(r):.2f} µs | {per:.2f} | {share} | {float(r[6]):.0f} / {float(r[7]):.0f} | {r[5]} |")
print()
cap_text = f"server capped at {cap} % of one core" if capped == "yes" else "server UNCAPPED (no cgroup)"
print(f"| saturation, {cap_text}, {conc} outstanding per generator | qps | server CPU (of its quota) | generators' CPU | CPU 0 / CPU 1 busy | server switches per answer | ran out first |")
print("|---|---:|---:|---:|---:|---:|---|")
for config in configs.split():
    r, n = median_row(config, "saturate", lambda r: float(r[3]))
    if not r:
        continue
    server_s = int(r[8]) / hz
    quota_s = duration * int(cap) / 100 if capped == "yes" else duration * 2
    gen_s = float(r[10])
    server_use = server_s / quota_s * 100
    cores = [int(x) for x in r[12].split("/")]
    # The server at >= 90 % of its quota ran out of quota; else, with the
    # cores it may use all busy, the cores (shared with the generators) did.
    usable = cores[:1] if config == "1w" else cores
    if capped == "yes" and server_use >= 90:
        side = "server (at its quota)"
    elif min(usable) >= 95:
        side = "the cores (server and generators share them)"
    else:
        side = "neither: both below their limits (waiting on each other)"
    print(f"| {config} | {float(r[3]):,.0f} | {server_use:.0f} % ({server_s:.2f} s, {r[11]} throttled periods) | "
          f"{gen_s:.2f} s | {r[12]} % | {int(r[13]) / max(int(r[4]), 1):.3f} | {side} |")
PY
