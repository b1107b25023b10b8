#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need,
# then checks formatting, lints, tests and docs. `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
case "${1:-}" in -h|--help) usage; exit 0 ;; esac

# Debian packages the tests use: dig (black-box tests compare its LOC output),
# unbound (a real resolver in front of the server, tests/resolver.rs),
# valgrind (exact instruction counts per answer, checked against the baseline),
# chromium (renders the map page headless, tests/map.rs),
# PowerDNS Authoritative with its remote backend (satloc behind it, tests/pdns.rs).
need_packages=()
command -v dig >/dev/null 2>&1 || need_packages+=(bind9-dnsutils)
command -v unbound >/dev/null 2>&1 || need_packages+=(unbound)
command -v valgrind >/dev/null 2>&1 || need_packages+=(valgrind)
command -v chromium >/dev/null 2>&1 || need_packages+=(chromium)
[[ -x /usr/sbin/pdns_server ]] || command -v pdns_server >/dev/null 2>&1 || need_packages+=(pdns-server)
dpkg-query -W -f='${Status}' pdns-backend-remote 2>/dev/null | grep -q 'ok installed' ||
    need_packages+=(pdns-backend-remote)
apt_install "${need_packages[@]}"
# cargo-cycles: finds import cycles between the modules of each crate.
command -v cargo-cycles >/dev/null 2>&1 || cargo install --locked --quiet cargo-cycles@0.2.0

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "==> the fuzz targets still build (fuzz/ is outside the workspace; README, \"Fuzzed\")"
# Checked like the workspace, in its target directory so the dependencies
# built for clippy above are reused.
cargo fmt --manifest-path fuzz/Cargo.toml -- --check
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}" \
  cargo clippy --manifest-path fuzz/Cargo.toml --bins -- -D warnings
echo "==> module imports form a DAG in every crate"
cargo-cycles
echo "==> cargo test"
cargo test --workspace
echo "==> Kubernetes manifests (deploy/kubernetes) validate offline"
scripts/validate-k8s.sh
echo "==> the instrumentation with its features on (coz progress points, pprof sampling)"
cargo clippy -p satloc-server --all-targets --features coz,pprof -- -D warnings
cargo test -p satloc-profiling --features coz,pprof
echo "==> instructions per answer (fails if any workload got more than 10% worse)"
# The same run writes the counts in Bencher Metric Format, for a CI that
# tracks them; checked here so that a malformed file fails the build.
bmf="$target_dir/icount-bmf.json"
scripts/bench-icount.sh --check 10 --bmf "$bmf"
python3 -c '
import json, sys
bmf = json.load(open(sys.argv[1]))
assert isinstance(bmf, dict) and bmf, "no benchmarks"
for name, measures in bmf.items():
    assert name.startswith("answer/"), name
    assert list(measures) == ["instructions"], (name, measures)
    value = measures["instructions"]["value"]
    assert type(value) is int and value > 0, (name, value)
print(f"{sys.argv[1]}: {len(bmf)} benchmarks in Bencher Metric Format")
' "$bmf"
echo "==> cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "==> all checks passed"
