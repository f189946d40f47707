#!/usr/bin/env bash
# `kaigiroku batch` on a real Slurm: the shipped array script
# (deploy/slurm/kaigiroku-array.sbatch) as 3 array tasks on a one-machine cluster
# (scripts/slurm-cluster.sh) must give the same outputs as one local `batch run`.
#
#   tests/slurm/run.sh            (cargo test --release --test slurm runs it with the binary it built)
#
# Builds nothing: runs $KAIGIROKU_BIN, default ${CARGO_TARGET_DIR:-target}/release/kaigiroku;
# models from $KAIGIROKU_MODELS, default models/. Needs root (slurmd starts the jobs), sox
# and python3; installs slurm-wlm and munge with apt-get when missing.
#
# What it does: cuts 4 recordings (25-35 s, 2 min in all) from samples/kaigi-2022-01
# (three sharing a folder-level meeting.toml, one with its own NAME.toml beside it) and one
# damaged file; `batch plan` twice (two manifests, two output roots); `batch run` locally
# on one; the sbatch script with --array=0-2 on the other; waits for the array; then
# checks: local exit 2 (the damaged file), every array task COMPLETED 0:0 (the script turns
# "some recordings failed" into success), every good recording done in both with
# draft.json, transcript.json and turns.json identical byte for byte (what differs is
# printed), the damaged one failed in both with error.json.
# Then it requeues one finished task: it must skip its done recordings and change nothing.
#
# Exit 0 when all holds, else non-zero with the reason. Time on 2 cores: about 3.5 min
# (local run ~75 s; the array ~2 min: its 3 tasks take 2 CPUs each, so they run one after
# another, each loading the models).
#
# Environment: KAIGIROKU_BIN, KAIGIROKU_MODELS; KAIGIROKU_TEST_THREADS (whisper threads in
# both runs and the array's --cpus-per-task; default 2, at most the CPUs here);
# KAIGIROKU_SLURM_DIR (the cluster's folder, see scripts/slurm-cluster.sh);
# KAIGIROKU_SLURM_TIMEOUT (seconds to wait for the array, default 1200); KEEP=1 keeps the
# work folder (always kept on failure).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
start_time=$(date +%s)

fail() {
  echo "tests/slurm: FAILED: $*" >&2
  exit 1
}
step() { echo "tests/slurm: [$(($(date +%s) - start_time)) s] $*" >&2; }

