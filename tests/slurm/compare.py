#!/usr/bin/env python3
"""Compares two `kaigiroku batch` runs of the same recordings (tests/slurm/run.sh).

    compare.py LOCAL/manifest.jsonl SLURM/manifest.jsonl

The two manifests must list the same recordings (same id, path, size, duration,
format, meeting, error; only "output" differs). For every recording without a plan
error: done.json in both, no error.json; draft.json, transcript.json and turns.json
identical byte for byte. If bytes differ, the JSON is compared with every string that
names the run's own folders normalised, and what still differs is printed, field by
field. A recording with a plan error must have error.json and no done.json in both.
The other outputs (SRT, VTT, minutes.md/.txt, done.json) are compared for information.
Exit 0 when all holds, 1 otherwise.
"""

import json
import os
import sys

STRICT = ["draft.json", "transcript.json", "turns.json"]
INFO = ["transcript.srt", "transcript.vtt", "minutes.md", "minutes.txt", "minutes.docx", "done.json"]


def load(manifest):
    rows = [json.loads(line) for line in open(manifest, encoding="utf-8") if line.strip()]
    return {r["id"]: r for r in rows}, os.path.dirname(os.path.abspath(manifest))


def folder(base, row):
    out = row["output"]
    return out if os.path.isabs(out) else os.path.join(base, out)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def normalise(value, roots):
    if isinstance(value, dict):
        return {k: normalise(v, roots) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, roots) for v in value]
    if isinstance(value, str):
        for root, name in roots:
            value = value.replace(root, name)
    return value


def differences(a, b, path="", found=None):
    found = [] if found is None else found
    if type(a) is not type(b):
        found.append(f"{path or '.'}: {a!r:.80} vs {b!r:.80}")
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                found.append(f"{path}.{k}: only in {'local' if k in a else 'slurm'}")
            else:
                differences(a[k], b[k], f"{path}.{k}", found)
    elif isinstance(a, list):
        if len(a) != len(b):
            found.append(f"{path}: {len(a)} vs {len(b)} entries")
        for i, (x, y) in enumerate(zip(a, b)):
            differences(x, y, f"{path}[{i}]", found)
    elif a != b:
        found.append(f"{path or '.'}: {a!r:.80} vs {b!r:.80}")
    return found


def main():
    (local, lbase), (slurm, sbase) = load(sys.argv[1]), load(sys.argv[2])
    problems = []
    paths_only = 0
    if set(local) != set(slurm):
        problems.append(f"the manifests list different recordings: {sorted(set(local) ^ set(slurm))}")
    for rid in local:
        if rid not in slurm:
            continue
        a, b = dict(local[rid]), dict(slurm[rid])
        a.pop("output"), b.pop("output")
        if a != b:
            problems.append(f"{rid[:12]}: the manifests' lines differ: {a} vs {b}")

    print(f"{'recording':<34} {'sec':>5}  {'local':<6} {'slurm':<6}  " + "  ".join(f[:-5] for f in STRICT) + "  (others)")
    for rid, row in sorted(local.items(), key=lambda kv: kv[1]["path"]):
        if rid not in slurm:
            continue
        lo, so = folder(lbase, row), folder(sbase, slurm[rid])
        roots = [(lo, "<OUT>"), (so, "<OUT>"), (lbase, "<ROOT>"), (sbase, "<ROOT>")]
        state = {}
        for side, d in (("local", lo), ("slurm", so)):
            done, err = os.path.exists(f"{d}/done.json"), os.path.exists(f"{d}/error.json")
            state[side] = "done" if done and not err else "error" if err and not done else f"done={done},error={err}"
        name = os.path.relpath(row["path"], os.path.commonpath([r["path"] for r in local.values()]))
        dur = f"{row['duration']:.0f}" if row.get("duration") else "-"
        line = f"{name:<34} {dur:>5}  {state['local']:<6} {state['slurm']:<6}"
        if row.get("error"):
            if state["local"] != "error" or state["slurm"] != "error":
                problems.append(f"{name}: planned with an error ({row['error']}), but local {state['local']}, slurm {state['slurm']}")
            reason = json.loads(read(f"{lo}/error.json")) if os.path.exists(f"{lo}/error.json") else None
            print(f"{line}  (failed as it should: {json.dumps(reason, ensure_ascii=False):.100})")
            continue
        if state["local"] != "done" or state["slurm"] != "done":
            problems.append(f"{name}: local {state['local']}, slurm {state['slurm']}")
            print(line)
            continue
        cells = []
        for f in STRICT:
            pa, pb = f"{lo}/{f}", f"{so}/{f}"
            if not (os.path.exists(pa) and os.path.exists(pb)):
                cells.append("missing")
                problems.append(f"{name}: {f} missing (local {os.path.exists(pa)}, slurm {os.path.exists(pb)})")
                continue
            ba, bb = read(pa), read(pb)
            if ba == bb:
                cells.append("same")
                continue
            diff = differences(normalise(json.loads(ba), roots), normalise(json.loads(bb), roots))
            if not diff:
                cells.append("same-but-paths")
                paths_only += 1
                print(f"  {name} {f}: differs only in paths of the run's own folders")
            else:
                cells.append("DIFFERENT")
                problems.append(f"{name}: {f} differs in {len(diff)} places: " + "; ".join(diff[:6]))
        others = []
        for f in INFO:
            pa, pb = f"{lo}/{f}", f"{so}/{f}"
            if os.path.exists(pa) or os.path.exists(pb):
                same = os.path.exists(pa) and os.path.exists(pb) and read(pa) == read(pb)
                others.append(f"{f}{'=' if same else '≠'}")
        print(f"{line}  " + "  ".join(f"{c:<{len(s) - 5}}" for c, s in zip(cells, STRICT)) + "  " + " ".join(others))
        for f in ("done.json",):
            pa, pb = f"{lo}/{f}", f"{so}/{f}"
            if read(pa) != read(pb):
                diff = differences(normalise(json.loads(read(pa)), roots), normalise(json.loads(read(pb)), roots))
                if diff:
                    print(f"  {name} done.json (information, not checked): " + "; ".join(diff[:6]))
    if problems:
        print("\nPROBLEMS:")
        for p in problems:
            print(f"  - {p}")
        return 1
    print("\nevery recording done in both runs; draft.json, transcript.json and turns.json identical"
          + (" byte for byte" if not paths_only else " (some only after the run's own folder names: above)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
