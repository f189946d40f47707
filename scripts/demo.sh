#!/usr/bin/env bash
# The main job on the bundled sample: installs what is missing, builds,
# installs the Whisper base and VAD models, and drafts the minutes of the sample
# meeting into out/kaigi-2022-01/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo build --release --quiet
kaigiroku=target/release/kaigiroku
[ -n "${CARGO_TARGET_DIR:-}" ] && kaigiroku="$CARGO_TARGET_DIR/release/kaigiroku"
"$kaigiroku" model install
"$kaigiroku" draft samples/kaigi-2022-01/meeting.wav \
  --meeting samples/kaigi-2022-01/meeting.toml -o out/kaigi-2022-01
