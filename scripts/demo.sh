#!/usr/bin/env bash
# The main job on the bundled sample: installs what is missing, builds,
# installs the Whisper base, VAD and CAM++ models, and drafts the minutes of
# the sample meeting into out/kaigi-2022-01/.
set -euo pipefail
cd "$(dirname "$0")/.."
kaigiroku=$(scripts/prepare.sh)
"$kaigiroku" draft samples/kaigi-2022-01/meeting.wav \
  --meeting samples/kaigi-2022-01/meeting.toml -o out/kaigi-2022-01
