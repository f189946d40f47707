#!/usr/bin/env bash
# Issue 14's throughput: `kaigiroku batch run` over an archive of sample
# meetings (4 recordings, about 15.5 minutes of audio, each with its meeting
# file), with J = 1 (all cores to one recording) and J = 2 (the recordings
# two at a time, the cores split), each from a clean output folder, one after
# the other in one run. Prints a Markdown table: wall time, audio hours per
# wall hour, CPU seconds, peak RSS, and the 1-minute load when the row began
# (anything well above the core count means other work competed).
#   bench/batch.sh                       # J = 1 and 2
#   JOBS="1 2 4" bench/batch.sh
#   SAMPLES="samples/kaigi-2022-01 samples/corpus/u1-dx-suishin" bench/batch.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/prepare.sh >/dev/null
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$target/release/kaigiroku" "$work/kaigiroku"
samples="${SAMPLES:-samples/kaigi-2022-01 samples/corpus/s1-ondanka samples/corpus/s2-gyokaku samples/corpus/u1-dx-suishin}"
for s in $samples; do
  name="$(basename "$s")"
  mkdir -p "$work/archive/$name"
  cp "$s/meeting.wav" "$work/archive/$name/$name.wav"
  cp "$s/meeting.toml" "$work/archive/$name/$name.toml"
done
export KAIGIROKU_MODELS="${KAIGIROKU_MODELS:-$PWD/models}"
"$work/kaigiroku" batch plan "$work/archive" -o "$work/manifest.jsonl" >&2
audio=$(python3 -c 'import json,sys; print(sum(json.loads(l)["duration"] or 0 for l in open(sys.argv[1])))' "$work/manifest.jsonl")
cores=$(nproc)
echo
echo "| J | threads each | recordings | audio min | wall s | audio h / wall h | CPU s | peak RSS MB | load1 |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for j in ${JOBS:-1 2}; do
  rm -rf "$work/out"
  load=$(cut -d' ' -f1 /proc/loadavg)
  /usr/bin/time -v -o "$work/time.txt" "$work/kaigiroku" batch run "$work/manifest.jsonl" --jobs "$j" \
    >"$work/run.log" 2>&1 || { cat "$work/run.log" >&2; exit 1; }
  wall=$(python3 - "$work/time.txt" <<'PY'
import sys
for line in open(sys.argv[1]):
    if "Elapsed (wall clock)" in line:
        parts = [float(p) for p in line.rsplit(" ", 1)[1].split(":")]
        s = 0.0
        for p in parts:
            s = s * 60 + p
        print(s)
PY
)
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$work/time.txt")
  rss=$(awk -F': ' '/Maximum resident/ {print int($2 / 1024)}' "$work/time.txt")
  done_count=$(grep -c '^done ' "$work/run.log" || true)
  python3 -c "
j, cores, audio, wall, cpu = $j, $cores, $audio, $wall, $cpu
print(f'| {j} | {max(1, cores // j)} | $done_count | {audio / 60:.1f} | {wall:.1f} | {audio / wall:.2f} | {cpu:.0f} | $rss | $load |')"
done
echo
echo "audio: $samples; $cores cores; audio h / wall h = audio seconds ÷ wall seconds (above 1: faster than real time)"
