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
