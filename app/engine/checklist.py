"""Checklists: their schema, loading from YAML or JSON, validation with line numbers, versions.

A checklist names its language (whose data file, `lang_<code>.yaml`, lies beside it or in the
package), its shared forbidden-phrase list and phrases of its own, its question categories with
lexicons, and its items; it may extend another (`extends`, see app.engine.documents). Loading
resolves all of that into one self-contained document whose SHA-256 is the version, so a stored
score says exactly which rules produced it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.engine.documents import (
    Document,
    Loc,
    Why,
    canonical_version,
    extend,
    parse_json,
    parse_yaml,
)
from app.engine.errors import ChecklistError, Problem, SchemaMessage
from app.engine.language import Language
from app.engine.patterns import compile_pattern
from app.engine.reasons import InvalidValue, Reason, reason
from app.engine.resources import BUILTIN_DIR

OTHER = "other"
KEY_PATTERN = r"^[a-z][a-z0-9_]*$"
# Shared files are named, never given as paths: a pushed document reads only package data.
_FILE_NAME = r"^[a-z0-9_]+\.yaml$"
_LANGUAGE = r"^[a-z]{2,8}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_patterns(value: list[str]) -> list[str]:
    for text in value:
        try:
            compile_pattern(text)
        except ValueError as exc:
            raise InvalidValue(
                exc.why if isinstance(exc, InvalidValue) else reason("empty_pattern", pattern=text)
            ) from exc
    return value


Patterns = Annotated[list[str], Field(default_factory=list)]


class Category(_Strict):
    title: str
    # How reports, charts and the call page draw the category (a CSS hex colour); unset, a
    # palette colour by category order.
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
    # Words said right before the manager's given name in the first turn are the company
    # ("Автоцентр Север, Игорь", "пицца сити анна слушаю"), back to one of these greeting,
    # role and introduction words (given: the rule is on).
    company_before_name: list[str] = Field(default_factory=list)

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
    # A client's time with one of these is no answer to an invitation: "Может, на выходных".
    hedges: list[str] = Field(default_factory=list)

    _v = field_validator("events", "times")(_check_patterns)

    @field_validator("time_regex")
    @classmethod
    def _regex_compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise InvalidValue(reason("time_regex_invalid", error=str(exc))) from exc
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

    @model_validator(mode="after")
    def _bands_in_order(self) -> Self:
        if self.green < self.yellow:
            raise InvalidValue(
                reason("inverted_grades", green=f"{self.green:g}", yellow=f"{self.yellow:g}")
            )
        return self


class ForbiddenPhrase(_Strict):
    phrase: str
    replacement: str
    match: Patterns
    # Said in the same sentence, one of these makes a hit information, not the phrase:
    # "водитель вам позвонит, когда подъедет" is no "вам перезвонят".
    unless: Patterns

    _v = field_validator("match", "unless")(_check_patterns)

    @property
    def patterns(self) -> list[str]:
        return self.match or [self.phrase]


class ForbiddenList(_Strict):
    language: str
    phrases: list[ForbiddenPhrase]


class ChecklistRef(_Strict):
    """A checklist version: the base an extending checklist was resolved against."""

    key: str
    version: str


class Drop(_Strict):
    """What an extending checklist removes from its base (see app.engine.documents.extend)."""

    items: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    forbidden: list[str] = Field(default_factory=list)
    words: dict[str, list[str]] = Field(default_factory=dict)
    other_questions: list[str] = Field(default_factory=list)


class Checklist(_Strict):
    """A validated checklist with its language data and forbidden phrases attached."""

    key: Annotated[str, Field(pattern=KEY_PATTERN, max_length=64)]
    title: str
    language: Annotated[str, Field(pattern=_LANGUAGE)]
    # A shared phrase list (a file name in the package); `forbidden_phrases` add to it.
    forbidden: Annotated[str, Field(pattern=_FILE_NAME)] | None = None
    extends: ChecklistRef | None = None
    grades: Grades
    categories: dict[str, Category] = Field(default_factory=dict)
    # Questions none of the categories should claim though they name a topic ("когда сможете
    # подъехать посмотреть квартиру" schedules a viewing): a match weighs as a category phrase
    # for `other`, which wins ties.
    other_questions: Patterns
    items: Annotated[list[Item], Field(min_length=1)]
    forbidden_phrases: tuple[ForbiddenPhrase, ...] = ()
    # Filled by the loader, not written in YAML.
    version: str = ""
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

    def document(self) -> dict[str, Any]:
        """The resolved document: self-contained, as stored; its SHA-256 is the version.

        Categories are a list (each with its `key`): their order decides ties, and neither
        canonical JSON (sorted keys) nor PostgreSQL's jsonb keeps the order of an object.
        """
        data = self.model_dump(mode="json", exclude={"version"})
        data["categories"] = [{"key": k, **c} for k, c in data["categories"].items()]
        return data

    @classmethod
    def from_document(cls, document: dict[str, Any], version: str) -> Checklist:
        """A checklist from its stored resolved document."""
        categories = {
            c["key"]: {k: v for k, v in c.items() if k != "key"} for c in document["categories"]
        }
        return cls.model_validate({**document, "categories": categories, "version": version})


Bases = Callable[[str], Checklist | None]
"""Finds the latest version of a base checklist by key, or None when there is none."""


def _semantic_problems(data: dict[str, Any]) -> list[tuple[Loc, Why]]:
    """Mistakes a schema cannot see: unknown categories, repeated keys, reserved names."""
    problems: list[tuple[Loc, Why]] = []
    categories = data.get("categories") or {}
    if isinstance(categories, dict) and OTHER in categories:
        problems.append((("categories", OTHER), reason("reserved_category", key=OTHER)))
    items = data.get("items")
    seen: set[Any] = set()
    for n, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        key = item.get("key")
        if isinstance(key, str) and key in seen:
            problems.append((("items", n, "key"), reason("item_key_twice", key=key)))
        seen.add(str(key))
        category = item.get("category")
        known = (
            isinstance(category, str) and isinstance(categories, dict) and category in categories
        )
        if item.get("kind") == "question_count" and not known:
            problems.append(
                (("items", n, "category"), reason("unknown_category", category=category))
            )
    return problems


def _raise(document: Document, source: str, errors: Iterable[tuple[Loc, Why]]) -> None:
    problems = []
    for loc, why in errors:
        line, pointer = document.locate(loc)
        if isinstance(why, Reason):
            problems.append(Problem(line, loc, why.english(), pointer, why))
        elif isinstance(why, SchemaMessage):
            problems.append(Problem(line, loc, why.message, pointer, schema=why))
        else:
            problems.append(Problem(line, loc, why, pointer))
    if problems:
        problems.sort(key=lambda p: p.line or 0)
        raise ChecklistError(f"{source}: " + "; ".join(map(str, problems)), problems=problems)


def _pydantic_errors(exc: ValidationError, prefix: Loc = ()) -> list[tuple[Loc, Why]]:
    """The schema's errors: a validator's own reason keeps its code; pydantic's keep its type."""
    problems: list[tuple[Loc, Why]] = []
    for e in exc.errors():
        ctx = e.get("ctx") or {}
        error = ctx.get("error")
        why: Why = (
            error.why
            if isinstance(error, InvalidValue)
            else SchemaMessage(
                e["msg"].removeprefix("Value error, "),
                e["type"],
                {k: v for k, v in ctx.items() if isinstance(v, str | int | float)},
            )
        )
        problems.append(((*prefix, *e["loc"]), why))
    return problems


