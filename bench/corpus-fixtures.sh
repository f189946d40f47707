#!/usr/bin/env bash
# Makes tests/fixtures/corpus/NAME.segments.json: the Whisper segments of
# every corpus meeting (samples/corpus/NAME/meeting.wav) from a real
# `kaigiroku transcribe --meeting` run with models/ggml-base.bin, each
# segment's text being Whisper's own (`verbatim` where it was corrected), so
# tests/model/corpus.rs scores roles, sections and 要旨 without recognition.
# Usage: bench/corpus-fixtures.sh [NAME…]   (default: every corpus meeting)
# OUT=DIR writes them there instead (then score them with
# KAIGIROKU_CORPUS_FIXTURES=DIR bench/corpus.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
kaigiroku=$(scripts/prepare.sh)
out="${OUT:-tests/fixtures/corpus}"
mkdir -p "$out"
names=("$@")
if ((${#names[@]} == 0)); then
  for d in samples/corpus/*/; do [ -f "$d/meeting.wav" ] && names+=("$(basename "$d")"); done
fi
for name in "${names[@]}"; do
  dir=samples/corpus/$name
  tmp=$(mktemp -d)
  "$kaigiroku" transcribe "$dir/meeting.wav" --meeting "$dir/meeting.toml" -o "$tmp" >&2
  python3 - "$tmp/transcript.json" "$out/$name.segments.json" "$name" <<'PY'
import json, sys
transcript, target, name = sys.argv[1:]
t = json.load(open(transcript, encoding="utf-8"))
segments = [
    {"start": s["start"], "end": s["end"], "text": s.get("verbatim", s["text"]),
     "confidence": s["confidence"]}
    for s in t["segments"]
]
doc = {"source": f"kaigiroku transcribe samples/corpus/{name}/meeting.wav --meeting …/meeting.toml "
                  "(models/ggml-base.bin, beam 5); text = Whisper's verbatim",
       "segments": segments}
with open(target, "w", encoding="utf-8") as f:
    json.dump(doc, f, ensure_ascii=False, indent=1)
    f.write("\n")
PY
  rm -rf "$tmp"
  echo "fixture: $out/$name.segments.json" >&2
done
