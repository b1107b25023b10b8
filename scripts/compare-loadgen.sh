#!/usr/bin/env bash
# Benchmark (not a test): dnsperf and satloc-loadgen side by side on loopback
# against two servers: NSD serving a static LOC zone (concurrency 1, 10, 100,
# 1000), and `satloc-server --echo-floor --threads 1`, which sends every query
# back with QR set and does no DNS work, the fastest server there is, so that
# the generator rather than the server is the limit (concurrency 1, 10, 100,
# 1000, 3000). Prints one table per server: QPS, p50/p99 (dnsperf 2.10
# reports only an average, shown instead), queries lost, and CPU seconds per
# 100k completed queries of the load generator process (user + sys from
# /usr/bin/time).
#
# The server runs pinned to one core and the load generator to another
# (taskset), so "CPU per query" is the generator's own cost. Every level is run REPEAT times
# per tool (default 3), the two tools back to back and taking turns going
# first; the table shows, per tool and level, the run with the median QPS
# (with that run's latency and CPU), so one disturbed run on a shared machine
# does not decide a row.
#
#   scripts/compare-loadgen.sh               # 3 s per run, 3 rounds: ~3.5 min
#   SERVERS=echo scripts/compare-loadgen.sh  # only the echo floor
#   DURATION=10 REPEAT=1 NSD_LEVELS="10 100" ECHO_LEVELS="1000 3000" scripts/compare-loadgen.sh
#
# Timed figures move with whatever else runs on the machine: on a shared one,
# say so next to the table, and re-run it on a quiet one to replace them.
#
# Installs dnsperf, nsd and time from Debian if missing. NSD gets its own
# config, zone and state in a temporary directory (server-count 1,
# rrl-ratelimit: 0, a free port; lib.sh's write_nsd_conf, as in
# compare-servers.sh and sweep-demo.sh); the system's NSD configuration is not
# touched. Every run's lost
# queries are counted: dnsperf's "Queries lost", satloc-loadgen's "lost".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
environment_settings_only "$@"

DURATION="${DURATION:-3}"
REPEAT="${REPEAT:-3}"
SERVERS="${SERVERS:-nsd echo}"
NSD_LEVELS="${NSD_LEVELS:-${LEVELS:-1 10 100 1000}}"
ECHO_LEVELS="${ECHO_LEVELS:-1 10 100 1000 3000}"
SERVER_CPU="${SERVER_CPU:-0}"
GENERATOR_CPU="${GENERATOR_CPU:-1}"
if (($(nproc) < 2)); then
    echo "warning: fewer than 2 CPUs; server and generator share CPU 0" >&2
    SERVER_CPU=0
    GENERATOR_CPU=0
fi

need_packages=()
command -v dnsperf >/dev/null 2>&1 || need_packages+=(dnsperf)
if [[ " $SERVERS " == *" nsd "* ]]; then
    [[ -n $(nsd_path) ]] || need_packages+=(nsd)
fi
[[ -x /usr/bin/time ]] || need_packages+=(time)
command -v taskset >/dev/null 2>&1 || need_packages+=(util-linux)
command -v python3 >/dev/null 2>&1 || need_packages+=(python3)
apt_install "${need_packages[@]}" >&2
stop_new_services "${need_packages[@]}"
NSD=$(nsd_path)

build_server_and_loadgen

