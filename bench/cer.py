#!/usr/bin/env python3
"""Character error rate exactly as kaigiroku's src/metrics.rs computes it.

    python3 bench/cer.py TRUTH.json HYPOTHESIS [--format auto|kaigiroku|whisper-cli-json|faster-whisper|text]

TRUTH.json is a sample's truth file (the concatenation of `utterances[].text`).
HYPOTHESIS is one engine's output:
  - kaigiroku's transcript.json (`segments[].text`),
  - whisper-cli's `-oj` JSON (`transcription[].text`),
  - bench/fw_transcribe.py's JSON (`segments[].text`), or
  - plain text (whisper-cli `-otxt`).
Prints the CER in percent, the edit distance and the reference length.

Normalisation (metrics.rs `normalize`): full-width ASCII U+FF01..U+FF5E folded to
ASCII, U+3000 to a space; then white space (Rust's `char::is_whitespace`, the
Unicode White_Space property), ASCII punctuation and 、。，．・「」『』（）〔〕【】！？〜―…：；
are dropped. ー (long vowel mark) and everything else is kept. CER = Levenshtein
distance / normalised reference length (1.0 for an empty reference with a
non-empty hypothesis, as in metrics.rs).
"""

from __future__ import annotations

import argparse
import json
import string
import sys
from pathlib import Path

# Rust char::is_whitespace == Unicode White_Space (Python's str.isspace also
# accepts U+001C..U+001F, which Rust does not, so the set is spelt out).
_WHITE_SPACE = frozenset(
    [chr(c) for c in range(0x09, 0x0E)]
    + ["\u0020", "\u0085", "\u00a0", "\u1680"]
    + [chr(c) for c in range(0x2000, 0x200B)]
    + ["\u2028", "\u2029", "\u202f", "\u205f", "\u3000"]
)
_ASCII_PUNCTUATION = frozenset(string.punctuation)  # same 32 chars as u8::is_ascii_punctuation
_JA_PUNCTUATION = frozenset("、。，．・「」『』（）〔〕【】！？〜―…：；")
_DROP = _WHITE_SPACE | _ASCII_PUNCTUATION | _JA_PUNCTUATION


def _fold(c: str) -> str:
    o = ord(c)
    if 0xFF01 <= o <= 0xFF5E:
        return chr(o - 0xFEE0)
    if o == 0x3000:
        return " "
    return c


def normalize(text: str) -> str:
    """Text reduced to what CER compares (metrics.rs `normalize`)."""
    return "".join(f for f in map(_fold, text) if f not in _DROP)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance, bit-parallel (Myers 1999 / Hyyrö 2001) on Python ints.

    Same result as the O(n·m) table in metrics.rs, fast enough for a whole
    meeting (tens of thousands of characters) in pure Python."""
    if len(a) < len(b):
        a, b = b, a  # pattern = the longer one: fewer loop iterations
    m = len(a)
    if m == 0:
        return len(b)
    peq: dict[str, int] = {}
    for i, c in enumerate(a):
        peq[c] = peq.get(c, 0) | (1 << i)
    mask = (1 << m) - 1
    high = 1 << (m - 1)
    pv, mv, score = mask, 0, m
    for c in b:
        eq = peq.get(c, 0)
        xv = eq | mv
        xh = ((((eq & pv) + pv) & mask) ^ pv) | eq
        ph = (mv | ~(xh | pv)) & mask
        mh = pv & xh
        if ph & high:
            score += 1
        elif mh & high:
            score -= 1
        ph = ((ph << 1) | 1) & mask
        mh = (mh << 1) & mask
        pv = (mh | ~(xv | ph)) & mask
        mv = ph & xv
    return score


def _edit_distance_table(a: str, b: str) -> int:
    """The straightforward table (metrics.rs), for self-testing."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a):
        diagonal, row[0] = row[0], i + 1
        for j, cb in enumerate(b):
            substitution = diagonal + (ca != cb)
            diagonal = row[j + 1]
            row[j + 1] = min(substitution, row[j] + 1, row[j + 1] + 1)
    return row[len(b)]


def cer_counts(reference: str, hypothesis: str) -> tuple[float, int, int]:
    """(CER, edit distance, normalised reference length)."""
    r, h = normalize(reference), normalize(hypothesis)
    if not r:
        return (0.0 if not h else 1.0), len(h), 0
    d = edit_distance(r, h)
    return d / len(r), d, len(r)


def cer(reference: str, hypothesis: str) -> float:
    return cer_counts(reference, hypothesis)[0]


def truth_text(path: Path) -> str:
    data = json.loads(path.read_text(encoding="utf-8"))
    return "".join(u["text"] for u in data["utterances"])


def hypothesis_text(path: Path, fmt: str = "auto") -> str:
    raw = path.read_text(encoding="utf-8", errors="replace")
    if fmt == "text" or (fmt == "auto" and path.suffix != ".json"):
        return raw
    data = json.loads(raw)
    if fmt == "whisper-cli-json" or (fmt == "auto" and "transcription" in data):
        return "".join(s["text"] for s in data["transcription"])
    return "".join(s["text"] for s in data["segments"])


def _self_test() -> None:
    # metrics.rs unit tests
    assert cer("説明は以上です。", "説明は以上です") == 0.0
    assert cer("４０００万円", "4000万円") == 0.0
    assert edit_distance(normalize("令和"), normalize("連は")) == 2
    assert abs(cer("基幹系業務", "機関系業務") - 0.4) < 1e-9
    assert abs(cer("あいう", "あいうえ") - 1 / 3) < 1e-9
    assert cer("abc", "") == 1.0
    assert normalize("サーバー") == "サーバー"
    assert normalize("ａ　ｂ\u3000「Ｃ」") == "abC"
    import random

    rng = random.Random(7)
    for _ in range(2000):
        a = "".join(rng.choice("あいうえおかア") for _ in range(rng.randint(0, 70)))
        b = "".join(rng.choice("あいうえおかイ") for _ in range(rng.randint(0, 70)))
        assert edit_distance(a, b) == _edit_distance_table(a, b), (a, b)
    print("cer.py self-test: ok")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("truth", nargs="?", type=Path)
    ap.add_argument("hypothesis", nargs="?", type=Path)
    ap.add_argument("--format", default="auto", choices=["auto", "kaigiroku", "whisper-cli-json", "faster-whisper", "text"])
    ap.add_argument("--self-test", action="store_true", help="check against metrics.rs's cases and the O(n·m) table")
    args = ap.parse_args()
    if args.self_test:
        _self_test()
        return 0
    if not (args.truth and args.hypothesis):
        ap.error("TRUTH and HYPOTHESIS are required")
    rate, dist, n = cer_counts(truth_text(args.truth), hypothesis_text(args.hypothesis, args.format))
    print(f"CER {rate * 100:.2f} % ({dist} edits / {n} reference characters)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
