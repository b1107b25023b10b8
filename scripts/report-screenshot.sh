#!/usr/bin/env bash
# A picture of a satloc-loadgen report (`--report DIR` writes DIR/report.html):
# headless chromium renders REPORT_HTML offline and a small PNG (colours
# reduced with pngquant) goes to OUT. The window shows the report's top, as
# one sees it on opening it: for a sweep, the heading, the capacity line and
# the plot of latency against throughput with the SLO and the knee. WINDOW
# (WIDTH,HEIGHT in pixels) shows more: the other three plots, the table of
# steps and the command line follow below it, and 960,3000 holds the whole
# report of a sweep of about eight steps.
# Installs chromium and pngquant from Debian if they are missing.
#
#   scripts/report-screenshot.sh REPORT_HTML OUT.png
#   WINDOW=960,3000 scripts/report-screenshot.sh sweep-nsd/report.html sweep-nsd.png
set -euo pipefail
# The paths are the caller's, resolved before moving to the workspace root.
report=${1:+$(realpath -m -- "$1")}
out=${2:+$(realpath -m -- "$2")}
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
(($# == 2)) || { usage >&2; exit 2; }
[[ -f $report ]] || { echo "report-screenshot.sh: $1: no such file" >&2; exit 1; }
# The page is at most 900 pixels wide, centred; the top plot ends near 670
# when the capacity line takes two lines.
window="${WINDOW:-960,700}"

screenshot "file://$report" "$out" "$window"
echo "$2: $(stat -c %s "$out") bytes, $1 in a window of $window"
