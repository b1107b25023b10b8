#!/usr/bin/env bash
# Re-fetches the map page's third-party files into server/map/vendor/ with
# npm (`npm pack`, which checks each tarball against the registry's integrity
# hash; this script checks it again against the hashes pinned below), with
# each package's licence. The server embeds these files (server/src/map/assets.rs),
# so the page needs no network at run time; only this script does.
#
#   scripts/vendor-map.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

out=server/map/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# package@version  integrity  file in the package  name in $out
packages=(
  "world-atlas@2.0.2 sha512-IXfV0qwlKXpckz1FhwXVwKRjiIhOnWttOskm5CtxMsjgE/MXAYRHWJqgXOpM8IkcPBoXnyTU5lFHcYa5ChG0LQ== land-110m.json land-110m.json"
  "topojson-client@3.1.0 sha512-605uxS6bcYxGXw9qi62XyrV6Q3xwbndjachmNxu8HWTtVPxZfEJN9fd/SZS1Q54Sn2y0TMyMxFj/cJINqGHrKw== dist/topojson-client.min.js topojson-client.min.js"
  "d3-array@3.2.4 sha512-tdQAmyA18i4J7wprpYq8ClcxZy3SC31QMeByyCFyRt7BVHdREQZ5lpzoe5mFEYZUWe+oq8HBvk9JjpibyEV4Jg== dist/d3-array.min.js d3-array.min.js"
  "d3-geo@3.1.1 sha512-637ln3gXKXOwhalDzinUgY83KzNWZRKbYubaG+fGVuc/dxO64RRljtCTnf5ecMyE1RIdtqpkVcq0IbtU2S8j2Q== dist/d3-geo.min.js d3-geo.min.js"
)

mkdir -p "$out"
for entry in "${packages[@]}"; do
  read -r spec integrity file name <<<"$entry"
  package=${spec%@*}
  echo "==> $spec"
  tarball=$(cd "$work" && npm pack --silent "$spec")
  actual="sha512-$(openssl dgst -sha512 -binary "$work/$tarball" | base64 -w0)"
  if [[ $actual != "$integrity" ]]; then
    echo "$spec: integrity $actual, expected $integrity" >&2
    exit 1
  fi
  mkdir -p "$work/$package"
  tar xzf "$work/$tarball" -C "$work/$package"
  cp "$work/$package/package/$file" "$out/$name"
  cp "$work/$package/package/LICENSE" "$out/LICENSE.$package"
done
echo "==> $out"
ls -l "$out"
