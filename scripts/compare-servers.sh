#!/usr/bin/env bash
# Benchmark (not a test): satloc against the authoritative servers people
# run, from one run. The same LOC names are served by
#
#   knot         Knot DNS, a zone file
#   nsd          NSD, the same zone file (rrl-ratelimit: 0)
#   pdns         PowerDNS Authoritative, the same zone file through its bind
#                backend, packet cache on (its defaults)
#   echo         satloc-server --echo-floor: every query back with QR set on
#                the recvmmsg/sendmmsg batch engine, no DNS work (the floor)
#   satloc       satloc-server with its defaults (batch engine, fast path)
#   satloc-spawn satloc-server --udp-engine spawn --answer-path hickory (the
#                case study's baseline A, the hickory-dns server pattern)
#   satloc-uring satloc-server --udp-engine uring (io_uring, one system call
#                per batch)
#   echo-uring   the echo floor on --udp-engine uring (only when SERVERS names it)
#
# satloc computes every answer with SGP4 at a frozen --now; the peers' zone
# holds the records satloc answers at that instant (read with dig), so every
# server sends the same bytes of RDATA.
#
# Every server runs pinned to CPU 0 with one worker (Knot udp-, tcp- and
# background-workers 1; NSD server-count 1; PowerDNS one receiver and one
# distributor thread; satloc --threads 1) in its own cgroup; the generator
# (dnsperf or satloc-loadgen) runs on CPU 1. Measurements, each for every
# server in turn, the order rotating, ROUNDS times:
#
#   rate      UDP at fixed offered rates (RATES): dnsperf -Q and satloc-loadgen
#             --rate (open loop). Server CPU per answered query is the user +
#             system time of the server's whole process tree (/proc) over the
#             run, divided by the answers. Latency: p50/p99 from
#             satloc-loadgen; dnsperf 2.10 reports only its average.
#   saturate  closed loop at SAT_CONCURRENCY outstanding queries over UDP and
#             over pipelined TCP (SAT_CONNECTIONS connections), both
#             generators, the server capped by the cgroup v1 CPU controller to
#             CAP_PERCENT of one core (cpu.cfs_quota_us), the same for every
#             server, so one generator core can outrun it. Whichever side ran
#             out is reported: the server at its quota, or the generator's
#             core busy.
#
# The table shows, per server and measurement, the round with the median of
# its headline figure (CPU per answer at a rate, QPS at saturation), and the
# ratios against Knot and against the echo floor.
#
#   scripts/compare-servers.sh                       # 5 s per run, 3 rounds: ~15 min
#   DURATION=3 ROUNDS=1 scripts/compare-servers.sh   # a quick look: ~3 min
#   SERVERS="knot echo satloc" RATES="30000" MEASURE=rate scripts/compare-servers.sh
#
# Environment: DURATION (seconds per run, 5), ROUNDS (3), RATES ("30000
# 100000"), CAP_PERCENT (50), SAT_CONCURRENCY (100), SAT_CONNECTIONS (4),
# SERVERS (all above but echo-uring), MEASURE ("rate saturate"), NOW (satloc's --now,
# 2026-11-28T12:00:00Z).
#
# Installs knot, nsd, dnsperf, pdns-server, pdns-backend-bind, dig and time
# from Debian if missing, and stops the system service a package it just
# installed may have started. Each server gets its own configuration, zone and
# state in a temporary directory and a free loopback port; the system's
# configurations (/etc) are never read or changed. Needs root for the cgroup;
# without a writable cgroup v1 cpu controller the saturation runs are made
# uncapped and the table says so.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
environment_settings_only "$@"

DURATION="${DURATION:-5}"
ROUNDS="${ROUNDS:-3}"
RATES="${RATES:-30000 100000}"
CAP_PERCENT="${CAP_PERCENT:-50}"
SAT_CONCURRENCY="${SAT_CONCURRENCY:-100}"
SAT_CONNECTIONS="${SAT_CONNECTIONS:-4}"
SERVERS="${SERVERS:-knot nsd pdns echo satloc satloc-spawn satloc-uring}"
MEASURE="${MEASURE:-rate saturate}"
NOW="${NOW:-2026-11-28T12:00:00Z}"

