"""Checklists: their schema, loading from YAML, validation with line numbers, versions.

A checklist names its language (whose data file lies beside it, `lang_<code>.yaml`), its
forbidden-phrase list, its question categories with lexicons, and its items. The version
is a content hash of every file it is built from, so a stored score says exactly which
rules produced it.
"""

from __future__ import annotations

import hashlib
import re
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.engine.errors import ChecklistError
from app.engine.patterns import compile_pattern
from app.engine.resources import DATA_DIR

BUILTIN_DIR = DATA_DIR / "checklists"
OTHER = "other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_patterns(value: list[str]) -> list[str]:
    for text in value:
        try:
            compile_pattern(text)
        except ValueError as exc:
            raise ValueError(str(exc)) from exc
    return value


Patterns = Annotated[list[str], Field(default_factory=list)]


class Category(_Strict):
    title: str
    # How reports and charts draw the category (a CSS hex colour); a palette colour if unset.
    color: Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")] | None = None
    words: Patterns
    weak: Patterns
    phrases: Patterns

    _v = field_validator("words", "weak", "phrases")(_check_patterns)


class _Item(_Strict):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    title: str
    points: Annotated[float, Field(gt=0)]


class QuestionCountItem(_Item):
    kind: Literal["question_count"]
    category: str
    target: Annotated[int, Field(ge=1)]


class ForbiddenPhrasesItem(_Item):
    kind: Literal["forbidden_phrases"]
    penalty: Annotated[float, Field(gt=0)]


class TalkBalanceItem(_Item):
    kind: Literal["talk_balance"]
    max_monologue_words: Annotated[int, Field(ge=1)] | None = None
    max_talk_share: Annotated[float, Field(gt=0, le=1)] | None = None


class NoExactPriceItem(_Item):
    kind: Literal["no_exact_price"]


class PhraseAnyItem(_Item):
    kind: Literal["phrase_any"]
    patterns: Annotated[list[str], Field(min_length=1)]
    within_first: Annotated[int, Field(ge=1)] | None = None

    _v = field_validator("patterns")(_check_patterns)


class GreetingItem(_Item):
    kind: Literal["greeting"]
    within_first: Annotated[int, Field(ge=1)] = 3
    name: Annotated[list[str], Field(min_length=1)]
    company: Annotated[list[str], Field(min_length=1)]
    names_from_dictionary: bool = False
    # A name in quotes in the manager's first turn is the company ("«Балтик Хаус», Артём").
    company_in_quotes: bool = False

    _v = field_validator("name", "company")(_check_patterns)


class BookingItem(_Item):
    kind: Literal["booking"]
    events: Annotated[list[str], Field(min_length=1)]
    times: Patterns
    # Times written in digits ("в 11", "15:30", "25 числа"): tried on turns holding a digit.
    time_regex: str | None = None
    agreement: list[str] = Field(default_factory=list)
    # A manager's turn opening with one of these fixes the time the client's answer gave
    # ("Давайте двадцать седьмое, в десять").
    proposals: list[str] = Field(default_factory=list)

    _v = field_validator("events", "times")(_check_patterns)

    @field_validator("time_regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"time_regex does not compile: {exc}") from exc
        return value


Item = Annotated[
    QuestionCountItem
    | ForbiddenPhrasesItem
    | TalkBalanceItem
    | NoExactPriceItem
    | PhraseAnyItem
    | GreetingItem
    | BookingItem,
    Field(discriminator="kind"),
]


class Grades(_Strict):
    green: Annotated[float, Field(ge=0, le=100)]
    yellow: Annotated[float, Field(ge=0, le=100)]


class ForbiddenPhrase(_Strict):
    phrase: str
    replacement: str
    match: Patterns

    _v = field_validator("match")(_check_patterns)

    @property
    def patterns(self) -> list[str]:
        return self.match or [self.phrase]


class ForbiddenList(_Strict):
    language: str
    phrases: list[ForbiddenPhrase]


class Checklist(_Strict):
    """A validated checklist with its language data and forbidden phrases attached."""

    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    title: str
    language: str
    forbidden: str | None = None
    grades: Grades
    categories: dict[str, Category] = Field(default_factory=dict)
    # Questions none of the categories should claim though they name a topic ("когда сможете
    # подъехать посмотреть квартиру" schedules a viewing): a match weighs as a category phrase
    # for `other`, which wins ties.
    other_questions: Patterns
    items: Annotated[list[Item], Field(min_length=1)]
    # Filled by the loader, not written in YAML.
    version: str = ""
    forbidden_phrases: tuple[ForbiddenPhrase, ...] = ()
    lang: dict[str, Any] = Field(default_factory=dict)

    _v = field_validator("other_questions")(_check_patterns)

    @cached_property
    def max_points(self) -> float:
        return sum(i.points for i in self.items)

    def to_dict(self) -> dict[str, Any]:
        """The checklist as the API and `checklists show` present it."""
        data = self.model_dump(exclude={"lang", "forbidden_phrases"})
        data["forbidden_phrases"] = [p.model_dump() for p in self.forbidden_phrases]
        data["max_points"] = self.max_points
        return data


def _line_of(node: yaml.Node, loc: tuple[int | str, ...]) -> int:
    """The 1-based line of the YAML node at a pydantic error location."""
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


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None, bytes]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ChecklistError(f"{path}: cannot be read ({exc.strerror})") from exc
    try:
        text = raw.decode("utf-8-sig")
        return yaml.safe_load(text), yaml.compose(text), raw
    except UnicodeDecodeError as exc:
        raise ChecklistError(f"{path}: not UTF-8 text") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark else ""
        problem = f"{where}invalid YAML ({getattr(exc, 'problem', exc)})"
        raise ChecklistError(f"{path}: {problem}", problems=[problem]) from exc