work=$(mktemp -d -t compare-loadgen.XXXXXX)
nsd_pid=""
echo_pid=""
cleanup() {
    local pid
    for pid in $nsd_pid $echo_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

sat_example_zone 60 "${static_locs[@]}" >"$work/sat.example.zone"
loc_queries iss hubble tiangong >"$work/queries.txt"

# nsd_on_port: NSD (one server process, no rate limiting: write_nsd_conf)
# serving the static zone on a free port, pinned to SERVER_CPU.
nsd_on_port() {
    port=$(free_ports 1)
    write_nsd_conf "$work/nsd" "$port" "$work/sat.example.zone"
    echo "==> starting NSD on 127.0.0.1:$port (CPU $SERVER_CPU)" >&2
    start_nsd "$work/nsd" "$SERVER_CPU"
    wait_answering NSD "$port" "$nsd_pid" "$work/nsd/nsd.out" "$work/nsd/nsd.log"
}

# start_echo: the echo floor (recvmmsg/sendmmsg batch engine, one thread),
# pinned to SERVER_CPU.
start_echo() {
    port=$(free_ports 1)
    echo "==> starting satloc-server --echo-floor on 127.0.0.1:$port (CPU $SERVER_CPU)" >&2
    taskset -c "$SERVER_CPU" "$SERVER" --echo-floor --threads 1 --listen "127.0.0.1:$port" \
        >"$work/echo.out" 2>&1 &
    echo_pid=$!
    wait_answering "the echo floor" "$port" "$echo_pid" "$work/echo.out"
}

stop_server() {
    local pid
    for pid in $nsd_pid $echo_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    nsd_pid=""
    echo_pid=""
}

dnsperf_version=$(dnsperf -h 2>&1 | sed -n 's/^Version //p' | head -1)
echo "==> dnsperf ${dnsperf_version:-?} vs $("$LOADGEN" --version), ${DURATION}s per run, $REPEAT rounds, generator on CPU $GENERATOR_CPU" >&2

results="$work/results.tsv"
: >"$results"

# One dnsperf run against server $1 at concurrency $2 (round $3), appended to
# $results as server, tool, level, round, qps, completed, lost, mean us,
# p50 us, p99 us, cpu s.
run_dnsperf() {
    taskset -c "$GENERATOR_CPU" /usr/bin/time -f "%U %S" -o "$work/dnsperf.time" \
        dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -q "$2" -l "$DURATION" -t 1 \
        >"$work/dnsperf.out" 2>&1
    python3 - "$1" "$2" "$3" "$work" >>"$results" <<'PY'
import re, sys
server, level, rep, work = sys.argv[1:]
out = open(f"{work}/dnsperf.out").read()
def field(name):
    m = re.search(name + r":\s+([0-9.]+)", out)
    return float(m.group(1)) if m else float("nan")
user, system = open(f"{work}/dnsperf.time").read().split()[-2:]
print(server, "dnsperf", level, rep, field("Queries per second"), field("Queries completed"),
      field("Queries lost"), field(r"Average Latency \(s\)") * 1e6, "nan", "nan",
      float(user) + float(system), sep="\t")
PY
}

# The same for satloc-loadgen.
run_loadgen() {
    taskset -c "$GENERATOR_CPU" /usr/bin/time -f "%U %S" -o "$work/loadgen.time" \
        "$LOADGEN" -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -q "$2" -l "$DURATION" -t 1s \
        --quiet --json "$work/loadgen.json" >"$work/loadgen.out" 2>&1 ||
        { cat "$work/loadgen.out" >&2; exit 1; }
    python3 - "$1" "$2" "$3" "$work" >>"$results" <<'PY'
import json, sys
server, level, rep, work = sys.argv[1:]
j = json.load(open(f"{work}/loadgen.json"))
user, system = open(f"{work}/loadgen.time").read().split()[-2:]
print(server, "loadgen", level, rep, j["qps"], j["completed"], j["lost"], j["latency_us"]["mean"],
      j["latency_us"]["p50"], j["latency_us"]["p99"], float(user) + float(system), sep="\t")
PY
}

for server in $SERVERS; do
    case $server in
        nsd) nsd_on_port; levels=$NSD_LEVELS ;;
        echo) start_echo; levels=$ECHO_LEVELS ;;
    esac
    for rep in $(seq "$REPEAT"); do
        for level in $levels; do
            echo "==> $server, round $rep/$REPEAT, concurrency $level" >&2
            # Take turns going first, so neither tool always follows the other.
            if ((rep % 2)); then
                run_dnsperf "$server" "$level" "$rep"
                run_loadgen "$server" "$level" "$rep"
            else
                run_loadgen "$server" "$level" "$rep"
                run_dnsperf "$server" "$level" "$rep"
            fi
        done
    done
    stop_server
done

python3 - "$results" "$SERVERS" "$NSD_LEVELS" "$ECHO_LEVELS" <<'PY'
import sys
from collections import defaultdict
results, servers, nsd_levels, echo_levels = sys.argv[1:]
runs = defaultdict(list)
for line in open(results):
    server, tool, level, rep, qps, done, lost, mean, p50, p99, cpu = line.rstrip("\n").split("\t")
    runs[(server, tool, level)].append(dict(
        qps=float(qps), done=float(done), lost=float(lost), mean=float(mean),
        p50=float(p50), p99=float(p99), cpu=float(cpu)))
def median_run(server, tool, level):
    ordered = sorted(runs[(server, tool, level)], key=lambda r: r["qps"])
    return ordered[(len(ordered) - 1) // 2]
def per100k(r):
    return r["cpu"] / r["done"] * 1e5 if r["done"] else float("nan")
titles = {"nsd": "NSD (static LOC zone, one server process)",
          "echo": "satloc-server --echo-floor --threads 1 (no DNS work)"}
levels = {"nsd": nsd_levels, "echo": echo_levels}
head = ("conc", "dnsperf qps", "dnsperf avg/p50/p99 us", "dnsperf lost", "dnsperf cpu-s/100k",
        "loadgen qps", "loadgen p50/p99 us", "loadgen lost", "loadgen cpu-s/100k",
        "qps ratio", "cpu ratio")
for n, server in enumerate(servers.split()):
    table = []
    for level in levels[server].split():
        d, l = median_run(server, "dnsperf", level), median_run(server, "loadgen", level)
        table.append((
            level, f"{d['qps']:,.0f}", f"{d['mean']:,.0f} / n/a / n/a", f"{d['lost']:,.0f}",
            f"{per100k(d):.3f}", f"{l['qps']:,.0f}", f"{l['p50']:,.0f} / {l['p99']:,.0f}",
            f"{l['lost']:,.0f}", f"{per100k(l):.3f}",
            f"{l['qps'] / d['qps']:.2f}x", f"{per100k(l) / per100k(d):.2f}x",
        ))
    widths = [max(len(r[i]) for r in [head] + table) for i in range(len(head))]
    line = lambda r: "| " + " | ".join(c.rjust(w) for c, w in zip(r, widths)) + " |"
    if n:
        print()
    print(f"{titles[server]}:")
    print(line(head))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in table:
        print(line(r))
PY
