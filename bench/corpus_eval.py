"""Accuracy of `app.engine.score` on the labelled corpus in `tests/data/corpus/`.

What it measures
----------------
Every file listed in `tests/data/corpus/labels.yaml` (Russian real-estate sales calls,
complaint calls and one-point snippets in plain text, ASR text, WebVTT, SRT and the JSON of
several speech-to-text tools; see the corpus README for the labelling rules) is scored with
`score(path.read_bytes())`, the default checklist and format auto-detection, exactly as a
user would call it. The engine's answer is compared with the hand labels:

* manager accuracy: the share of files where `manager.speaker` equals the labelled manager;
* questions: per category (expertise, personal, motivation, other) the mean absolute error
  of the per-file counts (`question_counts`), and the MAE of the per-file total;
* violations: precision and recall of the forbidden phrases, matched as a multiset on
  (utterance index, canonical phrase), summed over the files (micro average);
* items: accuracy of `passed` over the (file, item) pairs that carry a label
  (greeting, recording_disclosure, no_exact_price, viewing_booked) — the item agreement;
* questions matched by utterance: the labels' `question_marks` and the engine's `questions` as
  multisets of utterance indices per file; question recall and precision are the matches summed
  over the files (micro average), category recall matches (utterance, category) pairs; the
  share of (file, category) counts within ±1 of the label; violation F1 from P and R above;
* corpus size, and the core count: the number of full sales calls (`kind: call`), as opposed
  to complaint calls and one-point snippets.

Figures are printed per format family (the `format` field of the labels) and overall. A file
the engine cannot read counts as a wrong manager, zero questions, no violations and failed
labelled items. The thresholds in `THRESHOLDS` are asserted by `tests/engine/test_corpus.py`,
which imports this module (one copy of the metric code); here they are only printed.

Run it
------
    uv run python bench/corpus_eval.py             # tables
    uv run python bench/corpus_eval.py --verbose   # plus every mismatch, file by file
    uv run python bench/corpus_eval.py --json      # the overall figures as one JSON object
    uv run python bench/corpus_eval.py --files 156-        # a subset: numbers, ranges, a list
    uv run python bench/corpus_eval.py --files 1-155,160   # (a file's number is its prefix)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/corpus_eval.py` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT / "tests" / "data" / "corpus"
LABELS = CORPUS / "labels.yaml"
CATEGORIES = ("expertise", "personal", "motivation", "other")

# Asserted over the whole corpus by tests/engine/test_corpus.py.
THRESHOLDS = {
    "manager_accuracy": 0.95,  # at least
    "question_mae": 0.6,  # at most, for every category
    "violation_precision": 0.9,  # at least
    "violation_recall": 0.9,  # at least
    "item_accuracy": 0.9,  # at least
}


# --- labels and engine output ---------------------------------------------------------------


def load_labels(path: Path = LABELS) -> list[dict[str, Any]]:
    """The label entries, in file order; each has file, format, kind, manager, questions,
    violations and optionally items and note."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a list of entries")
    for e in entries:
        e.setdefault("kind", "call")
        e.setdefault("violations", [])
        e.setdefault("items", {})
        e.setdefault("question_marks", [])
        e["questions"] = {c: int(e.get("questions", {}).get(c, 0)) for c in CATEGORIES}
    return entries


def file_numbers(spec: str) -> set[int]:
    """The file numbers of `--files`: comma-separated numbers and ranges, open ends allowed
    (`156-`, `-155`, `138-155,160`)."""
    numbers: set[int] = set()
    for part in filter(None, (p.strip() for p in spec.split(","))):
        m = re.fullmatch(r"(\d+)|(\d*)\s*-\s*(\d*)", part)
        if not m or m.group(0) == "-":
            raise ValueError(f"--files: {part!r} is not a number or a range like 156- or 1-155")
        if m.group(1):
            numbers.add(int(m.group(1)))
        else:  # an open end runs to the first or past the last file
            numbers.update(range(int(m.group(2) or 1), int(m.group(3) or 999) + 1))
    if not numbers:
        raise ValueError("--files: no file numbers given")
    return numbers


def select(entries: Sequence[dict[str, Any]], numbers: set[int]) -> list[dict[str, Any]]:
    """The entries whose file name starts with one of `numbers` (`156_…`)."""
    return [e for e in entries if int(e["file"].split("_", 1)[0]) in numbers]


