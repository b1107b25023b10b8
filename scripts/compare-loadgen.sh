#!/usr/bin/env bash
# Benchmark (not a test): dnsperf and satloc-loadgen side by side against the
# same NSD serving a static LOC zone on loopback, at concurrency 1, 10, 100
# and 1000. Prints one table: QPS, p50/p99 (dnsperf 2.10 reports only an
# average, shown instead), and CPU seconds per 100k completed queries of the
# load generator process (user + sys from /usr/bin/time).
#
# NSD runs pinned to one core and the load generator to another (taskset), so
# "CPU per query" is the generator's own cost. Each level runs dnsperf first,
# then satloc-loadgen, so slow drifts on a shared machine hit both alike.
#
#   scripts/compare-loadgen.sh               # 5 s per run
#   DURATION=10 LEVELS="10 100" scripts/compare-loadgen.sh
#
# Installs dnsperf, nsd and time from Debian if missing. NSD gets its own
# config, zone and state in a temporary directory (rrl-ratelimit: 0, a free
# port); the system's NSD configuration is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION="${DURATION:-5}"
LEVELS="${LEVELS:-1 10 100 1000}"
SERVER_CPU="${SERVER_CPU:-0}"
GENERATOR_CPU="${GENERATOR_CPU:-1}"
if (($(nproc) < 2)); then
    echo "warning: fewer than 2 CPUs; server and generator share CPU 0" >&2
    SERVER_CPU=0
    GENERATOR_CPU=0
fi

