"""The call page: one stored call laid out for a trainer, rendered from Jinja2 templates.

Everything a reader needs is on the page itself (inline CSS, no script, no fetched asset), so it
reads the same on screen, on paper and saved as a file. The view built here holds plain text
only; the templates escape it (autoescape on), so no HTML is ever assembled by hand. Its words
come from the message catalogs (`_()` in the templates), in the reader's language.

Opened through a review share link the page also carries plain forms (no script) for the
corrections a reviewer makes: `ReviewForms` says where they post and with which CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session

from app import i18n
from app.db import calls as repo
from app.engine import Checklist
from app.engine.checklist import OTHER
from app.i18n import N_, _
from app.services import checklists, corrections, wording
from app.services.calls import summary
from app.services.categories import OTHER_COLOR, PALETTE, CategoryInfo
from app.services.errors import NotFound
from app.services.report_format import grade_label, num, offset_label
from app.tenancy import LOCAL, Tenant

OTHER_TITLE = N_("Other questions")
REMOVED_NOTE = N_("examples removed after the retention period")


@dataclass(frozen=True, slots=True)
class ReviewForms:
    """The page's correction forms: where they post (the form route, through the same share
    link) and the CSRF token bound to that link."""

    action: str
    csrf: str


@dataclass(frozen=True, slots=True)
class Mark:
    """A question or a forbidden phrase at [start, end) of an utterance's text."""

    start: int
    end: int
    category: str | None = None
    replacement: str | None = None
    machine_category: str | None = None  # a reviewer moved the question from this category
    dismissed: bool = False  # a reviewer struck out the machine's question or violation
    added: bool = False  # a violation a reviewer added


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of an utterance's text under the same marks; `label` opens a question,
    `replacement` follows the last piece of a struck phrase."""

    text: str
    category: CategoryInfo | None
    label: str | None
    struck: bool
    replacement: str | None
    machine_label: str | None = None  # the machine's category, when a reviewer changed it
    not_question: str | None = None  # the machine's category of a question that is none
    dismissed: bool = False  # inside such a question
    not_violation: bool = False  # words the machine took for a forbidden phrase, wrongly
    not_violation_end: bool = False  # the last piece of them
    added: bool = False  # a forbidden phrase a reviewer added


@dataclass(frozen=True, slots=True)
class Line:
    index: int
    speaker: str
    manager: bool
    time: str
    pieces: list[Piece]
    unplaced: list[tuple[str, str, bool]]  # phrases not found in the text (words, replacement,
    # added by a reviewer)


def load_call(session: Session, call_id: int, tenant: Tenant = LOCAL) -> dict[str, Any]:
    """What the page shows of a stored call: summary, score (reviewers' corrections applied,
    the machine's kept as `machine_score`), every utterance, and the checklist version it was
    scored with (`rules`: titles and colours of its categories)."""
    call = repo.get_call(session, call_id, tenant)
    if call is None:
        raise NotFound(_("no call with id %(call)s", call=call_id))
    rules = checklists.of_call(session, call.checklist_key, call.checklist_version, tenant)
    view = corrections.corrected(session, call_id, call.score, tenant)
    removed = _(REMOVED_NOTE) if call.transcript_removed_at is not None else None
    return {
        **summary(call),
        **view,
        "utterances": call.utterances,
        "rules": rules,
        "texts_removed": removed,
    }


def categories_of(checklist: Checklist | None, seen: set[str]) -> dict[str, CategoryInfo]:
    """Title and colour of every question category: the checklist's, then keys only the
    score knows (a checklist changed since), then the questions no category claimed."""
    found: dict[str, CategoryInfo] = {}
    defined = checklist.categories if checklist else {}
    for n, (key, category) in enumerate(defined.items()):
        color = category.color or PALETTE[n % len(PALETTE)]
        found[key] = CategoryInfo(key, category.title, color)
    for key in sorted(seen - found.keys() - {OTHER}):
        found[key] = CategoryInfo(key, key, PALETTE[len(found) % len(PALETTE)])
    found[OTHER] = CategoryInfo(OTHER, _(OTHER_TITLE), OTHER_COLOR)
    return found


def _place(text: str, hit: dict[str, Any], words: str, after: int) -> tuple[int, int] | None:
    """Where a question or phrase lies in its utterance: its `span` when the engine gave
    one, else the first occurrence of its words at or after `after`."""
    span = hit.get("span")
    if isinstance(span, list) and len(span) == 2 and 0 <= span[0] < span[1] <= len(text):
        return span[0], span[1]
    if not words:
        return None
    at = text.find(words, after)
    if at < 0:
        at = text.lower().find(words.lower(), after)
    return None if at < 0 else (at, at + len(words))


def _pieces(text: str, marks: list[Mark], categories: dict[str, CategoryInfo]) -> list[Piece]:
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    pieces = []
    for start, end in pairwise(cuts):
        question = next((m for m in marks if m.category and m.start <= start < m.end), None)
        phrase = next(
            (m for m in marks if m.replacement is not None and m.start <= start < m.end), None
        )
        category = categories[question.category] if question and question.category else None
        opens = question is not None and question.start == start
        out = question is not None and question.dismissed
        was = question.machine_category if question and opens else None
        pieces.append(
            Piece(
                text=text[start:end],
                category=None if out else category,
                label=category.title if opens and category and not out else None,
                struck=phrase is not None and not phrase.dismissed,
                replacement=phrase.replacement
                if phrase and phrase.end == end and not phrase.dismissed
                else None,
                machine_label=categories[was].title if was in categories else was,
                not_question=category.title if opens and category and out else None,
                dismissed=out,
                not_violation=phrase is not None and phrase.dismissed,
                not_violation_end=phrase is not None and phrase.dismissed and phrase.end == end,
                added=phrase is not None and phrase.added,
            )
        )
    return pieces


def clock(seconds: float | None) -> str:
    """A time in the call as 1:05 or 1:02:05; empty when the transcript has none."""
    if seconds is None:
        return ""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _marks(
    score: dict[str, Any], texts: dict[int, str]
) -> tuple[dict[int, list[Mark]], dict[int, list[tuple[str, str, bool]]]]:
    """The marks of each utterance (reviewers' dismissals too), and the forbidden phrases
    whose words were not found."""
    marks: dict[int, list[Mark]] = {}
    unplaced: dict[int, list[tuple[str, str, bool]]] = {}
    dismissed = score.get("dismissed", {})
    questions = [(q, False) for q in score.get("questions", [])]
    for q, out in [*questions, *((q, True) for q in dismissed.get("questions", []))]:
        text = texts.get(q["utterance"], "")
        whole = (0, len(text))  # a question not found is shown as the whole utterance
        start, end = _place(text, q, q["text"], 0) or whole
        mark = Mark(start, end, q["category"], None, q.get("machine_category"), out)
        marks.setdefault(q["utterance"], []).append(mark)
    searched: dict[tuple[int, str], int] = {}  # where the next search of the same words starts
    violations = [(v, False) for v in score.get("violations", [])]
    for v, out in [*violations, *((v, True) for v in dismissed.get("violations", []))]:
        n, words = v["utterance"], v["matched"]
        found = (
            None
            if v.get("added")
            else _place(texts.get(n, ""), v, words, searched.get((n, words), 0))
        )
        if found is None:
            if not out:
                unplaced.setdefault(n, []).append((words, v["replacement"], bool(v.get("added"))))
            continue
        searched[n, words] = found[1]
        marks.setdefault(n, []).append(Mark(*found, replacement=v["replacement"], dismissed=out))
    return marks, unplaced


def _lines(call: dict[str, Any], categories: dict[str, CategoryInfo]) -> list[Line]:
    score = call["score"]
    marks, unplaced = _marks(score, {u["index"]: u["text"] for u in call["utterances"]})
    manager = score["manager"]["speaker"]
    return [
        Line(
            index=u["index"],
            speaker=u["speaker"],
            manager=u["speaker"] == manager,
            time=clock(u.get("start")),
            pieces=_pieces(u["text"], marks.get(u["index"], []), categories),
            unplaced=unplaced.get(u["index"], []),
        )
        for u in call["utterances"]
    ]


def _metrics(score: dict[str, Any], duration_s: float | None) -> list[tuple[str, str, int | None]]:
    """(value, label, utterance it points at) for the metric tiles."""
    m = score.get("metrics", {})
    share = m.get("manager_talk_share")
    per_minute = m.get("questions_per_minute")
    return [
        ("—" if share is None else f"{round(100 * share)} %", _("manager's share of talk"), None),
        (
            str(m.get("longest_monologue_words", "—")),
            _("words in the longest monologue"),
            m.get("longest_monologue_utterance"),
        ),
        (num(per_minute, 1), _("questions per minute"), None),
        (clock(duration_s or m.get("duration_s")) or "—", _("duration"), None),
    ]


def _fixes(score: dict[str, Any]) -> dict[int, dict[str, list[dict[str, Any]]]]:
    """What each utterance offers a reviewer: its questions (a form to move or strike each)
    and the machine's forbidden phrases (a form to strike each)."""
    fixes: dict[int, dict[str, list[dict[str, Any]]]] = {}
    for q in score.get("questions", []):
        span = q.get("span")
        if isinstance(span, list) and len(span) == 2:
            at = fixes.setdefault(q["utterance"], {"questions": [], "violations": []})
            at["questions"].append({**q, "span": f"{span[0]}-{span[1]}"})
    for v in score.get("violations", []):
        if not v.get("added"):
            at = fixes.setdefault(v["utterance"], {"questions": [], "violations": []})
            at["violations"].append(v)
    return fixes


def _worded_item(item: dict[str, Any]) -> dict[str, Any]:
    """An item as the page shows it: why it got its points and its evidence notes in the
    reader's language (the engine's codes worded by the catalogs)."""
    evidence = [{**e, "note": wording.evidence_note(e)} for e in item.get("evidence", [])]
    return {**item, "detail": wording.item_detail(item), "evidence": evidence}


def _forms(
    forms: ReviewForms | None, checklist: Checklist | None, score: dict[str, Any]
) -> dict[str, Any] | None:
    """The forms' values, or None: no review link, or a checklist not stored here (its rules
    could not recompute the score)."""
    if forms is None or checklist is None:
        return None
    return {
        "action": forms.action,
        "csrf": forms.csrf,
        "phrases": sorted({p.phrase: p.replacement for p in checklist.forbidden_phrases}.items()),
        "fixes": _fixes(score),
    }


def page_view(
    call: dict[str, Any], base_url: str = "", forms: ReviewForms | None = None
) -> dict[str, Any]:
    """Everything the template shows, as plain values (with the forms' when `forms`)."""
    score = call["score"]
    dismissed = score.get("dismissed", {}).get("questions", [])
    seen = {q["category"] for q in [*score.get("questions", []), *dismissed]}
    seen |= {q["machine_category"] for q in score.get("questions", []) if "machine_category" in q}
    checklist: Checklist | None = call["rules"]
    machine = call.get("machine_score", score)
    categories = categories_of(checklist, seen)
    counts = score.get("question_counts", {})
    started = call["started_at"]
    return {
        "call": call,
        "report_link": f"{base_url}/v1/managers/{quote(call['manager_id'], safe='')}/report"
        "?format=html",
        "checklist_title": checklist.title if checklist else call["checklist"]["key"],
        "started": f"{_day_time(started)} ({offset_label(started)})",
        "total": num(score["total"], 1),
        "grade": score["grade"],
        "grade_label": grade_label(score["grade"]),
        "machine_total": None if machine is score else num(machine["total"], 1),
        "corrections": call.get("corrections", []),
        "category_titles": {c.key: c.title for c in categories.values()},
        "item_titles": {i["key"]: i["title"] for i in score.get("items", [])},
        "dismissed_violations": score.get("dismissed", {}).get("violations", []),
        "categories": [(c, counts.get(c.key, 0)) for c in categories.values()],
        "items": [_worded_item(i) for i in score.get("items", [])],
        "violations": score.get("violations", []),
        "metrics": _metrics(score, call.get("duration_s")),
        "lines": _lines(call, categories),
        "texts_removed": call.get("texts_removed"),
        "num": num,
        "day_time": _day_time,
        "lang": i18n.current(),
        "forms": _forms(forms, checklist, score),
    }


def _day_time(moment: Any) -> str:
    """A correction's date and time as the reader's language writes them."""
    return f"{i18n.day(moment)} {moment:%H:%M}"


@lru_cache(maxsize=1)
def templates() -> Environment:
    """The package's templates (app/templates), escaping every value; `_()` in them words a
    text in the language of the request being answered."""
    env = Environment(
        loader=PackageLoader("app", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the extension
        lambda text: i18n.translations(i18n.current()).gettext(text),
        lambda one, many, n: i18n.translations(i18n.current()).ngettext(one, many, n),
        newstyle=True,
    )
    return env


def render_call_page(
    call: dict[str, Any], base_url: str = "", forms: ReviewForms | None = None
) -> str:
    """The whole HTML page of a call; `base_url` makes its links absolute; `forms` adds the
    reviewer's correction forms."""
    return templates().get_template("call_page.html").render(page_view(call, base_url, forms))
