"""Checks that a JSON value can be stored in PostgreSQL text and jsonb columns.

Python's json module accepts what PostgreSQL refuses (NUL characters, lone surrogates, NaN and
Infinity, nesting deep enough to hit the server's stack limit) and what orjson, which writes
our jsonb parameters, refuses (integers beyond 64 bits). Refusing them here turns a
would-be 500 from the database into a 4xx that names the offending field.
"""

from __future__ import annotations

import math
from typing import Any

from app.i18n import _


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as PostgreSQL text, or None if it can."""
    if "\x00" in value:
        return _("contains a NUL character (U+0000), which text columns cannot hold")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("contains an unpaired UTF-16 surrogate, which is not valid Unicode text")
    return None


def json_problem(value: Any, *, max_depth: int = 64) -> tuple[str, str] | None:
    """The first unstorable spot in a JSON value as (pointer suffix, reason), or None."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        node, pointer, depth = stack.pop()
        if depth > max_depth:
            return pointer, _("nested deeper than %(limit)s levels", limit=max_depth)
        if isinstance(node, str):
            reason = text_problem(node)
            if reason:
                return pointer, reason
        elif isinstance(node, float):
            if not math.isfinite(node):
                return pointer, _("is NaN or infinite, which JSON does not allow")
        elif isinstance(node, int) and not isinstance(node, bool):
            if not -(2**63) <= node < 2**64:
                return pointer, _("is an integer beyond 64 bits; send it as a string")
        elif isinstance(node, dict):
            for key, child in node.items():
                child_pointer = f"{pointer}/{_escape(str(key))}"
                reason = text_problem(str(key))
                if reason:
                    return child_pointer, _("key %(reason)s", reason=reason)
                stack.append((child, child_pointer, depth + 1))
        elif isinstance(node, list):
            stack.extend((child, f"{pointer}/{i}", depth + 1) for i, child in enumerate(node))
    return None
