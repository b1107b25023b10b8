#!/usr/bin/env bash
# Benchmark (not a test): what putting satloc behind PowerDNS costs. The same
# LOC load from satloc-loadgen, over UDP on loopback, against three targets:
#
#   direct    satloc-server itself;
#   pdns      pdns_server with launch=remote and every cache off
#             (query-cache-ttl=0, negquery-cache-ttl=0, cache-ttl=0): each
#             query becomes HTTP calls to satloc's --pdns-listen backend;
#   pdns+pc   the same with the packet cache on (cache-ttl=$PACKET_CACHE_TTL,
#             query cache still off), as the README recommends.
#
# The servers (satloc and both pdns_server) run pinned to one core and the
# load generator to another (taskset), so the servers' CPU is what one core
# can do. Server CPU per query is read from /proc/PID/stat (user + system
# ticks of all threads) before and after each run, for satloc and for the
# pdns_server under load. Every run is repeated REPEAT times (default 3),
# the targets taking turns going first; the table shows, per target and
# concurrency, the run with the median QPS, and ratios against direct.
#
#   scripts/compare-pdns.sh               # 5 s per run, 3 rounds: ~3 min
#   DURATION=3 REPEAT=1 LEVELS="10" scripts/compare-pdns.sh
#   PACKET_CACHE_TTL=5 PDNS_THREADS=8 scripts/compare-pdns.sh
#
# Installs pdns-server, pdns-backend-remote and python3 from Debian if
# missing. pdns_server gets its own --config-dir in a temporary directory; the
# system's PowerDNS configuration is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

DURATION="${DURATION:-5}"
REPEAT="${REPEAT:-3}"
LEVELS="${LEVELS:-1 10 100}"
PACKET_CACHE_TTL="${PACKET_CACHE_TTL:-1}"
# pdns's own default: each distributor thread has its own backend connection,
# and with the caches off they are what bounds QPS (README, "Behind PowerDNS").
PDNS_THREADS="${PDNS_THREADS:-3}"
pick_cpus
if ((server_cpus == load_cpus)); then
    echo "warning: fewer than 2 CPUs; servers and generator share CPU 0" >&2
fi

need_packages=()
[[ -x /usr/sbin/pdns_server ]] || command -v pdns_server >/dev/null 2>&1 || need_packages+=(pdns-server)
dpkg-query -W -f='${Status}' pdns-backend-remote 2>/dev/null | grep -q 'ok installed' ||
    need_packages+=(pdns-backend-remote)
command -v taskset >/dev/null 2>&1 || need_packages+=(util-linux)
command -v python3 >/dev/null 2>&1 || need_packages+=(python3)
apt_install "${need_packages[@]}" >&2
PDNS=$(command -v pdns_server || echo /usr/sbin/pdns_server)

build_server_and_loadgen

work=$(mktemp -d -t compare-pdns.XXXXXX)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

read -r backend_port pdns_port pdns_pc_port <<<"$(free_ports 3)"

echo "==> starting satloc-server (CPU $server_cpus), backend on 127.0.0.1:$backend_port" >&2
taskset -c "$server_cpus" "$SERVER" --listen 127.0.0.1:0 \
    --pdns-listen "127.0.0.1:$backend_port" >"$work/satloc.log" 2>&1 &
satloc_pid=$!
pids+=("$satloc_pid")
satloc_port=$(listening_port "$work/satloc.log" "$satloc_pid")

# start_pdns NAME PORT CACHE_TTL: pdns_server on PORT with the packet cache
# keeping answers CACHE_TTL seconds (0: off), query caches off; its pid goes
# to started_pid (not printed: a $(...) would make it a subshell's child).
start_pdns() {
    local dir="$work/$1"
    mkdir -p "$dir"
    cat >"$dir/pdns.conf" <<EOF
launch=remote
remote-connection-string=http:url=http://127.0.0.1:$backend_port/dns
local-address=127.0.0.1
local-port=$2
security-poll-suffix=
query-cache-ttl=0
negquery-cache-ttl=0
cache-ttl=$3
distributor-threads=$PDNS_THREADS
socket-dir=$dir
guardian=no
daemon=no
disable-syslog=yes
loglevel=4
EOF
    taskset -c "$server_cpus" "$PDNS" --config-dir="$dir" >"$dir/pdns.log" 2>&1 &
    started_pid=$!
    pids+=("$started_pid")
}
start_pdns pdns "$pdns_port" 0
pdns_pid=$started_pid
start_pdns pdns-pc "$pdns_pc_port" "$PACKET_CACHE_TTL"
pdns_pc_pid=$started_pid

# wait_answering PORT NAME: until a LOC query on PORT gets an answer (pdns
# REFUSES until getAllDomains has filled its zone cache).
wait_answering() {
    for _ in $(seq 100); do
        if "$LOADGEN" -s 127.0.0.1 -p "$1" --qname iss.sat.example --qtype LOC \
            --requests 1 --timeout 200ms --quiet --json "$work/probe.json" >/dev/null 2>&1 &&
            python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["rcodes"].get("NOERROR",0)==1 else 1)' \
                "$work/probe.json" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    cat "$work"/*/pdns.log "$work/satloc.log" >&2
    echo "$2 on port $1 did not answer" >&2
    exit 1
}
wait_answering "$satloc_port" satloc
wait_answering "$pdns_port" pdns
wait_answering "$pdns_pc_port" "pdns with packet cache"

