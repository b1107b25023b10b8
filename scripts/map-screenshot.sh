#!/usr/bin/env bash
# The README's picture of the live map: starts the server with the embedded
# catalogue, the clock frozen at NOW and the map on a free loopback port,
# lets headless chromium render the page, and writes a small PNG (colours
# reduced with pngquant) to OUT (lib.sh's screenshot, which
# scripts/report-screenshot.sh uses too). Installs chromium and pngquant
# from Debian if they are missing.
#
#   scripts/map-screenshot.sh [OUT] [NOW]    # default docs/map.png, 2026-11-28T12:00:00Z
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

out=${1:-docs/map.png}
now=${2:-2026-11-28T12:00:00Z}
# The page at this size shows the whole map and the object list.
window=1100,540

cargo build --release -p satloc-server --quiet
work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -z $server_pid ]] || kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$release_dir"/satloc-server --now "$now" --listen 127.0.0.1:0 \
  --http-listen 127.0.0.1:0 >"$work/server.log" 2>&1 &
server_pid=$!
url=""
for _ in $(seq 1 200); do
  url=$(sed -n 's|.*map on \(http://[0-9.:]*/\).*|\1|p' "$work/server.log" | head -n1)
  [[ -z $url ]] || break
  kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log" >&2; exit 1; }
  sleep 0.1
done
[[ -n $url ]] || { cat "$work/server.log" >&2; echo "the map did not start" >&2; exit 1; }

screenshot "$url" "$out" "$window"
echo "$out: $(stat -c %s "$out") bytes, the map at $now ($url)"
