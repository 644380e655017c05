"""The engine against the labelled corpus (tests/data/corpus, rules in its README).

The labels and the metric code come from `bench/corpus_eval.py` (loaded by path, so there is
one copy of the code); the thresholds are its `THRESHOLDS`, asserted on the files before the
held-out set of issue 13.
"""

from __future__ import annotations

import importlib.util
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _load_bench() -> ModuleType:
    path = ROOT / "bench" / "corpus_eval.py"
    spec = importlib.util.spec_from_file_location("callqa_bench_corpus_eval", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building classes
    spec.loader.exec_module(module)
    return module


bench = _load_bench()
LABELS: list[dict[str, Any]] = bench.load_labels()
BY_FILE = {e["file"]: e for e in LABELS}
# Issue 13's held-out set (156-191, telephone speech-to-text in five domains, labels frozen in
# commit 03968b3): its figures are printed by `bench/corpus_eval.py --files 156-` and held to
# the issue's targets below; the older thresholds are asserted on the files before it.
HELD_OUT = bench.select(LABELS, bench.file_numbers("156-"))
ASSERTED = [e for e in LABELS if e not in HELD_OUT]
HELD_OUT_TARGETS = {  # at least, each
    "question_recall": 0.90,
    "question_precision": 0.93,
    "category_recall": 0.80,
    "category_counts_within_1": 0.95,
    "violation_f1": 0.95,
    "item_accuracy": 0.90,
    "manager_accuracy": 1.0,
}


@cache
def evaluated(name: str) -> Any:
    entry = BY_FILE[name]
    return bench.compare(entry, bench.score_file(entry))


@cache
def overall() -> dict[str, Any]:
    figures: dict[str, Any] = bench.metrics(evaluated(e["file"]) for e in ASSERTED)
    return figures


@cache
def held_out() -> dict[str, Any]:
    figures: dict[str, Any] = bench.metrics(evaluated(e["file"]) for e in HELD_OUT)
    return figures


def test_corpus_is_complete() -> None:
    files = {p.name for p in bench.CORPUS.iterdir() if p.is_file() and p.suffix != ".py"}
    files -= {"labels.yaml", "README.md"}
    assert files == set(BY_FILE), "every corpus file has exactly one label entry"
    assert len(LABELS) >= 48


@pytest.mark.parametrize("name", sorted(e["file"] for e in ASSERTED))
def test_file_parses_and_yields_the_labelled_manager(name: str) -> None:
    result = evaluated(name)
    assert result.error is None, result.error
    assert result.manager_got == result.manager_expected


@pytest.mark.parametrize("name", sorted(e["file"] for e in HELD_OUT))
def test_held_out_file_parses(name: str) -> None:
    assert evaluated(name).error is None


def test_manager_accuracy() -> None:
    assert overall()["manager_accuracy"] >= bench.THRESHOLDS["manager_accuracy"]


@pytest.mark.parametrize("category", bench.CATEGORIES)
def test_question_count_mae(category: str) -> None:
    assert overall()["question_mae"][category] <= bench.THRESHOLDS["question_mae"]


def test_violation_precision() -> None:
    assert overall()["violation_precision"] >= bench.THRESHOLDS["violation_precision"]


def test_violation_recall() -> None:
    assert overall()["violation_recall"] >= bench.THRESHOLDS["violation_recall"]


def test_item_accuracy() -> None:
    assert overall()["item_accuracy"] >= bench.THRESHOLDS["item_accuracy"]


@pytest.mark.parametrize("measure", sorted(HELD_OUT_TARGETS))
def test_held_out_set_meets_the_targets_of_issue_13(measure: str) -> None:
    assert held_out()[measure] >= HELD_OUT_TARGETS[measure]