cat >"$work/queries.txt" <<'EOF'
; dnsperf format: name TYPE
iss.sat.example LOC
hubble.sat.example LOC
css.sat.example LOC
noaa-19.sat.example LOC
25544.sat.example LOC
EOF

results="$work/results.tsv"
: >"$results"
ticks_per_s=$(getconf CLK_TCK)

# cpu_ticks PID: user + system clock ticks of all of PID's threads so far.
cpu_ticks() {
    # Fields after the ")" of the command name: utime and stime are the 12th
    # and 13th (14 and 15 of the whole line).
    sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# run TARGET PORT PDNS_PID LEVEL ROUND: one loadgen run, appended to $results
# as target, level, round, qps, completed, p50 us, p99 us, satloc ticks, pdns
# ticks, and queries lost or answered other than NOERROR.
run() {
    local satloc_before pdns_before=0 satloc_after pdns_after=0
    # One warm-up second outside the measurement fills the packet cache and
    # opens pdns's backend connections.
    taskset -c "$load_cpus" "$LOADGEN" -s 127.0.0.1 -p "$2" -d "$work/queries.txt" -q "$4" \
        -l 1s --quiet >/dev/null 2>&1 || true
    satloc_before=$(cpu_ticks "$satloc_pid")
    [[ $3 == - ]] || pdns_before=$(cpu_ticks "$3")
    taskset -c "$load_cpus" "$LOADGEN" -s 127.0.0.1 -p "$2" -d "$work/queries.txt" \
        -q "$4" -l "${DURATION}s" -t 1s --quiet --json "$work/run.json" >"$work/run.out" 2>&1 ||
        { cat "$work/run.out" >&2; exit 1; }
    satloc_after=$(cpu_ticks "$satloc_pid")
    [[ $3 == - ]] || pdns_after=$(cpu_ticks "$3")
    python3 - "$1" "$4" "$5" "$work/run.json" $((satloc_after - satloc_before)) \
        $((pdns_after - pdns_before)) >>"$results" <<'PY'
import json, sys
target, level, rep, path, satloc, pdns = sys.argv[1:]
j = json.load(open(path))
# Lost queries and answers other than NOERROR would make a fast run a wrong one.
failed = j["lost"] + j["completed"] - j["rcodes"].get("NOERROR", 0)
print(target, level, rep, j["qps"], j["completed"], j["latency_us"]["p50"],
      j["latency_us"]["p99"], satloc, pdns, failed, sep="\t")
PY
}

echo "==> $($LOADGEN --version) on CPU $load_cpus; satloc and $("$PDNS" --version 2>&1 | grep -o 'PowerDNS Authoritative Server [0-9.]*' | head -1) on CPU $server_cpus; ${DURATION}s per run, $REPEAT rounds" >&2
targets=("direct $satloc_port -" "pdns $pdns_port $pdns_pid" "pdns+pc $pdns_pc_port $pdns_pc_pid")
for rep in $(seq "$REPEAT"); do
    for level in $LEVELS; do
        echo "==> round $rep/$REPEAT, concurrency $level" >&2
        # Take turns going first: rotate the list by the round number.
        for i in 0 1 2; do
            read -r name port pid <<<"${targets[$(((i + rep) % 3))]}"
            run "$name" "$port" "$pid" "$level" "$rep"
        done
    done
done

python3 - "$results" "$LEVELS" "$ticks_per_s" "$PACKET_CACHE_TTL" <<'PY'
import sys
from collections import defaultdict
path, levels, ticks_per_s, pc_ttl = sys.argv[1], sys.argv[2].split(), float(sys.argv[3]), sys.argv[4]
runs = defaultdict(list)
for line in open(path):
    target, level, rep, qps, done, p50, p99, satloc, pdns, failed = line.rstrip("\n").split("\t")
    runs[(target, level)].append(dict(qps=float(qps), done=float(done), p50=float(p50),
                                      p99=float(p99), satloc=float(satloc), pdns=float(pdns),
                                      failed=int(failed)))
def median_run(target, level):
    ordered = sorted(runs[(target, level)], key=lambda r: r["qps"])
    return ordered[(len(ordered) - 1) // 2]
def us_per_query(ticks, run):
    return ticks / ticks_per_s / run["done"] * 1e6 if run["done"] else float("nan")
names = {"direct": "satloc direct", "pdns": "pdns, caches off",
         "pdns+pc": f"pdns, packet cache {pc_ttl} s"}
head = ("target", "conc", "qps", "p50 us", "p99 us", "satloc cpu us/q", "pdns cpu us/q",
        "total cpu us/q", "qps vs direct", "cpu vs direct", "lost/not NOERROR")
table = []
for level in levels:
    base = median_run("direct", level)
    base_cpu = us_per_query(base["satloc"] + base["pdns"], base)
    for target in ("direct", "pdns", "pdns+pc"):
        r = median_run(target, level)
        satloc, pdns = us_per_query(r["satloc"], r), us_per_query(r["pdns"], r)
        table.append((names[target], level, f"{r['qps']:,.0f}", f"{r['p50']:,.0f}",
                      f"{r['p99']:,.0f}", f"{satloc:.1f}",
                      "-" if target == "direct" else f"{pdns:.1f}", f"{satloc + pdns:.1f}",
                      f"{r['qps'] / base['qps']:.2f}x", f"{(satloc + pdns) / base_cpu:.1f}x",
                      str(r["failed"])))
widths = [max(len(r[i]) for r in [head] + table) for i in range(len(head))]
line = lambda r: "| " + " | ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))) + " |"
print(line(head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in table:
    print(line(r))
PY