# positive_integer NAME VALUE...: every VALUE is a whole number above zero,
# or the script stops naming the variable and what it expected.
positive_integer() {
    local name=$1 value
    shift
    for value in "$@"; do
        [[ $value =~ ^[1-9][0-9]*$ ]] ||
            { echo "compare-servers.sh: $name=\"$value\": expected a whole number above zero" >&2; exit 2; }
    done
}
positive_integer DURATION "$DURATION"
positive_integer ROUNDS "$ROUNDS"
# shellcheck disable=SC2086 # word splitting is the point: one check per rate
positive_integer RATES $RATES
positive_integer CAP_PERCENT "$CAP_PERCENT"
positive_integer SAT_CONCURRENCY "$SAT_CONCURRENCY"
positive_integer SAT_CONNECTIONS "$SAT_CONNECTIONS"
((CAP_PERCENT <= 100)) || { echo "compare-servers.sh: CAP_PERCENT=$CAP_PERCENT: expected at most 100 (one core)" >&2; exit 2; }
for server in $SERVERS; do
    case "$server" in
        knot|nsd|pdns|echo|satloc|satloc-spawn|satloc-uring|echo-uring) ;;
        *) echo "compare-servers.sh: SERVERS: unknown server '$server' (expected knot, nsd, pdns, echo, satloc, satloc-spawn, satloc-uring, echo-uring)" >&2; exit 2 ;;
    esac
done
for measure in $MEASURE; do
    [[ $measure == rate || $measure == saturate ]] ||
        { echo "compare-servers.sh: MEASURE: unknown measurement '$measure' (expected rate, saturate)" >&2; exit 2; }
done
pick_cpus
if ((server_cpus == load_cpus)); then
    echo "warning: fewer than 2 CPUs; servers and generators share CPU 0" >&2
fi

# --- Install what is missing -------------------------------------------------
need_packages=()
has() { command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]]; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }
has knotd || need_packages+=(knot)
[[ -n $(nsd_path) ]] || need_packages+=(nsd)
has dnsperf || need_packages+=(dnsperf)
has pdns_server || need_packages+=(pdns-server)
installed pdns-backend-bind || need_packages+=(pdns-backend-bind)
has dig || need_packages+=(bind9-dnsutils)
[[ -x /usr/bin/time ]] || need_packages+=(time)
has taskset || need_packages+=(util-linux)
has python3 || need_packages+=(python3)
apt_install "${need_packages[@]}" >&2
# (A running system server was there before and is left alone: the free ports
# below never collide with it.)
stop_new_services "${need_packages[@]}"
KNOTD=$(command -v knotd || echo /usr/sbin/knotd)
NSD=$(nsd_path)
PDNS=$(command -v pdns_server || echo /usr/sbin/pdns_server)

build_server_and_loadgen

# --- Working directory, cgroups, clean-up ------------------------------------
work=$(mktemp -d -t compare-servers.XXXXXX)
cgroot=/sys/fs/cgroup/cpu/compare-servers.$$
capped=no
if [[ -w /sys/fs/cgroup/cpu/cgroup.procs || -w /sys/fs/cgroup/cpu ]] &&
    [[ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]] && mkdir "$cgroot" 2>/dev/null; then
    capped=yes
else
    echo "warning: no writable cgroup v1 cpu controller at /sys/fs/cgroup/cpu: saturation runs are uncapped" >&2
