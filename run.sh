#!/usr/bin/env bash
# Tortie's two entry points on a fresh Debian machine (run as root):
#   ./run.sh demo   install what is missing, build, and run the main job
#   ./run.sh test   install what is missing and run the whole test suite (what .ci/run calls)
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the build and the tests need. Checked one by one so that a machine that has
# them all does not touch apt at all; otherwise one `apt-get update` and one install.
PACKAGES=(gcc pkg-config protobuf-compiler libprotobuf-dev nftables iptables ipset iproute2 etcd-server conntrack procps)

install_missing() {
    local missing=()
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "==> installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
    if ! command -v cargo >/dev/null; then
        echo "error: cargo is not installed; install a Rust toolchain (1.95 or newer) with rustup" >&2
        exit 2
    fi
}

demo() {
    install_missing
    echo "==> building tortie (release)"
    cargo build --release --quiet
    local tortie=target/release/tortie
    echo "==> the seed manifests as published: every mistake named with file, line and field"
    "$tortie" validate -f examples/seeds/as-published || true
    echo
    echo "==> the same manifests corrected"
    "$tortie" validate -f examples/seeds/corrected
    echo
    echo "==> a lab cluster of network namespaces, real agents enforcing with nftables,"
    echo "    real packets for every expected flow, each compared with tortie trace"
    "$tortie" lab run examples/*/scenario.yaml
}

test_all() {
    install_missing
    echo "==> format and lint"
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --quiet -- -D warnings
    echo "==> unit, integration and property tests"
    cargo test --workspace --all-targets --exclude tortie-conformance
    echo "==> conformance corpora (counts printed)"
    cargo test -p tortie-conformance -- --nocapture --test-threads 1
}

case "${1:-}" in
    demo) demo ;;
    test) test_all ;;
    *) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
