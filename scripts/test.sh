#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what the tests need,
# then checks formatting, lints, tests and docs. `.ci/run` runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: dig (black-box tests compare its LOC output),
# valgrind (exact instruction counts per answer, checked against the baseline).
need_packages=()
command -v dig >/dev/null 2>&1 || need_packages+=(bind9-dnsutils)
command -v valgrind >/dev/null 2>&1 || need_packages+=(valgrind)
if ((${#need_packages[@]})); then
    echo "==> installing ${need_packages[*]}"
    sudo_cmd=()
    [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need_packages[@]}"
fi

echo "==> cargo fmt --check"
cargo fmt --all -- --check
echo "==> cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "==> cargo test"
cargo test --workspace
echo "==> instructions per answer (fails if any workload got more than 10% worse)"
scripts/bench-icount.sh --check 10
echo "==> cargo doc"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet
echo "==> all checks passed"
