#!/usr/bin/env bash
# Runs every test, the real-model ones included: installs what is missing
# and the models first (a no-op when they are there).
#
# The same tests as `cargo test --release`, in the same order, except that
# tests/model runs one test at a time: its tests each decode with Whisper on
# every core, and two at once on a 2-core machine spin in whisper.cpp's
# thread barriers (the 12.5-minute draft took 29 minutes that way, 5 alone).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prepare.sh >/dev/null
cargo test --release --no-run
cargo test --release --lib --bins --test fast --test live
cargo test --release --test model -- --test-threads=1
cargo test --release --test slurm
