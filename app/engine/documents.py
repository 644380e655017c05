"""Checklist documents as text: safe parsing, line numbers, `extends` merging, content versions.

A document arrives as YAML (a file, or a trainer's upload) or as the same document in JSON.
Aliases are capped, because a few nested ones expand to billions of nodes ("billion laughs").
A document that `extends` another is merged onto the base's resolved document, so a team
adds its own "never say" list without copying files; the result is self-contained and its
version is the SHA-256 of its canonical JSON, whatever the text it came from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from app.engine.errors import ChecklistError, Problem, SchemaMessage
from app.engine.reasons import InvalidValue, Reason, reason

MAX_ALIASES = 100
# Nodes once every alias is expanded; the largest built-in file (realty_phone.yaml) has 585.
MAX_EXPANDED_NODES = 100_000
Loc = tuple[int | str, ...]
Why = str | Reason | SchemaMessage  # a problem's reason: a code and parameters, or pydantic's


@dataclass(slots=True)
class Document:
    """A parsed document: its data, and its YAML nodes for line numbers (None for JSON)."""

    data: dict[str, Any]
    node: yaml.Node | None = None
    # For merged lists, where each entry came from: its index in the document, or None
    # when it came from the base or a shared file.
    origins: dict[str, list[int | None]] = field(default_factory=dict)

    def locate(self, loc: Loc) -> tuple[int | None, str]:
        """The 1-based line (None for JSON) and JSON pointer of an error location in the
        merged data, mapped back onto the document as written."""
        parts: list[int | str] = []
        value: Any = self.data
        for n, part in enumerate(loc):
            if isinstance(value, dict) and part not in value and part == value.get("kind"):
                continue  # the discriminator pydantic names, not a field
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and isinstance(part, int) and part < len(value):
                value = value[part]
            else:
                value = None
            if n == 1 and isinstance(part, int) and loc[0] in self.origins:
                origin = self.origins[str(loc[0])]
                mapped = origin[part] if part < len(origin) else None
                if mapped is None:  # from the base: point at the `extends` line
                    return self._line(("extends",)) or self._line(()), "/extends"
                part = mapped
            parts.append(part)
        pointer = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)
        return self._line(tuple(parts)), pointer

    def _line(self, loc: Loc) -> int | None:
        node = self.node
        if node is None:
            return None
        for part in loc:
            child: yaml.Node | None = None
            if isinstance(node, yaml.MappingNode):
                child = next((v for k, v in node.value if k.value == part), None)
                if child is None:
                    continue  # a discriminator tag such as 'greeting', or a missing key
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
                if part >= len(node.value):
                    break
                child = node.value[part]
            else:
                continue
            node = child
        return int(node.start_mark.line) + 1


def _expanded_size(node: yaml.Node, sizes: dict[int, int], path: set[int]) -> int:
    """Nodes in `node` with every alias expanded; raises ValueError on a self-reference."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in path:
        raise InvalidValue(reason("alias_in_itself"))
    path.add(id(node))
    size = 1
    if isinstance(node, yaml.SequenceNode):
        size += sum(_expanded_size(child, sizes, path) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            size += _expanded_size(key, sizes, path) + _expanded_size(value, sizes, path)
    path.discard(id(node))
    sizes[id(node)] = size
    return size


def _refuse(source: str, line: int | None, why: Reason) -> ChecklistError:
    problem = Problem(line, (), why.english(), why=why)
    return ChecklistError(f"{source}: {problem}", problems=[problem])


def _compose(text: str, source: str) -> tuple[yaml.Node | None, yaml.SafeLoader]:
    loader = yaml.SafeLoader(text)
    aliases = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                line = int(event.start_mark.line) + 1 if event.start_mark else None
                raise _refuse(source, line, reason("too_many_aliases", limit=MAX_ALIASES))
    return loader.get_single_node(), loader


def parse_yaml(text: str | bytes, source: str = "document") -> Document:
    """A YAML (or JSON) document with its nodes; ChecklistError naming the line otherwise."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8-sig")
        node, loader = _compose(text, source)
        try:
            if node is not None:
                try:
                    size = _expanded_size(node, {}, set())
                except ValueError as exc:
                    why = exc.why if isinstance(exc, InvalidValue) else reason("alias_in_itself")
                    raise _refuse(source, None, why) from None
                if size > MAX_EXPANDED_NODES:
                    why = reason("aliases_too_big", limit=f"{MAX_EXPANDED_NODES:,}")
                    raise _refuse(source, None, why)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except UnicodeDecodeError as exc:
        raise _refuse(source, None, reason("document_not_utf8")) from exc
    except RecursionError as exc:
        raise _refuse(source, None, reason("document_too_deep")) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = int(mark.line) + 1 if mark else None
        raise _refuse(
            source, line, reason("invalid_yaml", error=str(getattr(exc, "problem", exc)))
        ) from exc
    if not isinstance(data, dict):
        raise _refuse(source, 1, reason("top_not_mapping"))
    return Document(data, node)


def parse_json(text: str | bytes, source: str = "document") -> Document:
    """A JSON document (no line numbers: errors name JSON pointers)."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _refuse(source, None, reason("invalid_json_document", error=str(exc))) from exc
    if not isinstance(data, dict):
        raise _refuse(source, None, reason("top_not_object"))
    return Document(data)


def canonical_version(document: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys, no spaces, UTF-8) of a resolved document."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _name(entry: Any, name: str) -> str | None:
    value = entry.get(name) if isinstance(entry, dict) else None
    return value if isinstance(value, str) else None


def _by_key(entries: Iterable[Any], name: str) -> dict[str, int]:
    return {k: n for n, e in enumerate(entries) if (k := _name(e, name)) is not None}


def _merge_keyed(
    base: list[dict[str, Any]], own: Any, name: str, dropped: list[str], what: str
) -> tuple[list[Any], list[int | None], list[tuple[Loc, Why]]]:
    """Base entries minus `dropped`, each replaced by the document's entry of the same `name`
    (key or phrase); the document's other entries after them."""
    problems: list[tuple[Loc, Why]] = []
    known = _by_key(base, name)
    for n, gone in enumerate(dropped):
        if gone not in known:
            problems.append((("drop", what, n), reason("base_has_no", what=what[:-1], name=gone)))
    if not isinstance(own, list):
        return own, [], problems  # the schema check names the wrong type
    merged: list[Any] = [e for e in base if e.get(name) not in dropped]
    origins: list[int | None] = [None] * len(merged)
    at = _by_key(merged, name)
    for n, entry in enumerate(own):
        key = _name(entry, name)
        if key is not None and key in at:
            merged[at[key]], origins[at[key]] = entry, n
        else:
            merged.append(entry)
            origins.append(n)
    return merged, origins, problems


def _merge_categories(
    base: dict[str, Any], own: Any, drop: dict[str, Any]
) -> tuple[Any, list[tuple[Loc, Why]]]:
    problems: list[tuple[Loc, Why]] = []
    dropped = drop.get("categories", [])
    words = drop.get("words", {})
    for n, gone in enumerate(dropped):
        if gone not in base:
            problems.append((("drop", "categories", n), reason("base_has_no_category", name=gone)))
    merged = {k: dict(v) for k, v in base.items() if k not in dropped}
    for key, unwanted in words.items():
        if key not in merged:
            problems.append((("drop", "words", key), reason("base_has_no_category", name=key)))
            continue
        for kind in ("words", "weak", "phrases"):
            merged[key][kind] = [w for w in merged[key].get(kind, []) if w not in unwanted]
    if not isinstance(own, dict):
        return merged if own is None else own, problems
    for key, category in own.items():
        if key in merged and isinstance(category, dict):
            extended = merged[key] | {k: v for k, v in category.items() if k == "title"}
            for kind in ("words", "weak", "phrases"):
                added = category.get(kind, [])
                extended[kind] = merged[key].get(kind, []) + (
                    added if isinstance(added, list) else [added]
                )
            merged[key] = extended
        else:
            merged[key] = category
    return merged, problems


def extend(base: dict[str, Any], document: Document, drop: dict[str, Any]) -> list[tuple[Loc, Why]]:
    """Merge `document` onto the resolved `base` in place; the problems of its `drop`.

    Scalars (title, language, grades, forbidden) replace the base's. Categories merge by key:
    a known one takes the document's title and adds its words, weak words and phrases; a new
    one is added. Items merge by key and forbidden phrases by phrase: the document's entry
    replaces the base's in place, a new one comes after. `other_questions` are added. `drop`
    first removes `items`, `categories`, `forbidden` phrases, `other_questions` and, per
    category, `words` (from its words, weak words and phrases) from the base.
    """
    data = document.data
    problems: list[tuple[Loc, Why]] = []
    merged = {k: v for k, v in base.items() if k not in ("extends", "lang")} | {
        k: v for k, v in data.items() if k not in ("categories", "items", "forbidden_phrases")
    }
    merged["categories"], found = _merge_categories(
        base.get("categories", {}), data.get("categories"), drop
    )
    problems += found
    for name, key, what in (
        ("items", "key", "items"),
        ("forbidden_phrases", "phrase", "forbidden"),
    ):
        entries, origins, found = _merge_keyed(
            base.get(name, []), data.get(name, []), key, drop.get(what, []), what
        )
        merged[name] = entries
        document.origins[name] = origins
        problems += found
    others = data.get("other_questions", [])
    unwanted = drop.get("other_questions", [])
    kept = [q for q in base.get("other_questions", []) if q not in unwanted]
    merged["other_questions"] = kept + (others if isinstance(others, list) else [others])
    document.data = merged
    return problems