def score_file(entry: dict[str, Any], corpus: Path = CORPUS) -> dict[str, Any]:
    """`score(...).to_dict()` of the entry's file, or {"error": "..."} when scoring fails."""
    from app.engine import score

    try:
        return score((corpus / entry["file"]).read_bytes()).to_dict()
    except Exception as exc:  # a failure is a result here, not a crash of the whole run
        reason = getattr(exc, "reason", None) or str(exc)
        return {"error": f"{type(exc).__name__}: {reason}"}


# --- comparison -----------------------------------------------------------------------------


@dataclass
class FileEval:
    """One file: labels against the engine's answer."""

    file: str
    family: str
    kind: str
    manager_expected: str
    manager_got: str | None
    q_expected: dict[str, int]
    q_got: dict[str, int]
    tp: int
    fp: list[tuple[int, str, str]]  # (utterance, phrase, matched text) found but not labelled
    fn: list[tuple[int, str]]  # labelled but not found
    items: list[tuple[str, bool, bool | None]]  # (key, expected, got) for labelled items
    questions: list[dict[str, Any]] = field(default_factory=list)  # the engine's questions
    marks: list[tuple[int, str]] = field(default_factory=list)  # labelled (utterance, category)
    error: str | None = None

    @property
    def manager_ok(self) -> bool:
        return self.manager_got == self.manager_expected

    @property
    def questions_ok(self) -> bool:
        return self.q_got == self.q_expected

    @property
    def violations_ok(self) -> bool:
        return not self.fp and not self.fn

    @property
    def items_ok(self) -> bool:
        return all(exp == got for _k, exp, got in self.items)

    @property
    def marks_got(self) -> list[tuple[int, str]]:
        return [(int(q["utterance"]), str(q["category"])) for q in self.questions]

    @property
    def question_hits(self) -> int:
        """Labelled questions the engine found on the same utterance (multiset match)."""
        return _overlap([u for u, _c in self.marks], [u for u, _c in self.marks_got])

    @property
    def category_hits(self) -> int:
        """Labelled questions found on the same utterance with the same category."""
        return _overlap(self.marks, self.marks_got)

    @property
    def question_misses(self) -> list[tuple[int, str]]:
        return sorted((Counter(self.marks) - Counter(self.marks_got)).elements())

    @property
    def question_extras(self) -> list[dict[str, Any]]:
        left = Counter(self.marks)
        extras = []
        for q in self.questions:
            key = (int(q["utterance"]), str(q["category"]))
            if left[key] > 0:
                left[key] -= 1
            else:
                extras.append(q)
        return extras


def _overlap(a: Iterable[Any], b: Iterable[Any]) -> int:
    return sum((Counter(a) & Counter(b)).values())


def compare(entry: dict[str, Any], result: dict[str, Any]) -> FileEval:
    error = result.get("error")
    manager = (result.get("manager") or {}).get("speaker") if not error else None
    counts = result.get("question_counts") or {}
    q_got = {c: int(counts.get(c, 0)) for c in CATEGORIES}

    expected = Counter((int(v["utterance"]), str(v["phrase"])) for v in entry["violations"])
    found = [
        (int(v["utterance"]), str(v["phrase"]), str(v.get("matched", "")))
        for v in result.get("violations") or []
    ]
    remaining = expected.copy()
    tp = 0
    fp: list[tuple[int, str, str]] = []
    for utt, phrase, matched in found:
        if remaining[(utt, phrase)] > 0:
            remaining[(utt, phrase)] -= 1
            tp += 1
        else:
            fp.append((utt, phrase, matched))
    fn = sorted(k for k, n in remaining.items() for _ in range(n))

    got_items = {i["key"]: bool(i["passed"]) for i in result.get("items") or []}
    items = [(k, bool(v), got_items.get(k)) for k, v in (entry.get("items") or {}).items()]

    return FileEval(
        file=entry["file"],
        family=entry.get("format", "?"),
        kind=entry["kind"],
        manager_expected=str(entry["manager"]),
        manager_got=manager,
        q_expected=dict(entry["questions"]),
        q_got=q_got,
        tp=tp,
        fp=fp,
        fn=fn,
        items=items,
        questions=list(result.get("questions") or []),
        marks=[(int(m["utterance"]), str(m["category"])) for m in entry["question_marks"]],
        error=error,
    )


def evaluate_corpus(
    labels: Sequence[dict[str, Any]] | None = None, corpus: Path = CORPUS
) -> list[FileEval]:
    """Score every labelled file and compare it with its labels."""
    entries = load_labels() if labels is None else labels
    return [compare(e, score_file(e, corpus)) for e in entries]


# --- metrics --------------------------------------------------------------------------------


def _ratio(num: float, den: float) -> float:
    return num / den if den else 1.0


