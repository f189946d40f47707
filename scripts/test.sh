#!/usr/bin/env bash
# Runs every test, the real-model ones included: installs what is missing
# and the models first (a no-op when they are there).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prepare.sh >/dev/null
cargo test --release
