#!/usr/bin/env bash
# Ground tracks per second on a large catalogue, one after the other and in
# parallel with rayon (the criterion bench `benches/benches/tracks.rs`): what
# computing the map's tracks in parallel buys (README, "A live map"). Prints
# one line per variant, tracks/s at criterion's mean, and the speed-up.
# Takes about a minute. The figure depends on the cores free: rayon uses one
# thread per core (RAYON_NUM_THREADS overrides).
#
#   scripts/bench-tracks.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo bench -p satloc-benches --bench tracks -- --noplot 2>&1 | tee "$log" >&2
# criterion prints `thrpt: [low mean high]` under each bench's name, in
# elem/s, Kelem/s or Melem/s; one element is one track.
awk '
  /^ground_tracks\// { name = $1; sub(/^ground_tracks\//, "", name) }
  /thrpt:/ {
    line = $0; sub(/.*\[/, "", line); split(line, f, " ")
    rate = f[3]; unit = f[4]
    if (unit ~ /^Kelem/) rate *= 1e3; else if (unit ~ /^Melem/) rate *= 1e6
    rates[name] = rate
    printf "%-7s %10.0f tracks/s\n", name, rate
  }
  /^\(.*objects/ { print }
  END {
    if (rates["serial"] > 0 && rates["rayon"] > 0)
      printf "rayon / serial: %.2fx\n", rates["rayon"] / rates["serial"]
  }
' "$log"