def metrics(evals: Iterable[FileEval]) -> dict[str, Any]:
    """Aggregate figures over a group of files (see the module docstring)."""
    ev = list(evals)
    n = len(ev)
    mae = {
        c: _ratio(sum(abs(e.q_got[c] - e.q_expected[c]) for e in ev), n) if n else 0.0
        for c in CATEGORIES
    }
    total_mae = (
        _ratio(sum(abs(sum(e.q_got.values()) - sum(e.q_expected.values())) for e in ev), n)
        if n
        else 0.0
    )
    tp = sum(e.tp for e in ev)
    fp = sum(len(e.fp) for e in ev)
    fn = sum(len(e.fn) for e in ev)
    item_pairs = [(exp, got) for e in ev for _k, exp, got in e.items]
    marked = sum(len(e.marks) for e in ev)
    asked = sum(len(e.questions) for e in ev)
    hits = sum(e.question_hits for e in ev)
    v_precision, v_recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    return {
        "files": n,
        "core_calls": sum(1 for e in ev if e.kind == "call"),
        "errors": sum(1 for e in ev if e.error),
        "manager_accuracy": _ratio(sum(e.manager_ok for e in ev), n) if n else 1.0,
        "question_mae": mae,
        "question_total_mae": total_mae,
        "questions_expected": {c: sum(e.q_expected[c] for e in ev) for c in CATEGORIES},
        "questions_got": {c: sum(e.q_got[c] for e in ev) for c in CATEGORIES},
        "violations": {"expected": tp + fn, "found": tp + fp, "tp": tp, "fp": fp, "fn": fn},
        "violation_precision": v_precision,
        "violation_recall": v_recall,
        "violation_f1": _ratio(2 * v_precision * v_recall, v_precision + v_recall),
        "items_labelled": len(item_pairs),
        "item_accuracy": _ratio(sum(exp == got for exp, got in item_pairs), len(item_pairs)),
        "questions_marked": marked,
        "questions_found": asked,
        "question_recall": _ratio(hits, marked),
        "question_precision": _ratio(hits, asked),
        "category_recall": _ratio(sum(e.category_hits for e in ev), marked),
        "category_counts_within_1": _ratio(
            sum(abs(e.q_got[c] - e.q_expected[c]) <= 1 for e in ev for c in CATEGORIES),
            n * len(CATEGORIES),
        ),
    }


def by_family(evals: Sequence[FileEval]) -> dict[str, dict[str, Any]]:
    families: dict[str, list[FileEval]] = {}
    for e in evals:
        families.setdefault(e.family, []).append(e)
    return {f: metrics(group) for f, group in families.items()}


def threshold_failures(m: dict[str, Any]) -> list[str]:
    """The thresholds the overall figures miss, as readable lines (empty when all pass)."""
    out = []
    if m["manager_accuracy"] < THRESHOLDS["manager_accuracy"]:
        out.append(
            f"manager accuracy {m['manager_accuracy']:.3f} < {THRESHOLDS['manager_accuracy']}"
        )
    for c, v in m["question_mae"].items():
        if v > THRESHOLDS["question_mae"]:
            out.append(f"{c} question MAE {v:.3f} > {THRESHOLDS['question_mae']}")
    for key in ("violation_precision", "violation_recall", "item_accuracy"):
        if m[key] < THRESHOLDS[key]:
            out.append(f"{key.replace('_', ' ')} {m[key]:.3f} < {THRESHOLDS[key]}")
    return out


# --- report ---------------------------------------------------------------------------------


def _row(name: str, m: dict[str, Any]) -> str:
    q = m["question_mae"]
    v = m["violations"]
    items = (
        f"{m['item_accuracy']:.2f}/{m['items_labelled']:<3d}" if m["items_labelled"] else "  -    "
    )
    return (
        f"{name:<15} {m['files']:>3} {m['core_calls']:>4} {m['manager_accuracy']:>5.2f} "
        f"{q['expertise']:>5.2f} {q['personal']:>5.2f} {q['motivation']:>5.2f} {q['other']:>5.2f} "
        f"{m['question_total_mae']:>5.2f}  {m['violation_precision']:>4.2f} "
        f"{m['violation_recall']:>4.2f} {v['expected']:>3}/{v['found']:<3}  {items}"
    )


def _by_utterance_row(name: str, m: dict[str, Any]) -> str:
    return (
        f"{name:<15} {m['files']:>3} {m['questions_marked']:>4}/{m['questions_found']:<4} "
        f"{m['question_recall']:>5.2f} {m['question_precision']:>5.2f} "
        f"{m['category_recall']:>5.2f} {m['category_counts_within_1']:>5.2f} "
        f"{m['violation_f1']:>5.2f} {m['item_accuracy']:>5.2f} {m['manager_accuracy']:>5.2f}"
    )


