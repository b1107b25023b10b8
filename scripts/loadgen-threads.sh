#!/usr/bin/env bash
# Benchmark (not a test): does satloc-loadgen's --threads scale, and what
# does each thread cost? Against the echo floor (`satloc-server --echo-floor`,
# every query sent back with QR set, no DNS work), loopback, LOC with EDNS.
#
#   scripts/loadgen-threads.sh [--seconds N] [--rounds N] [--levels "100 1000"]
#                              [--rate QPS] [--cases "NAME..."]
#
# Cases (server on CPU 0 with one worker unless said otherwise):
#
#   t1            -T 1 on CPU 1                      the baseline
#   t2-one-core   -T 2 on CPU 1                      what a second thread costs
#                                                    when it has no core of its own
#   t2-two-cores  -T 2 on CPUs 0-1                   the generator's second thread
#                                                    shares the server's core
#   t2-echo2      -T 2 on CPUs 0-1, the echo floor   all four threads on both
#                 with --threads 2 on CPUs 0-1       cores, as a small host would
#
# each closed loop at every --levels concurrency (default 100 and 1000), and
# t1 and t2-one-core also as an open loop at --rate (default 100000) qps, where
# both do the same work and only the cost differs. --rounds (default 3) rounds,
# the cases rotating; the table shows each cell's median-qps round.
#
# CPU comes from /proc: the generator's threads (/proc/PID/task/TID/stat) and
# the server's (all threads) are read 0.5 s after the run starts and 0.5 s
# before it ends, so the window is (seconds - 1) s of steady load; CPU per
# query is that CPU over (qps x window). The generator's system calls are
# counted exactly over its whole run (`perf stat`, syscall tracepoints;
# installs linux-perf if missing), per query sent. Output: the table on
# stdout, each run's files in $CARGO_TARGET_DIR/loadgen-threads. "ran out first" says *server*
# when the server used at least 90 % of the cores it may use, *generator*
# when the generator did, *the shared cores* when the two share cores and
# together used 90 % of them, *other work* when neither did but all the
# machine's CPUs were at least 90 % busy (/proc/stat), *neither* otherwise.
# Takes about (cases x levels + 2) x rounds x (seconds + 2) s: 2 minutes with
# the defaults (5 s runs).
#
# Timed figures move with whatever else runs on the machine: on a shared one,
# say so next to the table, and re-run it on a quiet one to replace them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

seconds=5
rounds=3
levels="100 1000"
rate=100000
cases="t1 t2-one-core t2-two-cores t2-echo2"
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --rounds) rounds="$2"; shift ;;
        --levels) levels="$2"; shift ;;
        --rate) rate="$2"; shift ;;
        --cases) cases="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
((seconds >= 3)) || { echo "--seconds: at least 3 (0.5 s at each end is left out)" >&2; exit 2; }
(($(nproc) >= 2)) || { echo "this needs at least 2 CPUs" >&2; exit 1; }

command -v perf >/dev/null 2>&1 || apt_install linux-perf >&2
perf stat -e syscalls:sys_enter_ppoll true >/dev/null 2>&1 ||
    { echo "perf cannot count system calls here (tracepoints; perf_event_paranoid, or not root)" >&2; exit 1; }
# The generator's system calls over its whole run, all threads.
events=syscalls:sys_enter_recvmmsg,syscalls:sys_enter_sendmmsg,syscalls:sys_enter_ppoll
perf_stat=(perf stat -x "," -e "$events")
build_server_and_loadgen
out=$target_dir/loadgen-threads
mkdir -p "$out"
rm -f "$out"/*.json "$out"/*.cpu "$out"/*.log "$out"/results.tsv
tick=$(getconf CLK_TCK)

# case -> "server threads|server CPUs|generator threads|generator CPUs"
declare -A setup=(
    [t1]="1|0|1|1"
    [t2-one-core]="1|0|2|1"
    [t2-two-cores]="1|0|2|0,1"
    [t2-echo2]="2|0,1|2|0,1"
)
for name in $cases; do
    [[ -n ${setup[$name]:-} ]] || { echo "--cases: unknown case $name (known: ${!setup[*]})" >&2; exit 2; }
done

server_pid=""
load_pid=""
# shellcheck disable=SC2317 # called by the trap (shellcheck 0.9 misses it)
stop_started() {
    local pid
    for pid in $load_pid $server_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}
trap stop_started EXIT

# thread_ticks PID: "user+system ticks" of each thread of PID, one per line,
# the thread's name first.
thread_ticks() {
    local stat
    for stat in /proc/"$1"/task/*/stat; do
        sed 's/^[0-9]* (\(.*\)) /\1 /' "$stat" 2>/dev/null | awk '{ print $1, $14 + $15 }'
    done
}