target="${CARGO_TARGET_DIR:-target}"
[[ "$target" == /* ]] || target="$ROOT/$target"
BIN="${KAIGIROKU_BIN:-$target/release/kaigiroku}"
[ -x "$BIN" ] || fail "no kaigiroku binary at $BIN: cargo build --release first (or set KAIGIROKU_BIN)"
BIN=$(realpath "$BIN")
MODELS=$(realpath "${KAIGIROKU_MODELS:-$ROOT/models}")
for m in ggml-base.bin ggml-silero-v6.2.0.bin campplus_cn_en_common.pt; do
  [ -f "$MODELS/$m" ] || fail "model $MODELS/$m missing: scripts/prepare.sh installs the models"
done
export KAIGIROKU_MODELS="$MODELS"
"$BIN" batch --help >/dev/null 2>&1 || fail "$BIN has no \`batch\` command"
command -v sox >/dev/null || fail "sox is needed to cut the recordings (scripts/setup.sh installs it)"
command -v python3 >/dev/null || fail "python3 is needed to compare the outputs"
[ "$(id -u)" -eq 0 ] || fail "needs root: slurmd must run as root to start jobs"

THREADS="${KAIGIROKU_TEST_THREADS:-2}"
((THREADS > $(nproc))) && THREADS=$(nproc)
TASKS=3

# --- the cluster -------------------------------------------------------------------------
CLUSTER="$ROOT/scripts/slurm-cluster.sh"
eval "$("$CLUSTER" env)"
# A cluster already running from this folder is used and left running; else one is
# started here and stopped at the end. `start` restarts one that is not healthy.
started_cluster=1
"$CLUSTER" status >/dev/null 2>&1 && started_cluster=0
step "scripts/slurm-cluster.sh start"
"$CLUSTER" start || fail "Slurm did not start (scripts/slurm-cluster.sh start said why above)"

W=$(mktemp -d "${TMPDIR:-/tmp}/kaigiroku-slurm-test.XXXXXX")
chmod 0755 "$W"
job=""
finish() {
  local rc=$?
  if [ -n "$job" ] && [ $rc -ne 0 ]; then scancel "$job" 2>/dev/null || true; fi
  if ((started_cluster)); then "$CLUSTER" stop || true; fi
  if [ $rc -ne 0 ] || [ -n "${KEEP:-}" ]; then
    echo "tests/slurm: work folder kept: $W" >&2
  else
    rm -rf "$W"
  fi
}
trap finish EXIT
# Both runs use one copy of the binary: a target folder shared with other builds may get
# another kaigiroku while this test runs.
cp "$BIN" "$W/kaigiroku"
BIN="$W/kaigiroku"

# --- the batch -----------------------------------------------------------------------------
step "cutting 4 recordings from samples/kaigi-2022-01/meeting.wav into $W/archive"
SAMPLE="$ROOT/samples/kaigi-2022-01"
mkdir -p "$W/archive/late"
cp "$SAMPLE/meeting.toml" "$W/archive/meeting.toml"
sox "$SAMPLE/meeting.wav" "$W/archive/part1.wav" trim 0 35
sox "$SAMPLE/meeting.wav" "$W/archive/part2.wav" trim 35 30
sox "$SAMPLE/meeting.wav" "$W/archive/part3.wav" trim 65 25
sox "$SAMPLE/meeting.wav" "$W/archive/late/part4.wav" trim 90 30
cp "$SAMPLE/meeting.toml" "$W/archive/late/part4.toml"
# A damaged recording: a RIFF header, then text where the format chunk should be.
{
  printf 'RIFF\x24\x00\x01\x00WAVEfmt '
  python3 -c "import sys; sys.stdout.write(('kaigiroku\\n' * 410)[:4096])"
} >"$W/archive/damaged.wav"

mkdir -p "$W/local" "$W/slurm"
step "kaigiroku batch plan (twice: local/manifest.jsonl, slurm/manifest.jsonl)"
"$BIN" batch plan "$W/archive" -o "$W/local/manifest.jsonl" || fail "batch plan failed"
"$BIN" batch plan "$W/archive" -o "$W/slurm/manifest.jsonl" || fail "batch plan failed"
lines=$(wc -l <"$W/local/manifest.jsonl")
[ "$lines" -eq 5 ] || fail "the manifest has $lines lines, not 5: $(cat "$W/local/manifest.jsonl")"
cat "$W/local/manifest.jsonl" >&2

step "kaigiroku batch run locally (--threads $THREADS)"
local_start=$(date +%s)
set +e
"$BIN" batch run "$W/local/manifest.jsonl" --threads "$THREADS" >"$W/local/run.log" 2>&1
local_rc=$?
set -e
tail -n 15 "$W/local/run.log" >&2
[ "$local_rc" -eq 2 ] || fail "local batch run exited $local_rc, not 2 (one damaged file): $W/local/run.log"
local_s=$(($(date +%s) - local_start))

step "sbatch --array=0-$((TASKS - 1)) deploy/slurm/kaigiroku-array.sbatch (--cpus-per-task=$THREADS)"
job=$(KAIGIROKU="$BIN" sbatch --parsable --array=0-$((TASKS - 1)) --cpus-per-task="$THREADS" --mem=3G \
  --time=30:00 --chdir="$W/slurm" --output="$W/slurm/task-%A_%a.log" \
  "$ROOT/deploy/slurm/kaigiroku-array.sbatch" "$W/slurm/manifest.jsonl") || fail "sbatch refused the array"
job="${job%%;*}"
slurm_start=$(date +%s)
timeout="${KAIGIROKU_SLURM_TIMEOUT:-1200}"
last=""
while :; do
  left=$(squeue -h -j "$job" -o '%i %T' 2>/dev/null || true)
  [ -z "$left" ] && break
  if [ "$left" != "$last" ]; then
    step "array $job: $(tr '\n' ' ' <<<"$left")"
    last="$left"
  fi
  (($(date +%s) - slurm_start < timeout)) || fail "array $job still running after $timeout s: $left"
  sleep 2
done
slurm_s=$(($(date +%s) - slurm_start))
step "array $job finished in $slurm_s s"

# Every task: COMPLETED 0:0 (scontrol keeps finished jobs for MinJobAge = 10 min).
tasks=$(scontrol -o show job "$job" 2>/dev/null | grep -o 'ArrayTaskId=[0-9]* .*JobState=[A-Z_]* .*ExitCode=[0-9:]*' |
  sed -E 's/ArrayTaskId=([0-9]+) .*JobState=([A-Z_]+) .*ExitCode=([0-9:]+)/\1 \2 \3/' | sort -n)
echo "$tasks" | sed 's/^/  task /' >&2
[ "$(grep -c ' COMPLETED 0:0$' <<<"$tasks")" -eq "$TASKS" ] ||
  fail "not every array task COMPLETED 0:0: $tasks; logs: $(tail -n 5 "$W"/slurm/task-*.log)"
for f in "$W"/slurm/task-*.log; do
  echo "--- $(basename "$f")" >&2
  tail -n 8 "$f" >&2
done
# Each task ran its own shard (an exit status alone would not say: clap's usage errors exit 2 too).
for i in $(seq 0 $((TASKS - 1))); do
  grep -q "^batch: shard $i/$TASKS of " "$W/slurm/task-${job}_$i.log" ||
    fail "array task $i did not run shard $i/$TASKS: $W/slurm/task-${job}_$i.log"
done

# --- the comparison -------------------------------------------------------------------------
step "comparing local and Slurm outputs"
python3 -B "$ROOT/tests/slurm/compare.py" "$W/local/manifest.jsonl" "$W/slurm/manifest.jsonl" ||
  fail "the Slurm run's outputs differ from the local run's (above)"

# --- a requeued task skips its done recordings ------------------------------------------------
step "requeue task 0 of $job: it must find its recordings done and change nothing"
find "$W/slurm/out" -type f ! -name '.lock' -printf '%P %s %T@\n' | sort >"$W/before.txt"
scontrol requeue "${job}_0" || fail "scontrol requeue ${job}_0 refused"
# A requeued job waits about 2 minutes before it may start again; start it now.
scontrol update jobid="${job}_0" StartTime=now || fail "scontrol update ${job}_0 StartTime=now refused"
requeue_start=$(date +%s)
while :; do
  state=$(scontrol -o show job "${job}_0" | grep -o 'JobState=[A-Z_]*' | cut -d= -f2)
  restarts=$(scontrol -o show job "${job}_0" | grep -o 'Restarts=[0-9]*' | cut -d= -f2)
  [ "$state" = COMPLETED ] && [ "${restarts:-0}" -ge 1 ] && break
  [[ "$state" =~ ^(FAILED|TIMEOUT|CANCELLED|OUT_OF_MEMORY|NODE_FAIL)$ ]] && fail "the requeued task ended $state"
  (($(date +%s) - requeue_start < 300)) || fail "the requeued task did not finish in 300 s (state $state)"
  sleep 1
done
find "$W/slurm/out" -type f ! -name '.lock' -printf '%P %s %T@\n' | sort >"$W/after.txt"
diff "$W/before.txt" "$W/after.txt" >&2 || fail "the requeued task changed outputs (diff above)"
log0=$(ls "$W"/slurm/task-"${job}"_0.log)
[ "$(grep -c 'kaigiroku-array: job' "$log0")" -eq 2 ] || fail "the requeued task's log does not show two runs: $log0"
step "requeued task $job""_0 ran again in $(($(date +%s) - requeue_start)) s and changed nothing"
tail -n 6 "$log0" >&2

# --- what Slurm recorded -----------------------------------------------------------------------
echo "--- sinfo" >&2
sinfo -N -o '%N %P %T %c %m' >&2
jobcomp="$(dirname "$SLURM_CONF")/log/jobcomp.txt"
ids=$(grep -E "ArrayJobId=$job " "$jobcomp" | grep -o '^JobId=[0-9]*' | cut -d= -f2 | sort -un | paste -sd, -)
echo "--- sacct -c -j $ids (from the job completion log $jobcomp; array $job)" >&2
# sacct -c of Slurm 22.05 does not know the log's ArrayJobId/ArrayTaskId fields and says so.
sacct -c -j "$ids" -o JobID,JobName,Partition,NCPUS,State,ExitCode,Start,End 2>/dev/null | sed 's/^/  /' >&2 || true
echo "--- the same log, by array task" >&2
grep -E "ArrayJobId=$job " "$jobcomp" |
  sed -E 's/.*JobId=([0-9]+) .*JobState=([A-Z_]+) .*StartTime=([^ ]+) EndTime=([^ ]+) .*ProcCnt=([0-9]+) .*ArrayTaskId=([0-9]+) .*ExitCode=([0-9:]+).*/  array task \6 (job \1): \2 exit \7, \5 CPUs, \3 .. \4/' >&2

step "PASSED: local run $local_s s, Slurm array $slurm_s s, total $(($(date +%s) - start_time)) s"
