"""Helpers for engine specs: calls written as dialogue lines."""

from __future__ import annotations

import pytest

from app.engine import ScoreResult, score


def dialogue(*lines: str) -> str:
    """Lines starting with 'М:' are the manager's, 'К:' the client's."""
    return "\n".join(
        line.replace("М:", "Менеджер:", 1)
        if line.startswith("М:")
        else line.replace("К:", "Клиент:", 1)
        for line in lines
    )


@pytest.fixture
def scored():
    def run(*lines: str, **kwargs: object) -> ScoreResult:
        return score(dialogue(*lines), **kwargs)  # type: ignore[arg-type]

    return run
