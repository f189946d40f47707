#!/usr/bin/env bash
# Shared by demo.sh and test.sh: installs the system packages that are
# missing, builds kaigiroku (release) and installs the models (a no-op when
# they are there). Prints the path of the built binary.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >&2
cargo build --release --quiet
kaigiroku="${CARGO_TARGET_DIR:-target}/release/kaigiroku"
"$kaigiroku" model install >&2
echo "$kaigiroku"