def _shared_file(name: str, shared: Iterable[Path]) -> Document:
    """A language or phrase file: beside the checklist first, then the package's."""
    for directory in shared:
        path = directory / name
        if path.is_file():
            return parse_yaml(path.read_bytes(), str(path))
    raise ChecklistError(reason("no_shared_file", name=name))


def _language_data(name: str, shared: Iterable[Path]) -> dict[str, Any]:
    """A language file, validated by its schema (a misspelt key is an error with its line)."""
    document = _shared_file(name, shared)
    try:
        language = Language.model_validate(document.data)
    except ValidationError as exc:
        _raise(document, name, _pydantic_errors(exc))
        raise  # unreachable: _raise raised
    return language.model_dump(by_alias=True)


def _forbidden_phrases(name: str, shared: Iterable[Path]) -> list[dict[str, Any]]:
    document = _shared_file(name, shared)
    try:
        phrases = ForbiddenList.model_validate(document.data).phrases
    except ValidationError as exc:
        _raise(document, name, _pydantic_errors(exc))
        raise  # unreachable: _raise raised
    return [p.model_dump(mode="json") for p in phrases]


def _base(document: Document, bases: Bases) -> tuple[Checklist | None, dict[str, Any], list[Any]]:
    """The base named by `extends` and the validated `drop`, with their problems."""
    data = document.data
    extends, drop = data.pop("extends", None), data.pop("drop", None)
    problems: list[tuple[Loc, Why]] = []
    base = None
    if isinstance(extends, str):
        base = bases(extends)
        if base is None:
            problems.append((("extends",), reason("unknown_base", key=extends)))
    elif extends is not None:
        problems.append((("extends",), reason("extends_not_key")))
    try:
        dropped = Drop.model_validate(drop or {}).model_dump()
    except ValidationError as exc:
        problems += _pydantic_errors(exc, ("drop",))
        dropped = Drop().model_dump()
    if drop is not None and extends is None:
        problems.append((("drop",), reason("drop_needs_extends")))
    return base, dropped, problems


