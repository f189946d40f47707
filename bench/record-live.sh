#!/usr/bin/env bash
# Issue 13's figures: the 12.5-minute sample meeting played in real time into
# a private PulseAudio null sink, recorded by `kaigiroku record --live
# --meeting`; prints dropped samples, the time from stop to the draft written,
# and CER against the truth for the live draft and for `draft` on the
# recorded file. Takes about 20 minutes. KAIGIROKU_LIVE_SAMPLE picks another
# sample (kaigi-2022-01: 3.5 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prepare.sh >/dev/null
KAIGIROKU_LIVE_SAMPLE="${KAIGIROKU_LIVE_SAMPLE:-kaigi-2022-01-full}" \
  cargo test --release --test live record_live -- --nocapture 2>&1 | grep '^|'