fi
declare -A pid_of port_of
# shellcheck disable=SC2317 # called by the trap (shellcheck 0.9 misses it)
cleanup() {
    local pid dir
    for pid in "${pid_of[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    if [[ $capped == yes ]]; then
        # A cgroup can go only once its processes have: NSD's children may
        # take a moment after the parent.
        for dir in "$cgroot"/*/ "$cgroot"; do
            for _ in $(seq 50); do rmdir "$dir" 2>/dev/null && break; sleep 0.1; done
        done
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# set_cap NAME PERCENT: the server's CPU quota in percent of one core; 0 lifts it.
set_cap() {
    [[ $capped == yes ]] || return 0
    local period
    period=$(cat "$cgroot/$1/cpu.cfs_period_us")
    if (($2 == 0)); then echo -1 >"$cgroot/$1/cpu.cfs_quota_us"
    else echo $((period * $2 / 100)) >"$cgroot/$1/cpu.cfs_quota_us"; fi
}

throttled() { # NAME: periods in which the server's cgroup hit its quota so far
    if [[ $capped == yes ]]; then awk '$1 == "nr_throttled" { print $2 }' "$cgroot/$1/cpu.stat"
    else echo 0; fi
}

# start NAME LOG CMD...: CMD as server NAME, pinned to the server CPU and, if
# there are cgroups, started inside its own (bash writes its pid to
# cgroup.procs, then execs: the server keeps that pid, and its threads and
# forked children are all capped together); the pid goes to pid_of[NAME].
start() {
    local name=$1 log=$2
    shift 2
    if [[ $capped == yes ]]; then
        mkdir -p "$cgroot/$name"
        bash -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' _ "$cgroot/$name" \
            taskset -c "$server_cpus" "$@" >"$log" 2>&1 &
    else
        taskset -c "$server_cpus" "$@" >"$log" 2>&1 &
    fi
    pid_of[$name]=$!
}

# answering NAME: until server NAME answers a LOC query, or stop with its log.
answering() {
    wait_answering "$1" "${port_of[$1]}" "${pid_of[$1]}" "$work/$1.log"
}

# --- The servers ---------------------------------------------------------------
read -r -a ports <<<"$(free_ports 9)"
names=(knot nsd pdns echo satloc satloc-spawn satloc-uring echo-uring reference)
for i in "${!names[@]}"; do port_of[${names[i]}]=${ports[i]}; done

# satloc's answers at --now become the peers' zone: started first, unpinned
# and uncapped, only to be asked.
echo "==> reading satloc's records at $NOW for the peers' zone" >&2
"$SERVER" --threads 1 --listen "127.0.0.1:${port_of[reference]}" --now "$NOW" >"$work/reference.log" 2>&1 &
pid_of[reference]=$!
answering reference
qnames=(iss hubble css)
records=()
for name in "${qnames[@]}"; do
    loc=$(dig @127.0.0.1 -p "${port_of[reference]}" +short +time=2 +tries=1 "$name.sat.example" LOC)
    [[ -n $loc ]] || { echo "compare-servers.sh: satloc gave no LOC record for $name.sat.example" >&2; exit 1; }
    records+=("$name" "$loc")
done
sat_example_zone 5 "${records[@]}" >"$work/sat.example.zone"
loc_queries "${qnames[@]}" >"$work/queries.txt"
kill "${pid_of[reference]}"; wait "${pid_of[reference]}" 2>/dev/null || true
unset 'pid_of[reference]'

mkdir -p "$work/knot/db"
cat >"$work/knot/knot.conf" <<EOF
server:
    rundir: "$work/knot"
    listen: 127.0.0.1@${port_of[knot]}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$work/knot/db"
log:
  - target: stderr
    any: warning
zone:
  - domain: sat.example
    file: "$work/sat.example.zone"
    journal-content: none
    zonefile-sync: -1
EOF

write_nsd_conf "$work/nsd" "${port_of[nsd]}" "$work/sat.example.zone"

# PowerDNS reads the same zone file through its bind backend rather than
# asking satloc (--pdns-listen, measured in compare-pdns.sh): here it stands
# as a peer serving a static record, as Knot and NSD do, and its packet cache
# (on by default, cache-ttl 20 s, bounded by the record's TTL) answers nearly
# every query.
mkdir -p "$work/pdns"
cat >"$work/pdns/named.conf" <<EOF
zone "sat.example" { type master; file "$work/sat.example.zone"; };
EOF
cat >"$work/pdns/pdns.conf" <<EOF
launch=bind
bind-config=$work/pdns/named.conf
local-address=127.0.0.1
local-port=${port_of[pdns]}
security-poll-suffix=
receiver-threads=1
distributor-threads=1
socket-dir=$work/pdns
guardian=no
daemon=no
disable-syslog=yes
loglevel=4
EOF

satloc_args=(--threads 1 --now "$NOW")
for server in $SERVERS; do
    log="$work/$server.log"
    case "$server" in
        knot) start knot "$log" "$KNOTD" -c "$work/knot/knot.conf" ;;
        nsd) start nsd "$log" "$NSD" -d -c "$work/nsd/nsd.conf" ;;
        pdns) start pdns "$log" "$PDNS" --config-dir="$work/pdns" ;;
        echo) start echo "$log" "$SERVER" --threads 1 --echo-floor --listen "127.0.0.1:${port_of[echo]}" ;;
        satloc) start satloc "$log" "$SERVER" "${satloc_args[@]}" --listen "127.0.0.1:${port_of[satloc]}" ;;
        satloc-spawn) start satloc-spawn "$log" "$SERVER" "${satloc_args[@]}" \
            --udp-engine spawn --answer-path hickory --listen "127.0.0.1:${port_of[satloc-spawn]}" ;;
        satloc-uring) start satloc-uring "$log" "$SERVER" "${satloc_args[@]}" \
            --udp-engine uring --listen "127.0.0.1:${port_of[satloc-uring]}" ;;
        echo-uring) start echo-uring "$log" "$SERVER" --threads 1 --echo-floor --udp-engine uring \
            --listen "127.0.0.1:${port_of[echo-uring]}" ;;
    esac
done
for server in $SERVERS; do answering "$server"; done

# --- Measurements ----------------------------------------------------------------
results="$work/results.tsv"
: >"$results"

# generate GEN KIND ARG PORT: one generator run (dnsperf or satloc-loadgen)
# against PORT, pinned to the generator CPU and timed by /usr/bin/time; KIND
# rate offers ARG queries per second, udp and tcp keep SAT_CONCURRENCY
# outstanding. Output in $work/GEN.out (and .json), CPU in $work/GEN.time.
generate() {
    local gen=$1 kind=$2 arg=$3 port=$4 cmd
    if [[ $gen == dnsperf ]]; then
        cmd=(dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l "$DURATION" -t 1)
        case "$kind" in
            # -Q sets the pace; 1,000 in flight keeps a server's stall of a
            # few ms (a shared machine) from capping the rate as well.
            rate) cmd+=(-Q "$arg" -q 1000) ;;
            udp) cmd+=(-q "$SAT_CONCURRENCY") ;;
            tcp) cmd+=(-m tcp -q "$SAT_CONCURRENCY" -c "$SAT_CONNECTIONS") ;;
        esac
    else
        cmd=("$LOADGEN" -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -l "${DURATION}s" -t 1s
            --quiet --json "$work/loadgen.json")
        case "$kind" in
            rate) cmd+=(--rate "$arg") ;;
            udp) cmd+=(-q "$SAT_CONCURRENCY") ;;
            tcp) cmd+=(--tcp -q "$SAT_CONCURRENCY" -c "$SAT_CONNECTIONS") ;;
        esac
    fi
    taskset -c "$load_cpus" /usr/bin/time -f "%U %S" -o "$work/$gen.time" "${cmd[@]}" \
        >"$work/$gen.out" 2>&1 ||
        { cat "$work/$gen.out" >&2; echo "compare-servers.sh: ${cmd[*]} failed" >&2; exit 1; }
}

# measure SERVER KIND GEN ARG ROUND: one run, appended to $results as server,
# kind, generator, arg, round, qps, completed, failed (lost or not NOERROR),
# p50, p99, mean (us), server ticks, generator CPU s, throttled periods.
measure() {
    local server=$1 kind=$2 gen=$3 arg=$4 round=$5 before after thr_before thr_after
    [[ $kind == rate ]] || set_cap "$server" "$CAP_PERCENT"
    before=$(tree_cpu_ticks "${pid_of[$server]}")
    thr_before=$(throttled "$server")
    generate "$gen" "$kind" "$arg" "${port_of[$server]}"
    after=$(tree_cpu_ticks "${pid_of[$server]}")
    thr_after=$(throttled "$server")
    set_cap "$server" 0
    kill -0 "${pid_of[$server]}" 2>/dev/null ||
        { cat "$work/$server.log" >&2; echo "compare-servers.sh: $server exited during a run; its log is above" >&2; exit 1; }
    python3 - "$work" "$gen" "$server" "$kind" "$arg" "$round" $((after - before)) \
        $((thr_after - thr_before)) >>"$results" <<'PY'
import json, re, sys
work, gen, server, kind, arg, rnd, ticks, throttled = sys.argv[1:]
user, system = open(f"{work}/{gen}.time").read().split()[-2:]
if gen == "dnsperf":
    out = open(f"{work}/dnsperf.out").read()
    def field(name):
        m = re.search(name + r":\s+([0-9.]+)", out)
        return float(m.group(1)) if m else float("nan")
    completed = int(field("Queries completed"))
    m = re.search(r"NOERROR (\d+)", out)
    noerror = int(m.group(1)) if m else 0
    qps, failed = field("Queries per second"), int(field("Queries lost")) + completed - noerror
    p50 = p99 = float("nan")
    mean = field(r"Average Latency \(s\)") * 1e6
else:
    j = json.load(open(f"{work}/loadgen.json"))
    completed, qps = j["completed"], j["qps"]
    failed = (j.get("lost") or 0) + completed - (j.get("rcodes") or {}).get("NOERROR", 0)
    lat = j["latency_us"]
    p50, p99, mean = lat["p50"], lat["p99"], lat["mean"]
print(server, kind, gen, arg, rnd, qps, completed, failed, p50, p99, mean, ticks,
      float(user) + float(system), throttled, sep="\t")
PY
}

specs=()
for measure in $MEASURE; do
    if [[ $measure == rate ]]; then
        for rate in $RATES; do specs+=("rate dnsperf $rate" "rate loadgen $rate"); done
    else
        specs+=("udp dnsperf -" "udp loadgen -" "tcp dnsperf -" "tcp loadgen -")
    fi
done
read -r -a servers <<<"$SERVERS"

echo "==> warming up (1 s each)" >&2
for server in "${servers[@]}"; do
    taskset -c "$load_cpus" "$LOADGEN" -s 127.0.0.1 -p "${port_of[$server]}" -d "$work/queries.txt" \
        --rate 10000 -l 1s --quiet >/dev/null 2>&1 || true
done

echo "==> ${#servers[@]} servers x ${#specs[@]} runs x $ROUNDS rounds, ${DURATION}s each; servers on CPU $server_cpus, generators on CPU $load_cpus" >&2
for round in $(seq "$ROUNDS"); do
    for s in "${!specs[@]}"; do
        read -r kind gen arg <<<"${specs[s]}"
        echo "==> round $round/$ROUNDS: $kind $gen $arg" >&2
        # Take turns going first: rotate the servers by round and measurement.
        for i in "${!servers[@]}"; do
            measure "${servers[$(((i + round + s) % ${#servers[@]}))]}" "$kind" "$gen" "$arg" "$round"
        done
    done
done

# --- The table ---------------------------------------------------------------------
# first_version CMD...: the first version number CMD prints (some of these
# exit non-zero after printing their version or usage).
first_version() { { "$@" 2>&1 || true; } | grep -o '[0-9]\+\.[0-9][0-9.]*' | head -1; }
versions="Knot $(first_version "$KNOTD" -V)|NSD $(first_version "$NSD" -v)"
versions+="|PowerDNS $(first_version "$PDNS" --version)"
versions+="|dnsperf $({ dnsperf -h 2>&1 || true; } | sed -n 's/^Version //p' | head -1)"
versions+="|$("$LOADGEN" --version)"
python3 - "$results" "$SERVERS" "$(getconf CLK_TCK)" "$DURATION" "$ROUNDS" "$CAP_PERCENT" "$capped" \
    "$SAT_CONCURRENCY" "$SAT_CONNECTIONS" "$versions" "$NOW" <<'PY'
import math, sys
from collections import defaultdict
(path, servers, tck, duration, rounds, cap, capped, conc, conns, versions, now) = sys.argv[1:]
servers, tck, duration = servers.split(), float(tck), float(duration)
cap = float(cap) if capped == "yes" else 100.0
knot_v, nsd_v, pdns_v, dnsperf_v, loadgen_v = versions.split("|")
runs = defaultdict(list)
for line in open(path):
    (server, kind, gen, arg, rnd, qps, done, failed, p50, p99, mean, ticks, gen_cpu,
     thr) = line.rstrip("\n").split("\t")
    done = int(done)
    runs[(server, kind, gen, arg)].append(dict(
        qps=float(qps), done=done, failed=int(failed), p50=float(p50), p99=float(p99),
        mean=float(mean), cpu_s=int(ticks) / tck, gen_cpu=float(gen_cpu), thr=int(thr),
        us=int(ticks) / tck / done * 1e6 if done else math.inf))

def median(server, kind, gen, arg, key):
    """The round with the median headline figure (lower median), as the other scripts do."""
    ordered = sorted(runs[(server, kind, gen, arg)], key=lambda r: r[key])
    return ordered[(len(ordered) - 1) // 2] if ordered else None

titles = {"knot": knot_v, "nsd": nsd_v, "pdns": f"{pdns_v} (bind backend, packet cache)",
          "echo": "echo floor (recvmmsg/sendmmsg, no DNS)", "satloc": "satloc default (batch + fast path)",
          "satloc-spawn": "satloc spawn + hickory", "satloc-uring": "satloc uring (io_uring + fast path)",
          "echo-uring": "echo floor on io_uring"}
gen_names = {"dnsperf": "dnsperf", "loadgen": "satloc-loadgen"}

def with_ratios(server, value, refs, text):
    """TEXT, then VALUE's ratio to Knot's and to the echo floor's (where both ran)."""
    parts = [f"{value / refs[ref]:.2f}× {ref}" for ref in ("Knot", "echo")
             if refs.get(ref) and server != {"Knot": "knot", "echo": "echo"}[ref]
             and math.isfinite(value)]
    return text + (f" ({', '.join(parts)})" if parts else "")

rows = []
# In the order they ran (dicts keep insertion order): rates, then UDP, then TCP.
kinds = list(dict.fromkeys((k, g, a) for (_, k, g, a) in runs))
for kind, gen, arg in kinds:
    if kind == "rate":
        pick = {s: median(s, kind, gen, arg, "us") for s in servers}
        refs = {"Knot": pick.get("knot") and pick["knot"]["us"], "echo": pick.get("echo") and pick["echo"]["us"]}
        rate = f"{float(arg) / 1000:g}k"
        rows.append([f"CPU µs per answer, {rate} qps, {gen_names[gen]}"] +
                    [with_ratios(s, r["us"], refs, f"{r['us']:.2f}") if r else "-" for s, r in pick.items()])
        def lat(r):
            if not r:
                return "-"
            figures = f"avg {r['mean']:.0f}" if gen == "dnsperf" else f"{r['p50']:.0f} / {r['p99']:.0f}"
            return f"{r['qps']:,.0f} qps, {figures}" + (f", {r['failed']:,} failed" if r["failed"] else "")
        latency = "avg µs" if gen == "dnsperf" else "p50 / p99 µs"
        rows.append([f"  answered, {latency}"] + [lat(r) for r in pick.values()])
    else:
        pick = {s: median(s, kind, gen, arg, "qps") for s in servers}
        refs = {"Knot": pick.get("knot") and pick["knot"]["qps"], "echo": pick.get("echo") and pick["echo"]["qps"]}
        proto = "UDP" if kind == "udp" else f"TCP pipelined ({conns} conn)"
        limit = f"CPU capped at {cap:g}%" if capped == "yes" else "uncapped"
        rows.append([f"qps, {limit}, {proto}, q={conc}, {gen_names[gen]}"] +
                    [with_ratios(s, r["qps"], refs, f"{r['qps']:,.0f}") if r else "-" for s, r in pick.items()])
        def verdict(r):
            if not r:
                return "-"
            server_use = r["cpu_s"] / duration / (cap / 100)
            gen_use = r["gen_cpu"] / duration
            # Neither near its limit: the CPUs' other load took the time, or
            # q in flight was too few for the latency.
            side = ("server" if server_use >= 0.9 else "generator" if gen_use >= 0.9 else "neither")
            text = f"{side} (server {server_use:.0%} of its cap, generator {gen_use:.0%})"
            return text + (f", {r['failed']:,} failed" if r["failed"] else "")
        rows.append(["  ran out first"] + [verdict(r) for r in pick.values()])

print(f"Servers pinned to CPU 0 with one worker, generator on CPU 1; {duration:g} s per run, "
      f"median of {rounds} alternating rounds; satloc at --now {now}, the peers serving "
      f"satloc's records for that instant from a zone file; {dnsperf_v}, {loadgen_v}.")
print()
head = ["measurement"] + [titles[s] for s in servers]
print("| " + " | ".join(head) + " |")
print("|---|" + "---:|" * len(servers))
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print("(×: ratio to Knot's and to the echo floor's figure in the same row. CPU is the server's whole "
      "process tree from /proc, per answered query. \"failed\": lost or not NOERROR.)")
PY