def read_checklist(
    document: Document, *, bases: Bases, shared: Iterable[Path], source: str = "checklist"
) -> Checklist:
    """Resolve and validate a parsed document: its base merged in (pinned at its current
    version), its shared phrase list and language data attached, its version computed.

    Raises ChecklistError whose `problems` name the line (YAML) or pointer of each mistake.
    """
    shared = list(dict.fromkeys(shared))
    document.data = dict(document.data)
    base, drop, problems = _base(document, bases)
    _raise(document, source, problems)
    resolved = base.model_dump(mode="json", exclude={"version"}) if base else {}
    name = document.data.get("forbidden")
    missing: list[tuple[Loc, Why]] = []
    if isinstance(name, str) and re.fullmatch(_FILE_NAME, name):
        try:
            resolved["forbidden_phrases"] = _forbidden_phrases(name, shared)
        except ChecklistError as exc:
            if exc.problems:
                raise
            missing.append((("forbidden",), reason("no_phrase_list", name=name)))
    problems = missing + extend(resolved, document, drop)
    merged = document.data
    language = merged.get("language")
    if isinstance(language, str) and re.fullmatch(_LANGUAGE, language):
        try:
            merged["lang"] = _language_data(f"lang_{language}.yaml", shared)
        except ChecklistError as exc:
            if exc.problems:  # the file is there but wrong: its own lines say where
                raise
            problems.append((("language",), reason("no_language_data", language=language)))
    if base is not None:
        merged["extends"] = {"key": base.key, "version": base.version}
    checklist = None
    try:
        checklist = Checklist.model_validate(merged)
    except ValidationError as exc:
        problems += _pydantic_errors(exc)
    _raise(document, source, problems + _semantic_problems(merged))
    assert checklist is not None
    return checklist.model_copy(update={"version": canonical_version(checklist.document())})


def parse_checklist(
    text: str | bytes, *, json: bool = False, bases: Bases, shared: Iterable[Path] = ()
) -> Checklist:
    """A checklist from the text of a YAML (or JSON) document, with the package's data."""
    document = parse_json(text) if json else parse_yaml(text)
    return read_checklist(document, bases=bases, shared=[*shared, BUILTIN_DIR])


def _builtin_base(key: str) -> Checklist | None:
    return get_checklist(key) if key in builtin_keys() else None


def load_checklist(path: str | Path) -> Checklist:
    """Load a checklist file; its base is a built-in, its shared files lie beside it or in
    the package."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ChecklistError(
            reason("cannot_read_file", path=str(path), error=exc.strerror)
        ) from exc
    return read_checklist(
        parse_yaml(raw, str(path)),
        bases=_builtin_base,
        shared=(path.parent, BUILTIN_DIR),
        source=str(path),
    )


def validate_checklist_file(path: str | Path) -> list[str]:
    """Every mistake in a checklist file, each naming its line; empty when the file is valid."""
    try:
        load_checklist(path)
    except ChecklistError as exc:
        return [str(p) for p in exc.problems] or [exc.reason]
    return []


def builtin_keys(directory: Path = BUILTIN_DIR) -> list[str]:
    """Keys of the built-in checklists: every YAML file but language and phrase data."""
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
        raise ChecklistError(reason("unknown_checklist", key=key, known=known), field="checklist")
    return load_checklist(BUILTIN_DIR / f"{key}.yaml")


def list_checklists() -> list[Checklist]:
    """All built-in checklists."""
    return [get_checklist(k) for k in builtin_keys()]
