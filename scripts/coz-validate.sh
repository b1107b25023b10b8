#!/usr/bin/env bash
# Does coz find a cost we planted? A profiler nobody has checked is a guess.
#
#   scripts/coz-validate.sh [--seconds N] [--work-ns N] [--point NAME] [--engine E]
#
# Runs scripts/coz.sh with `--synthetic-work-ns N`: the server does about N ns
# of busy work in server/src/synthetic.rs (`planted_cost`) on the critical path
# of every query. It runs the tokio receive loop (`--udp-engine loop`) unless
# --engine says otherwise: that is the async case coz is least trusted with, and
# on the batch engine coz credits much of the worker's system-call time to the
# line that starts the worker, which then competes with the planted cost
# (docs/profiling.md, "Validating the profiler"). Then it checks, from
# `satloc-prof coz-report --json`, that
#
#   1. the top-ranked line is the planted cost: a line of server/src/synthetic.rs,
#      or the line that calls `planted_cost` (with frame pointers coz credits a
#      call's samples to the calling line as well, see docs/profiling.md),
#   2. its best predicted program speedup is positive, and
#   3. its curve rises: the mean program speedup at line speedups >= 50 % is
#      higher than at 5..25 %.
#
# and prints the numbers. Exit status 0 when all three hold, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

seconds=300
work_ns=10000
point=""
engine=loop
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift ;;
        --work-ns) work_ns="$2"; shift ;;
        --point) point="$2"; shift ;;
        --engine) engine="$2"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

out=target/coz-validate
scripts/coz.sh --seconds "$seconds" --out "$out" -- --synthetic-work-ns "$work_ns" --threads 1 \
    --udp-engine "$engine" || true

report_args=("$out/profile.coz" --json)
[[ -z $point ]] || report_args+=(--point "$point")
"$release_dir"/satloc-prof coz-report "${report_args[@]}" >"$out/report.json" 2>/dev/null || true

python3 - "$out/report.json" "$work_ns" "$(pwd -P)" <<'EOF'
import json
import sys

path, work_ns, root = sys.argv[1], sys.argv[2], sys.argv[3]
with open(path) as f:
    report = json.load(f)
ranked = report.get("ranked", [])
if not ranked:
    print("FAIL: no line was ranked; warnings:")
    for warning in report.get("warnings", []):
        print("  -", warning.get("message", warning))
    sys.exit(1)
top = ranked[0]

def relative(location):
    """A source location as a path inside this checkout, wherever it lives."""
    return location.removeprefix(root + "/")

print(f"planted cost: {work_ns} ns per query in server/src/synthetic.rs")
print("top lines:")
for line in ranked[:5]:
    print(f"  #{line['rank']} {relative(line['line']):40} impact {line['impact']:+.1%} "
          f"max {line['max_program_speedup']:+.1%} at {line['max_at_line_speedup_percent']}% "
          f"({line['experiments']} experiments, {line['sample_share']:.1%} of samples)")

curves = report["curves"]
point = top.get("impact_point")
curve = next((curves[i] for i in top["curves"] if curves[i]["point"] == point), curves[top["curves"][0]])
low = [m["program_speedup"] for m in curve["measurements"] if 5 <= m["line_speedup_percent"] <= 25]
high = [m["program_speedup"] for m in curve["measurements"] if m["line_speedup_percent"] >= 50]
mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")
print(f"curve of the top line ({curve['point']}, {curve['kind']}):")
for m in curve["measurements"]:
    print(f"  line speedup {m['line_speedup_percent']:3d}%  program speedup {m['program_speedup']:+7.1%}  ({m['experiments']} experiments)")

def source_line(location):
    path, _, number = location.rpartition(":")
    try:
        with open(path) as f:
            return f.read().splitlines()[int(number) - 1].strip()
    except (OSError, ValueError, IndexError):
        return ""

top_text = source_line(top["line"])
print(f"top line source: {top_text!r}")
is_planted = "server/src/synthetic.rs:" in top["line"] or "planted_cost(" in top_text
checks = [
    ("top line is the planted cost (in synthetic.rs, or its call site)", is_planted),
    ("best predicted program speedup is positive", top["max_program_speedup"] > 0),
    (f"curve rises (mean {mean(low):+.1%} at 5-25% vs {mean(high):+.1%} at >=50%)",
     bool(low) and bool(high) and mean(high) > mean(low)),
]
failed = False
for what, ok in checks:
    print(("PASS " if ok else "FAIL ") + what)
    failed |= not ok
sys.exit(1 if failed else 0)
EOF
