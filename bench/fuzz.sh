#!/usr/bin/env bash
# The fuzzing figures: runs the property tests of tests/fast/fuzz_audio.rs and
# tests/fast/fuzz_meeting.rs with many more inputs than CI does and prints a
# Markdown table, one row per target: inputs tried (shrinking steps
# included), seconds, failures, and how the inputs ended (ok, or the kind of
# error; a target whose inputs all fail at the first check explores little).
#
#   bench/fuzz.sh                 # 5000 inputs a target
#   bench/fuzz.sh 20000           # more
#   bench/fuzz.sh 100000 60       # at most 60 s a target
#   KAIGIROKU_FUZZ_SEED=7 bench/fuzz.sh   # other inputs than CI's fixed ones
#
# A failing input is kept in $CARGO_TARGET_DIR/tmp/fuzz-failures/ (named in
# the failure, with the mutations that make it from its seed). Exits 1 if any
# target failed.
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${1:-5000}
seconds=${2:-}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

started=$(date +%s)
status=0
env KAIGIROKU_FUZZ_CASES="$cases" ${seconds:+KAIGIROKU_FUZZ_SECONDS="$seconds"} \
  cargo test --release --test fast fuzz_ -- --nocapture >"$log" 2>&1 || status=$?
elapsed=$(($(date +%s) - started))

echo "| target | inputs | seconds | failures | outcomes |"
echo "| --- | ---: | ---: | ---: | --- |"
grep '^fuzz: target=' "$log" | sort | awk '
  {
    for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
    gsub(",", ", ", f["outcomes"])
    printf "| %s | %d | %.1f | %d | %s |\n", f["target"], f["inputs"], f["seconds"], f["failures"], f["outcomes"]
    inputs += f["inputs"]; failures += f["failures"]
  }
  END { printf "| **all** | %d | | %d | |\n", inputs, failures }'
echo
echo "$cases inputs a target (KAIGIROKU_FUZZ_CASES)${seconds:+, at most $seconds s a target}," \
  "seed ${KAIGIROKU_FUZZ_SEED:-0}; ${elapsed} s in all with the build, on $(nproc) cores."

if [ "$status" -ne 0 ]; then
  echo
  echo "Failures:"
  grep -E -A200 'failing inputs:|^fuzz: .* asked for|memory allocation of' "$log" |
    grep -vE "^thread 'fuzz-case'|^note: " | head -100
  exit 1
fi
