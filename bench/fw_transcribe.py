#!/usr/bin/env python3
"""faster-whisper row of the benchmark: transcribe one file, fully offline, and
write the segments as JSON (`segments[].text`, like kaigiroku's transcript.json).

    HF_HUB_OFFLINE=1 python fw_transcribe.py MODEL_DIR AUDIO OUT.json \
        --compute-type int8|float32 --beam 5 --threads 2 [--vad] [--prompt-file F]

MODEL_DIR is a local CTranslate2 Whisper directory (model.bin, config.json,
vocabulary.txt, tokenizer.json); nothing is looked up on a hub. Everything else
is faster-whisper's default (temperature fallback 0.0..1.0, best_of 5,
condition_on_previous_text, compression-ratio / log-prob / no-speech thresholds).
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("audio")
    ap.add_argument("out")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--beam", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--vad", action="store_true", help="vad_filter=True (faster-whisper's Silero VAD, ONNX)")
    ap.add_argument("--prompt-file", help="initial_prompt (the meeting vocabulary kaigiroku uses)")
    args = ap.parse_args()

    if not os.path.isfile(os.path.join(args.model_dir, "model.bin")):
        print(f"fw_transcribe: {args.model_dir} has no model.bin", file=sys.stderr)
        return 2

    started = time.perf_counter()
    from faster_whisper import WhisperModel  # imported here: import time is part of the row
    import faster_whisper

    model = WhisperModel(
        args.model_dir,
        device="cpu",
        compute_type=args.compute_type,
        cpu_threads=args.threads,
        num_workers=1,
        local_files_only=True,
    )
    loaded = time.perf_counter()
    prompt = None
    if args.prompt_file:
        with open(args.prompt_file, encoding="utf-8") as f:
            prompt = f.read().strip() or None
    segments, info = model.transcribe(
        args.audio,
        language="ja",
        task="transcribe",
        beam_size=args.beam,
        vad_filter=args.vad,
        initial_prompt=prompt,
    )
    out = []
    for s in segments:  # the generator does the work
        out.append({"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text.strip(),
                    "avg_logprob": round(s.avg_logprob, 4), "temperature": s.temperature})
    done = time.perf_counter()
    result = {
        "engine": f"faster-whisper {faster_whisper.__version__}",
        "compute_type": args.compute_type,
        "beam": args.beam,
        "threads": args.threads,
        "vad_filter": args.vad,
        "initial_prompt": prompt,
        "duration": info.duration,
        "duration_after_vad": info.duration_after_vad,
        "seconds_load": round(loaded - started, 3),
        "seconds_transcribe": round(done - loaded, 3),
        "segments": out,
    }
    tmp = args.out + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)
    os.replace(tmp, args.out)
    print(f"faster-whisper {args.compute_type}: {info.duration:.1f} s of audio; load {loaded - started:.1f} s, "
          f"transcribe {done - loaded:.1f} s; {len(out)} segments", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
