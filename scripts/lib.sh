# shellcheck shell=bash
# What the scripts in this directory share. Source it from the workspace root,
# after `cd "$(dirname "$0")/.."`:
#
#   . scripts/lib.sh

# Where cargo puts binaries (CARGO_TARGET_DIR is honoured).
target_dir=$(realpath -m "${CARGO_TARGET_DIR:-target}")
# shellcheck disable=SC2034 # used by the scripts that source this file
release_dir=$target_dir/release

# usage: prints the running script's header, the comment block after its
# shebang, without the leading `# `: each script's --help, so the help and the
# header cannot drift apart. (It reads scripts/NAME, not "$0" as given, because
# the script has already changed to the workspace root.)
usage() {
    sed -n '2,$ { /^#/!q; s/^# \{0,1\}//; p; }' "scripts/${0##*/}"
}

# environment_settings_only "$@": for a script that takes its settings from
# environment variables: --help prints its header and exits, any other
# argument is refused naming the script and where its settings go.
environment_settings_only() {
    case "${1:-}" in
        -h|--help) usage; exit 0 ;;
        "") ;;
        *) echo "${0##*/}: unknown argument '$1' (it takes none; settings are environment variables, see --help)" >&2; exit 2 ;;
    esac
}

# apt_install PACKAGE...: install Debian packages (through sudo unless root),
# saying so on stdout. Does nothing without arguments.
apt_install() {
    (($#)) || return 0
    echo "==> installing $*"
    local sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    # `env` after sudo, so the variable survives sudo's env_reset.
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# pick_cpus: sets server_cpus and load_cpus for taskset, the server on CPU 0
# and the load generator on CPU 1 (also 0 on a single-CPU machine).
# shellcheck disable=SC2034 # used by the scripts that source this file
pick_cpus() {
    server_cpus=0
    load_cpus=1
    if (($(nproc) < 2)); then load_cpus=0; fi
}

# build_server_and_loadgen: builds satloc-server and satloc-loadgen (release)
# and sets SERVER and LOADGEN to their paths.
# shellcheck disable=SC2034 # used by the scripts that source this file
build_server_and_loadgen() {
    echo "==> building satloc-server and satloc-loadgen (release)" >&2
    cargo build --release -q -p satloc-server -p satloc-loadgen
    SERVER="$release_dir/satloc-server"
    LOADGEN="$release_dir/satloc-loadgen"
}

# child_pid PID EXE: prints the pid of the child of process PID that runs the
# executable EXE, e.g. the server that `coz run` started. Found through the
# process tree rather than by name, so another run's server is never picked.
# Prints nothing if there is none.
child_pid() {
    local parent=$1 exe child
    exe=$(realpath -m "$2")
    for child in $(pgrep -P "$parent" || true); do
        if [[ $(readlink "/proc/$child/exe" 2>/dev/null) == "$exe" ]]; then
            echo "$child"
            return 0
        fi
    done
}

# listening_port LOG PID: waits up to 20 s for a satloc-server started with
# `--listen 127.0.0.1:0` to write "listening on 127.0.0.1:PORT" to LOG, and
# prints PORT. PID is the server's process (or the one running it, e.g. coz):
# if it exits first, or the time runs out, shows LOG and why on stderr and
# returns 1.
listening_port() {
    local log=$1 pid=$2 port=""
    for _ in $(seq 1 200); do
        # (The log may not exist yet: the shell that starts the server creates it.)
        [[ ! -f $log ]] || port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -n1)
        if [[ -n $port ]]; then
            echo "$port"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; echo "server did not start" >&2; return 1; }
        sleep 0.1
    done
    cat "$log" >&2
    echo "server did not say where it listens" >&2
    return 1
}

# instructions_per_answer WORKLOAD ITERATIONS: instructions per answer of one
# satloc-icount workload, counted exactly by valgrind: a run with ITERATIONS
# answers minus a run with none (start-up and catalogue loading cancel out).
# Prints nothing when valgrind counted nothing.
instructions_per_answer() {
    local zero many
    zero=$(_callgrind_total "$1" 0)
    many=$(_callgrind_total "$1" "$2")
    [[ -n $zero && -n $many ]] || return 0
    echo $(((many - zero) / $2))
}

_callgrind_total() { # workload iterations -> instructions of the whole run
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$release_dir"/satloc-icount "$1" "$2" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# free_ports N: prints N loopback ports, each free for both UDP and TCP on
# 127.0.0.1 (all held until all are found, so they differ).
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
held = []
while len(held) < int(sys.argv[1]):
    tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tcp.bind(("127.0.0.1", 0))
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        udp.bind(("127.0.0.1", tcp.getsockname()[1]))
    except OSError:
        continue
    held.append((tcp, udp))
print(" ".join(str(t.getsockname()[1]) for t, _ in held))
PY
}

# tree_cpu_ticks PID: user + system clock ticks so far of PID and all its
# living descendants, every thread included (/proc/PID/stat fields 14 and 15):
# a server that forks workers (NSD) is charged for all of them.
tree_cpu_ticks() {
    local pids=("$1") children=() i=0 total=0 stat
    while ((i < ${#pids[@]})); do
        # Each thread's "children" file lists the pids it forked, space-separated.
        read -r -a children <<<"$(cat /proc/"${pids[i]}"/task/*/children 2>/dev/null | tr "\n" " ")"
        pids+=("${children[@]}")
        i=$((i + 1))
    done
    for i in "${pids[@]}"; do
        # The fields after the ")" that closes the command name: utime and
        # stime are the 12th and 13th there.
        stat=$(sed 's/.*) //' "/proc/$i/stat" 2>/dev/null) || continue
        total=$((total + $(awk '{ print $12 + $13 }' <<<"$stat")))
    done
    echo "$total"
}

# crate_source_dir NAME: prints the source directory of the package NAME that
# this workspace builds with (from `cargo metadata`, so the version in
# Cargo.lock), as a physical path, as in the debug info. Fails with a message
# when the workspace has no such package, or more than one version of it.
crate_source_dir() {
    cargo metadata --format-version 1 --locked 2>/dev/null | python3 -c '
import json, os, sys
name = sys.argv[1]
dirs = sorted({os.path.realpath(os.path.dirname(p["manifest_path"]))
               for p in json.load(sys.stdin)["packages"] if p["name"] == name})
if len(dirs) != 1:
    sys.exit(f"--scope-crate {name}: expected one package of that name in the workspace'"'"'s dependencies, found {len(dirs)}")
print(dirs[0])
' "$1"
}

# sat_example_zone TTL [NAME LOC]...: prints a zone file for sat.example,
# every record at TTL seconds: SOA, NS and the name server's address, then
# `NAME IN LOC LOC` for each pair (LOC in presentation form, as `dig +short`
# prints it), for the peers that serve satloc's names from a zone file.
sat_example_zone() {
    local ttl=$1
    shift
    echo "\$ORIGIN sat.example."
    echo "\$TTL $ttl"
    echo "@ IN SOA ns1 hostmaster 2024010101 3600 600 86400 $ttl"
    echo "@ IN NS ns1"
    echo "ns1 IN A 127.0.0.1"
    while (($# >= 2)); do
        echo "$1 IN LOC $2"
        shift 2
    done
}

# Fixed LOC records (NAME LOC pairs for sat_example_zone), for a server that
# serves satloc's names from a static zone when what is measured is the
# server rather than whether the positions are current. Every LOC RDATA is 16
# bytes, so the answers are as long as satloc's.
# shellcheck disable=SC2034 # used by the scripts that source this file
static_locs=(
    iss "43 46 46.715 S 145 49 45.069 W 417946.18m 1m 1m 1m"
    hubble "28 30 0.000 N 80 33 0.000 W 540000m 1m 1m 1m"
    tiangong "12 0 0.000 N 100 0 0.000 E 380000m 1m 1m 1m"
)

# loc_queries NAME...: prints a dnsperf query file (also satloc-loadgen's
# -d) asking for the LOC record of each NAME.sat.example.
loc_queries() {
    echo "; dnsperf format: name TYPE"
    local name
    for name in "$@"; do echo "$name.sat.example LOC"; done
}

# nsd_path: prints where nsd is (on PATH, or /usr/sbin where Debian puts it
# and a user's PATH often lacks), or nothing when NSD is not installed.
nsd_path() {
    command -v nsd || { [[ -x /usr/sbin/nsd ]] && echo /usr/sbin/nsd; } || true
}

# stop_new_services PACKAGE...: Debian starts a server package's service on
# install where an init system runs; it would listen on port 53 and take CPU
# time from the server measured. Stops the service of each PACKAGE (those of
# knot, nsd, pdns-server; others are skipped) that is running: pass only the
# packages just installed, so a server that ran before is left alone.
stop_new_services() {
    local package service
    for package in "$@"; do
        case "$package" in knot|nsd|pdns-server) ;; *) continue ;; esac
        service=${package%-server}
        if command -v service >/dev/null 2>&1 && service "$service" status >/dev/null 2>&1; then
            echo "==> stopping the $service service the install started" >&2
            service "$service" stop >&2 || true
        fi
    done
}

# write_nsd_conf DIR PORT ZONE_FILE: writes DIR/nsd.conf, NSD serving
# sat.example from ZONE_FILE on 127.0.0.1:PORT with its state, pid file and
# log in DIR (the system's /etc/nsd is never read), one server process
# (server-count 1, as the others measured run one worker) and no response
# rate limiting (rrl-ratelimit 0: a benchmark's one client would be limited).
write_nsd_conf() {
    local dir=$1 port=$2 zone=$3
    mkdir -p "$dir"
    cat >"$dir/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1
    port: $port
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$dir"
    database: ""
    zonelistfile: "$dir/zone.list"
    xfrdfile: "$dir/xfrd.state"
    pidfile: "$dir/nsd.pid"
    logfile: "$dir/nsd.log"
    verbosity: 0
    hide-version: yes
    rrl-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: sat.example
    zonefile: "$zone"
CONF
}

# start_nsd DIR CPUS: starts NSD (path in NSD) in the foreground (-d) with
# DIR/nsd.conf (see write_nsd_conf), pinned to CPUS with taskset (the server
# process it forks and xfrd inherit the pinning), its output in DIR/nsd.out;
# sets nsd_pid. It may not answer yet: see wait_answering.
# shellcheck disable=SC2034 # used by the scripts that source this file
start_nsd() {
    taskset -c "$2" "$NSD" -d -c "$1/nsd.conf" >"$1/nsd.out" 2>&1 &
    nsd_pid=$!
}

# answers_loc PORT: an iss.sat.example LOC query to 127.0.0.1:PORT got a
# NOERROR answer (satloc-loadgen checks the ID and the question; its JSON
# summary, the rcode).
answers_loc() {
    local json status=0
    json=$(mktemp -t answers-loc.XXXXXX)
    "$LOADGEN" -s 127.0.0.1 -p "$1" --qname iss.sat.example --qtype LOC --requests 1 \
        --timeout 200ms --quiet --json "$json" >/dev/null 2>&1 &&
        python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["rcodes"].get("NOERROR",0)==1 else 1)' \
            "$json" 2>/dev/null || status=1
    rm -f "$json"
    return "$status"
}

# wait_answering NAME PORT PID LOG...: waits up to 10 s until the server NAME
# (process PID) on 127.0.0.1:PORT answers a LOC query (answers_loc); if PID
# exits first or the time runs out, shows each LOG on stderr and exits.
wait_answering() {
    local name=$1 port=$2 pid=$3
    shift 3
    for _ in $(seq 100); do
        answers_loc "$port" && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    cat "$@" >&2 2>/dev/null || true
    echo "${0##*/}: $name on 127.0.0.1:$port did not answer a LOC query; its log is above" >&2
    exit 1
}

# screenshot URL OUT WIDTH,HEIGHT: headless chromium renders URL in a window
# of that many pixels and writes it to OUT as a small PNG (colours reduced
# with pngquant). Installs chromium and pngquant from Debian if missing.
screenshot() {
    local url=$1 out=$2 window=$3 need_packages=() shot status=0
    command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)
    command -v pngquant >/dev/null 2>&1 || need_packages+=(pngquant)
    apt_install "${need_packages[@]}" >&2
    shot=$(mktemp -d -t screenshot.XXXXXX)
    # A budget of virtual time lets scripts and timers run before the shot.
    timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
        --user-data-dir="$shot/profile" --window-size="$window" \
        --virtual-time-budget=5000 --screenshot="$shot/page.png" "$url" 2>/dev/null &&
        pngquant --force --quality=70-95 --strip --output "$out" "$shot/page.png" || status=$?
    rm -rf "$shot"
    ((status == 0)) || echo "screenshot of $url failed (status $status)" >&2
    return "$status"
}