# machine_ticks: "busy total" clock ticks of all CPUs so far (/proc/stat):
# busy is everything but idle and iowait, whoever ran.
machine_ticks() {
    awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat
}

start_server() { # threads cpus
    local log="$out/server.log"
    taskset -c "$2" "$SERVER" --echo-floor --threads "$1" --listen 127.0.0.1:0 >"$log" 2>&1 &
    server_pid=$!
    port=$(listening_port "$log" "$server_pid") || exit 1
}

stop_server() {
    kill -INT "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
}

# run_one CASE LOAD ROUND: LOAD is "q=N" (closed loop) or "rate=N" (open).
run_one() {
    local name=$1 load=$2 round=$3 server_threads server_cpus threads cpus
    IFS='|' read -r server_threads server_cpus threads cpus <<<"${setup[$name]}"
    local tag="$name-$load-$round" load_args=()
    case $load in
        q=*) load_args=(-q "${load#q=}") ;;
        rate=*) load_args=(-Q "${load#rate=}") ;;
    esac
    start_server "$server_threads" "$server_cpus"
    "$LOADGEN" -s 127.0.0.1 -p "$port" --qname iss.sat.example --qtype LOC --edns \
        --requests 1000 --quiet >/dev/null 2>&1 || true # warm the server's path
    # No warm-up: the server's path is warm, and perf counts the process's
    # whole life, so every query it sent is a measured one.
    taskset -c "$cpus" "${perf_stat[@]}" -o "$out/$tag.perf" -- "$LOADGEN" -s 127.0.0.1 -p "$port" \
        --qname iss.sat.example --qtype LOC --edns -T "$threads" "${load_args[@]}" -l "${seconds}s" \
        --quiet --json "$out/$tag.json" >"$out/$tag.log" 2>&1 &
    load_pid=$!
    sleep 0.5
    local gen_pid
    gen_pid=$(child_pid "$load_pid" "$LOADGEN")
    [[ -n $gen_pid ]] || { cat "$out/$tag.log" >&2; echo "no $LOADGEN under perf (pid $load_pid)" >&2; exit 1; }
    { echo "t0 $(date +%s.%N)"; thread_ticks "$gen_pid" | sed 's/^/gen0 /'
      echo "srv0 x $(tree_cpu_ticks "$server_pid")"; echo "all0 $(machine_ticks)"; } >"$out/$tag.cpu"
    sleep "$((seconds - 1))"
    { echo "t1 $(date +%s.%N)"; thread_ticks "$gen_pid" | sed 's/^/gen1 /'
      echo "srv1 x $(tree_cpu_ticks "$server_pid")"; echo "all1 $(machine_ticks)"; } >>"$out/$tag.cpu"
    wait "$load_pid" || { cat "$out/$tag.log" >&2; exit 1; }
    load_pid=""
    stop_server
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$load" "$round" "$threads" "$cpus" "$server_cpus" \
        >>"$out/results.tsv"
}

runs=()
for name in $cases; do
    for level in $levels; do runs+=("$name q=$level"); done
    case $name in t1|t2-one-core) runs+=("$name rate=$rate") ;; esac
done
echo "==> ${#runs[@]} runs x $rounds rounds, ${seconds}s each (+1 s warm-up)" >&2
for round in $(seq "$rounds"); do
    for i in "${!runs[@]}"; do
        # Rotate the order so no case always runs first or last.
        read -r name load <<<"${runs[$(((i + round) % ${#runs[@]}))]}"
        echo "==> round $round/$rounds: $name $load" >&2
        run_one "$name" "$load" "$round"
    done
done