def _semantic_problems(data: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str]]:
    """Mistakes a schema cannot see: unknown categories, repeated keys, reserved names."""
    problems: list[tuple[tuple[int | str, ...], str]] = []
    categories = data.get("categories") or {}
    if isinstance(categories, dict) and OTHER in categories:
        problems.append(
            (("categories", OTHER), f"{OTHER!r} is reserved for unclassified questions")
        )
    items = data.get("items")
    seen: set[Any] = set()
    for n, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        key = item.get("key")
        if key in seen:
            problems.append((("items", n, "key"), f"item key {key!r} is used twice"))
        seen.add(key)
        category = item.get("category")
        if item.get("kind") == "question_count" and category not in categories:
            problems.append((("items", n, "category"), f"unknown category {category!r}"))
    return problems


def _validate(model: type[BaseModel], path: Path) -> tuple[Any, bytes]:
    data, node, raw = _read_yaml(path)
    if not isinstance(data, dict) or node is None:
        raise ChecklistError(f"{path}: line 1: expected a mapping at the top level")
    errors: list[tuple[tuple[int | str, ...], str]] = []
    result = None
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        errors += [(tuple(e["loc"]), e["msg"]) for e in exc.errors()]
    if model is Checklist:
        errors += _semantic_problems(data)
    if errors:
        errors.sort(key=lambda e: _line_of(node, e[0]))
        problems = [
            f"line {_line_of(node, loc)}: {'.'.join(str(p) for p in loc) or '(top)'}: {msg}"
            for loc, msg in errors
        ]
        raise ChecklistError(f"{path}: " + "; ".join(problems), problems=problems)
    return result, raw


def load_checklist(path: str | Path) -> Checklist:
    """Load and validate a checklist file with the language and phrase files beside it."""
    path = Path(path)
    checklist: Checklist
    checklist, raw = _validate(Checklist, path)
    digest = hashlib.sha256(raw)
    lang_path = path.parent / f"lang_{checklist.language}.yaml"
    lang, lang_raw = _read_yaml(lang_path)[0], lang_path.read_bytes()
    digest.update(lang_raw)
    phrases: tuple[ForbiddenPhrase, ...] = ()
    if checklist.forbidden:
        forbidden, forbidden_raw = _validate(ForbiddenList, path.parent / checklist.forbidden)
        digest.update(forbidden_raw)
        phrases = tuple(forbidden.phrases)
    return checklist.model_copy(
        update={"version": digest.hexdigest()[:12], "forbidden_phrases": phrases, "lang": lang}
    )


def validate_checklist_file(path: str | Path) -> list[str]:
    """Every mistake in a checklist file, each naming its line; empty when the file is valid."""
    try:
        load_checklist(path)
    except ChecklistError as exc:
        return exc.problems or [exc.reason]
    return []


def builtin_keys(directory: Path = BUILTIN_DIR) -> list[str]:
    """Keys of the built-in checklists: every YAML file with a `key` and `items`."""
    keys = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name.startswith(("lang_", "forbidden_")):
            continue
        keys.append(path.stem)
    return keys


@lru_cache(maxsize=64)
def get_checklist(key: str) -> Checklist:
    """A built-in checklist by key; raises ChecklistError naming the known keys."""
    if key not in builtin_keys():
        known = ", ".join(builtin_keys())
        raise ChecklistError(f"unknown checklist {key!r}; known: {known}", field="checklist")
    return load_checklist(BUILTIN_DIR / f"{key}.yaml")


def list_checklists() -> list[Checklist]:
    """All built-in checklists."""
    return [get_checklist(k) for k in builtin_keys()]