def report(evals: Sequence[FileEval], verbose: bool = False) -> str:
    overall = metrics(evals)
    families = sorted(by_family(evals).items())
    lines = [
        "callqa corpus evaluation: score(path.read_bytes()) with the default checklist",
        f"corpus: {overall['files']} files, core count {overall['core_calls']} sales calls "
        f"(+ {sum(e.kind == 'complaint' for e in evals)} complaints, "
        f"{sum(e.kind == 'snippet' for e in evals)} snippets); unreadable: {overall['errors']}",
        "",
        f"{'family':<15} {'n':>3} {'core':>4} {'mgr':>5} {'MAE e':>5} {'p':>5} {'m':>5} "
        f"{'o':>5} {'total':>5}  {'vP':>4} {'vR':>4} {'exp/got':>7}  items acc/n",
    ]
    for fam, m in families:
        lines.append(_row(fam, m))
    lines.append(_row("OVERALL", overall))
    lines += [
        "",
        "questions matched by utterance (q = question, cat = (utterance, category), "
        "±1 = (file, category) counts within one):",
        f"{'family':<15} {'n':>3} {'lab/got':>9} {'qR':>5} {'qP':>5} {'catR':>5} {'±1':>5} "
        f"{'vF1':>5} {'items':>5} {'mgr':>5}",
    ]
    for fam, m in families:
        lines.append(_by_utterance_row(fam, m))
    lines.append(_by_utterance_row("OVERALL", overall))
    lines.append("")
    qe, qg = overall["questions_expected"], overall["questions_got"]
    lines.append(
        "questions expected/got: "
        + ", ".join(f"{c} {qe[c]}/{qg[c]}" for c in CATEGORIES)
        + f"; total {sum(qe.values())}/{sum(qg.values())}"
    )
    v = overall["violations"]
    lines.append(
        f"violations: expected {v['expected']}, found {v['found']}, tp {v['tp']}, "
        f"fp {v['fp']}, fn {v['fn']}"
    )
    fails = threshold_failures(overall)
    lines.append(
        "thresholds (asserted by tests/engine/test_corpus.py): "
        + ("all met" if not fails else "MISSED: " + "; ".join(fails))
    )
    if verbose:
        lines += ["", "--- mismatches ---"]
        for e in evals:
            lines += _mismatches(e)
    return "\n".join(lines)


def _counts(q: dict[str, int]) -> str:
    return " ".join(f"{c[0]}={q[c]}" for c in CATEGORIES)


def _mismatches(e: FileEval) -> list[str]:
    out: list[str] = []
    if e.error:
        out.append(f"  error: {e.error}")
    if not e.manager_ok:
        out.append(f"  manager: expected {e.manager_expected!r}, got {e.manager_got!r}")
    if not e.questions_ok:
        out.append(f"  questions: expected {_counts(e.q_expected)}, got {_counts(e.q_got)}")
        out += [f"    [{q['utterance']}] {q['category']:<10} {q['text']}" for q in e.questions]
    for utt, category in e.question_misses:
        out.append(f"  question missed: [{utt}] {category}")
    for q in e.question_extras:
        out.append(f"  question extra:  [{q['utterance']}] {q['category']:<10} {q['text']}")
    for utt, phrase in e.fn:
        out.append(f"  violation missed: [{utt}] {phrase!r}")
    for utt, phrase, matched in e.fp:
        out.append(f"  violation extra:  [{utt}] {phrase!r} (matched {matched!r})")
    for key, exp, got in e.items:
        if exp != got:
            out.append(f"  item {key}: expected {exp}, got {got}")
    return [f"{e.file} ({e.family}, {e.kind})", *out] if out else []


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="list every mismatch")
    parser.add_argument("--json", action="store_true", help="print the overall figures as JSON")
    parser.add_argument(
        "--files",
        metavar="N",
        help="only these file numbers: 156-, -155, 138-155,160 (ranges, lists)",
    )
    args = parser.parse_args(argv)
    entries = load_labels()
    if args.files:
        try:
            entries = select(entries, file_numbers(args.files))
        except ValueError as exc:
            parser.error(str(exc))
    evals = evaluate_corpus(entries)
    if args.json:
        out = metrics(evals)
        out["by_family"] = by_family(evals)
        out["thresholds"] = THRESHOLDS
        out["threshold_failures"] = threshold_failures(metrics(evals))
        print(json.dumps(out, ensure_ascii=False, indent=1))
    else:
        print(report(evals, verbose=args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