need_packages=()
command -v dnsperf >/dev/null 2>&1 || need_packages+=(dnsperf)
command -v nsd >/dev/null 2>&1 || [[ -x /usr/sbin/nsd ]] || need_packages+=(nsd)
[[ -x /usr/bin/time ]] || need_packages+=(time)
command -v taskset >/dev/null 2>&1 || need_packages+=(util-linux)
command -v python3 >/dev/null 2>&1 || need_packages+=(python3)
if ((${#need_packages[@]})); then
    echo "==> installing ${need_packages[*]}" >&2
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_packages[@]}" >&2
fi
NSD=$(command -v nsd || echo /usr/sbin/nsd)

echo "==> building satloc-loadgen (release)" >&2
cargo build --release -q -p satloc-loadgen
LOADGEN="$PWD/target/release/satloc-loadgen"

work=$(mktemp -d "${TMPDIR:-/tmp}/compare-loadgen.XXXXXX")
nsd_pid=""
cleanup() {
    if [[ -n "$nsd_pid" ]]; then
        kill "$nsd_pid" 2>/dev/null || true
        wait "$nsd_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A port free for both UDP and TCP on 127.0.0.1.
port=$(python3 - <<'EOF'
import socket
while True:
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    port = tcp.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("127.0.0.1", port))
    except OSError:
        continue
    print(port)
    break
EOF
)

cat >"$work/sat.example.zone" <<'EOF'
$ORIGIN sat.example.
$TTL 60
@        IN SOA ns1 hostmaster 2024010101 3600 600 86400 60
@        IN NS  ns1
ns1      IN A   127.0.0.1
iss      IN LOC 43 46 46.715 S 145 49 45.069 W 417946.18m 1m 1m 1m
hubble   IN LOC 28 30 0.000 N 80 33 0.000 W 540000m 1m 1m 1m
tiangong IN LOC 12 0 0.000 N 100 0 0.000 E 380000m 1m 1m 1m
EOF
cat >"$work/queries.txt" <<'EOF'
; dnsperf format: name TYPE
iss.sat.example LOC
hubble.sat.example LOC
tiangong.sat.example LOC
EOF
cat >"$work/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1
    port: $port
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$work"
    database: ""
    zonelistfile: "$work/zone.list"
    xfrdfile: "$work/xfrd.state"
    pidfile: "$work/nsd.pid"
    logfile: "$work/nsd.log"
    verbosity: 0
    hide-version: yes
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: sat.example
    zonefile: "$work/sat.example.zone"
EOF

echo "==> starting NSD on 127.0.0.1:$port (CPU $SERVER_CPU)" >&2
taskset -c "$SERVER_CPU" "$NSD" -d -c "$work/nsd.conf" >"$work/nsd.out" 2>&1 &
nsd_pid=$!
for _ in $(seq 50); do
    if "$LOADGEN" -s 127.0.0.1 -p "$port" --qname iss.sat.example --qtype LOC \
        --requests 1 --timeout 100ms --quiet >/dev/null 2>&1; then
        break
    fi
    sleep 0.1
done
"$LOADGEN" -s 127.0.0.1 -p "$port" --qname iss.sat.example --qtype LOC --requests 1 --quiet \
    --json "$work/check.json" >/dev/null ||
    { cat "$work/nsd.out" "$work/nsd.log" >&2; echo "NSD did not answer" >&2; exit 1; }

dnsperf_version=$(dnsperf -h 2>&1 | sed -n 's/^Version //p' | head -1)
echo "==> dnsperf ${dnsperf_version:-?} vs $("$LOADGEN" --version), ${DURATION}s per run, generator on CPU $GENERATOR_CPU" >&2

results="$work/results.tsv"
: >"$results"
for level in $LEVELS; do
    echo "==> concurrency $level: dnsperf" >&2
    taskset -c "$GENERATOR_CPU" /usr/bin/time -f "%U %S" -o "$work/dnsperf.time" \
        dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -q "$level" -l "$DURATION" -t 1 \
        >"$work/dnsperf.out" 2>&1
    echo "==> concurrency $level: satloc-loadgen" >&2
    taskset -c "$GENERATOR_CPU" /usr/bin/time -f "%U %S" -o "$work/loadgen.time" \
        "$LOADGEN" -s 127.0.0.1 -p "$port" -d "$work/queries.txt" -q "$level" -l "$DURATION" -t 1s \
        --quiet --json "$work/loadgen.json" >"$work/loadgen.out" 2>&1 ||
        { cat "$work/loadgen.out" >&2; exit 1; }
    python3 - "$level" "$work" >>"$results" <<'EOF'
import json, re, sys
level, work = sys.argv[1], sys.argv[2]
def cpu(path):
    user, sys_ = open(path).read().split()[-2:]
    return float(user) + float(sys_)
out = open(f"{work}/dnsperf.out").read()
def field(name):
    m = re.search(name + r":\s+([0-9.]+)", out)
    return float(m.group(1)) if m else float("nan")
d_qps = field("Queries per second")
d_done = field("Queries completed")
d_avg_us = field(r"Average Latency \(s\)") * 1e6
d_cpu = cpu(f"{work}/dnsperf.time")
j = json.load(open(f"{work}/loadgen.json"))
l_cpu = cpu(f"{work}/loadgen.time")
per100k = lambda c, n: c / n * 1e5 if n else float("nan")
print("\t".join(str(x) for x in [
    level, d_qps, d_avg_us, per100k(d_cpu, d_done),
    j["qps"], j["latency_us"]["p50"], j["latency_us"]["p99"], per100k(l_cpu, j["completed"]),
]))
EOF
done

python3 - "$results" <<'EOF'
import sys
rows = [line.split("\t") for line in open(sys.argv[1]) if line.strip()]
head = ("conc", "dnsperf qps", "dnsperf avg/p50/p99 us", "dnsperf cpu-s/100k",
        "loadgen qps", "loadgen p50/p99 us", "loadgen cpu-s/100k", "qps ratio", "cpu ratio")
table = []
for level, dq, davg, dcpu, lq, lp50, lp99, lcpu in rows:
    dq, davg, dcpu, lq, lcpu = map(float, (dq, davg, dcpu, lq, lcpu))
    table.append((
        level, f"{dq:,.0f}", f"{davg:,.0f} / n/a / n/a", f"{dcpu:.3f}",
        f"{lq:,.0f}", f"{int(lp50):,} / {int(lp99):,}", f"{lcpu:.3f}",
        f"{lq / dq:.2f}x", f"{lcpu / dcpu:.2f}x",
    ))
widths = [max(len(str(r[i])) for r in [head] + table) for i in range(len(head))]
line = lambda r: "| " + " | ".join(str(c).rjust(w) for c, w in zip(r, widths)) + " |"
print(line(head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in table:
    print(line(r))
EOF
