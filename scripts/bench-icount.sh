#!/usr/bin/env bash
# Instructions per answer for each answer-core workload, counted exactly with
# valgrind (callgrind), side by side with the committed baseline.
#
#   scripts/bench-icount.sh              # print the table
#   scripts/bench-icount.sh --save       # also write benches/icount-baseline.tsv
#   scripts/bench-icount.sh --check 2    # exit 1 if any workload got >2% worse
#   scripts/bench-icount.sh --bmf out.json  # also write the counts as BMF JSON
#   scripts/bench-icount.sh --bmf -      # BMF JSON on stdout, the table on stderr
#
# --bmf writes Bencher Metric Format (https://bencher.dev/docs/reference/bencher-metric-format),
# the current counts only, for `bencher run --adapter json`:
#   {"answer/WORKLOAD": {"instructions": {"value": INSTRUCTIONS_PER_ANSWER}}, ...}
# It is written before --check fails, so a regression is still recorded.
#
# Instruction counts do not depend on what else the machine is doing, so this
# is the regression check for shared, noisy CI machines. Each workload is run
# with 0 and N iterations; the difference divided by N is the per-answer cost
# (start-up and catalogue loading cancel out).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

iterations=2000
baseline=benches/icount-baseline.tsv
save=0
check=""
bmf=""
while (($#)); do
    case "$1" in
        --save) save=1 ;;
        --check) check="$2"; shift ;;
        --iterations) iterations="$2"; shift ;;
        --bmf) bmf="${2:?--bmf needs a PATH, or - for stdout}"; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "usage: $0 [--save] [--check PERCENT] [--iterations N] [--bmf PATH|-]" >&2; exit 2 ;;
    esac
    shift
done
# With `--bmf -` stdout carries only the JSON: everything else, the table
# included, goes to stderr, and fd 3 keeps the real stdout for the JSON.
if [[ $bmf == - ]]; then exec 3>&1 1>&2; fi

# bmf_json "WORKLOAD<TAB>INSTRUCTIONS"...: the counts as BMF JSON, built by
# python's json module so that any workload name is escaped correctly.
bmf_json() {
    python3 -c '
import json, sys
bmf = {}
for line in sys.argv[1:]:
    name, value = line.split("\t")
    bmf["answer/" + name] = {"instructions": {"value": int(value)}}
json.dump(bmf, sys.stdout, indent=2)
print()
' "$@"
}

command -v valgrind >/dev/null || apt_install valgrind
[[ -z $bmf ]] || command -v python3 >/dev/null || apt_install python3

cargo build --release -q -p satloc-benches --bin satloc-icount
bin="$release_dir"/satloc-icount

workloads=$( ("$bin" 2>&1 || true) | sed -n "s/^workloads: //p" | tr -d ",")
if [[ -z $workloads ]]; then
    echo "no workloads: $bin did not list any (is it built there?)" >&2
    exit 1
fi
declare -A base
if [[ -f $baseline ]]; then
    while IFS=$'\t' read -r name value; do
        [[ $name == \#* || -z $name ]] || base[$name]=$value
    done <"$baseline"
fi

printf '%-16s %14s %14s %8s\n' workload "instr/answer" baseline ratio
worse=0
results=()
for w in $workloads; do
    per=$(instructions_per_answer "$w" "$iterations")
    if [[ -z $per ]]; then
        echo "valgrind counted nothing for $w: $bin $w" >&2
        exit 1
    fi
    results+=("$w"$'\t'"$per")
    b=${base[$w]:-}
    if [[ -n $b ]]; then
        ratio=$(awk -v a="$per" -v b="$b" 'BEGIN { printf "%.3f", a / b }')
        if [[ -n $check ]] && awk -v r="$ratio" -v p="$check" 'BEGIN { exit !(r > 1 + p / 100) }'; then
            worse=1
            ratio="$ratio  WORSE"
        fi
    else
        b="-"; ratio="-"
    fi
    printf '%-16s %14d %14s %8s\n' "$w" "$per" "$b" "$ratio"
done

if ((save)); then
    {
        echo "# instructions per answer, scripts/bench-icount.sh --iterations $iterations, $(date -u +%F)"
        printf '%s\n' "${results[@]}"
    } >"$baseline"
    echo "saved $baseline"
fi
if [[ $bmf == - ]]; then
    bmf_json "${results[@]}" >&3
elif [[ -n $bmf ]]; then
    mkdir -p "$(dirname "$bmf")"
    bmf_json "${results[@]}" >"$bmf"
    echo "wrote $bmf"
fi
if ((worse)); then
    echo "regression: some workload costs more than ${check}% over the baseline" >&2
    exit 1
fi
