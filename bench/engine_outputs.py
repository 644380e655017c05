"""Every result of `app.engine.score` on the corpus and the bench call, written as JSON files.

Why: a change made for speed must not change a single result. Run this before and after the
change into two folders and compare them byte for byte (`diff -r BEFORE AFTER`, or
`--compare BEFORE`).

What it scores
--------------
* every transcript in `tests/data/corpus/` (all formats, auto-detected, as a user sends them)
  against every built-in checklist, once with the manager inferred and once with
  `manager_speaker="*"` (all speech scored as the manager's);
* the bench call of `bench/engine.py` (plain text and its speech-to-text variant) for a few
  seeds and lengths, against every built-in checklist.

A file the engine refuses gives its error (type and reason) as its JSON instead.

Run it
------
    uv run python bench/engine_outputs.py --out /tmp/before
    uv run python bench/engine_outputs.py --out /tmp/after --compare /tmp/before
"""

from __future__ import annotations

import argparse
import filecmp
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/engine_outputs.py` puts bench/ first
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "data" / "corpus"
TRANSCRIPT_SUFFIXES = (".txt", ".json", ".vtt", ".srt")
BENCH_CALLS = ((2024, 1500), (7, 1500), (11, 3000), (99, 400))


def cases() -> Iterator[tuple[str, bytes | str, str, str | None]]:
    """(name, transcript, checklist key, manager_speaker) for every case, in a fixed order."""
    from app.engine.checklist import builtin_keys
    from bench.engine import asr_variant, build_call

    keys = builtin_keys()
    files = sorted(p for p in CORPUS.iterdir() if p.suffix in TRANSCRIPT_SUFFIXES)
    for path in files:
        data = path.read_bytes()
        for key in keys:
            yield f"{path.name}.{key}", data, key, None
            yield f"{path.name}.{key}.all", data, key, "*"
    for seed, words in BENCH_CALLS:
        plain = build_call(words, seed)[0]
        for variant, text in (("plain", plain), ("asr", asr_variant(plain))):
            for key in keys:
                yield f"bench_{seed}_{words}_{variant}.{key}", text, key, None


def outcome(transcript: bytes | str, key: str, manager_speaker: str | None) -> dict[str, Any]:
    """`score(...).to_dict()`, or the error the engine raised."""
    from app.engine import EngineError, score

    try:
        return score(transcript, key, manager_speaker=manager_speaker).to_dict()
    except EngineError as exc:
        return {"error": type(exc).__name__, "reason": getattr(exc, "reason", str(exc))}


def write_all(out: Path) -> tuple[int, str]:
    """Write one JSON file a case; the number of cases and a digest of them all."""
    out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    n = 0
    for name, transcript, key, manager_speaker in cases():
        body = json.dumps(
            outcome(transcript, key, manager_speaker), ensure_ascii=False, indent=1, sort_keys=True
        ).encode()
        (out / f"{name}.json").write_bytes(body)
        digest.update(name.encode() + b"\0" + body + b"\0")
        n += 1
    return n, digest.hexdigest()


def differing(a: Path, b: Path) -> list[str]:
    """Names of the files that differ or exist in one folder only."""
    cmp = filecmp.dircmp(a, b)
    names = set(cmp.left_only) | set(cmp.right_only) | set(cmp.funny_files)
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    return sorted(names | set(mismatch) | set(errors))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True, help="folder for the JSON files")
    parser.add_argument(
        "--compare", type=Path, help="a folder written before; exit 1 if any result differs"
    )
    args = parser.parse_args(argv)
    n, digest = write_all(args.out)
    print(f"{n} results written to {args.out}; sha256 {digest}")
    if args.compare is None:
        return 0
    diff = differing(args.compare, args.out)
    for name in diff[:20]:
        print(f"  differs: {name}")
    print(f"{len(diff)} of {n} differ from {args.compare}")
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main())
