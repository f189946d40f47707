#!/usr/bin/env bash
# Runs every test, the real-model ones included: installs what is missing
# and the models first (a no-op when they are there).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --quiet
kaigiroku=target/release/kaigiroku
[ -n "${CARGO_TARGET_DIR:-}" ] && kaigiroku="$CARGO_TARGET_DIR/release/kaigiroku"
"$kaigiroku" model install
cargo test --release