python3 - "$out" "$tick" "$seconds" "$rounds" <<'PY'
import json, sys
from collections import defaultdict
out, tick, seconds, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
cells = defaultdict(list)
order = []
for line in open(f"{out}/results.tsv"):
    name, load, rnd, threads, gen_cpus, srv_cpus = line.split()
    gen_set, srv_set = set(gen_cpus.split(",")), set(srv_cpus.split(","))
    tag = f"{name}-{load}-{rnd}"
    doc = json.load(open(f"{out}/{tag}.json"))
    t, gen, srv, machine = {}, defaultdict(dict), {}, {}
    for row in open(f"{out}/{tag}.cpu"):
        f = row.split()
        if f[0] in ("t0", "t1"):
            t[f[0]] = float(f[1])
        elif f[0] in ("gen0", "gen1"):
            gen[f[1]][f[0]] = int(f[2])
        elif f[0] in ("all0", "all1"):
            machine[f[0]] = (int(f[1]), int(f[2]))
        else:
            srv[f[0]] = int(f[2])
    window = t["t1"] - t["t0"]
    syscalls = {}
    for row in open(f"{out}/{tag}.perf"):
        f = row.strip().split(",")
        if len(f) > 2 and f[2].startswith("syscalls:sys_enter_"):
            syscalls[f[2].removeprefix("syscalls:sys_enter_")] = int(f[0])
    workers = sorted(k for k in gen if k.startswith("loadgen-"))
    per_thread = [(gen[k].get("gen1", 0) - gen[k].get("gen0", 0)) / tick / window for k in workers]
    gen_all = sum(v.get("gen1", 0) - v.get("gen0", 0) for v in gen.values()) / tick / window
    srv_use = (srv["srv1"] - srv["srv0"]) / tick / window
    busy = (machine["all1"][0] - machine["all0"][0]) / max(machine["all1"][1] - machine["all0"][1], 1)
    qps = doc["qps"]
    if gen_set & srv_set and gen_all + srv_use >= 0.9 * len(gen_set | srv_set):
        first = f"the {len(gen_set | srv_set)} shared cores"
    elif srv_use >= 0.9 * len(srv_set):
        first = "server"
    elif gen_all >= 0.9 * len(gen_set):
        first = "generator"
    elif busy >= 0.9:
        first = f"other work (all CPUs {busy:.0%} busy)"
    else:
        first = "neither"
    key = (name, load)
    if key not in cells:
        order.append(key)
    cells[key].append(dict(qps=qps, calls={k: v / max(doc["sent"], 1) for k, v in syscalls.items()}, lost=doc["lost"], us=gen_all / qps * 1e6 if qps else float("nan"),
                           per_thread=per_thread, gen=gen_all, srv=srv_use, first=first,
                           srv_cores=len(srv_set), gen_cores=len(gen_set)))
print(f"satloc-loadgen --threads against the echo floor; {seconds} s per run ({seconds - 1} s CPU window), "
      f"median-qps round of {rounds}")
print("| case | load | qps | lost | generator CPU µs/query | generator threads, % of a core each | "
      "generator / server CPU, % of their cores | generator recvmmsg / sendmmsg / ppoll per query | "
      "ran out first | all rounds qps |")
print("|---|---|---:|---:|---:|---|---|---|---|---|")
load_order = lambda load: (load.startswith("rate="), int(load.split("=")[1]))
case_order = ["t1", "t2-one-core", "t2-two-cores", "t2-echo2"]
for key in sorted(order, key=lambda k: (load_order(k[1]), case_order.index(k[0]))):
    runs = sorted(cells[key], key=lambda r: r["qps"])
    r = runs[(len(runs) - 1) // 2]
    threads = " + ".join(f"{u:.0%}" for u in r["per_thread"])
    all_qps = ", ".join(f"{x['qps']:,.0f}" for x in runs)
    calls = " / ".join(f"{r['calls'].get(k, float('nan')):.3f}" for k in ("recvmmsg", "sendmmsg", "ppoll"))
    print(f"| {key[0]} | {key[1].replace('q=', 'closed, q=').replace('rate=', 'open, ')} | {r['qps']:,.0f} | "
          f"{r['lost']:,} | {r['us']:.2f} | {threads} | {r['gen'] / r['gen_cores']:.0%} of {r['gen_cores']} / "
          f"{r['srv'] / r['srv_cores']:.0%} of {r['srv_cores']} | {calls} | {r['first']} | "
          f"{all_qps} |")
PY
