"""The engine's codes worded for people in the current language: item details, the manager's
reason, grades. The engine says what it found as codes and parameters (app.engine.messages);
the words are here and in the catalogs. Scores stored before the codes existed keep their
English wording.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from app.engine.errors import ChecklistError, EngineError, Problem
from app.engine.reasons import ENGLISH as REASONS
from app.i18n import N_, NP_, _, ngettext, number
from app.services import validation_words

# code -> msgid, or (singular, plural, the parameter that counts)
_TEXTS: dict[str, str | tuple[str, str, str]] = {
    "questions_asked": N_("%(asked)s of %(target)s questions"),
    "forbidden_said": (*NP_("%(n)s forbidden phrase", "%(n)s forbidden phrases"), "count"),
    "forbidden_none": N_("none said"),
    "monologue": (
        *NP_(
            "longest monologue %(n)s word (max %(max_words)s)",
            "longest monologue %(n)s words (max %(max_words)s)",
        ),
        "words",
    ),
    "talk_share": N_("manager talk share %(share)s %% (max %(max_share)s %%)"),
    "price_named": N_("an exact price was named"),
    "price_not_named": N_("no exact price named"),
    "phrase_said": N_("said"),
    "phrase_not_said": N_("not said"),
    "greeting_done": N_("introduced self and company"),
    "greeting_missing": N_("missing: %(missing)s"),
    "booked": N_("booked with a day or time"),
    "not_booked": N_("no viewing or meeting booked with a day or time"),
    "all_speakers": N_("all speech is taken as the manager's"),
    "given": N_("given by the caller"),
    "only_speaker": N_("the only speaker in the transcript"),
    "manager_role": N_("the speaker label «%(label)s» is a manager role"),
    "client_labelled": N_("the other speaker is labelled «%(label)s»"),
    "introduces_self": N_("introduces self"),
    "names_company": N_("names the company"),
    "offers_help": N_("offers help"),
    "asks_questions": N_("asks %(asked)s of %(total)s questions"),
    "speaks_first": N_("speaks first"),
    "first_speaker": N_("no cue; the first speaker is taken"),
}
_WARNINGS = {
    "single_speaker": N_(
        "all speech is scored as the manager's: the client's questions and phrases count "
        "too, and talk balance means nothing"
    ),
    "single_speaker_label": N_(
        "«%(speaker)s» is the only speaker: the transcript may hold both sides of the call "
        "under one label"
    ),
    "manager_inferred_weakly": N_(
        "the manager «%(speaker)s» was inferred without a greeting, company or offer of help "
        "(%(reason)s); pass manager_speaker if it is wrong"
    ),
    "language_mismatch": N_(
        "the transcript is not in the checklist's language (%(language)s): only %(share)s %% "
        "of its letters are of it, so the low score says nothing of the manager"
    ),
}
_PARTS = {"name": N_("name"), "company": N_("company")}
_GRADES = {"green": N_("green"), "yellow": N_("yellow"), "red": N_("red")}


def _param(key: str, value: Any) -> Any:
    if key in ("share", "max_share"):
        return number(value * 100, 0)
    if key == "missing":
        return ", ".join(_(_PARTS.get(p, p)) for p in value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return value


def message(part: dict[str, Any]) -> str:
    """One {code, params} of the engine, worded; an unknown code is shown as itself."""
    text, params = _TEXTS.get(part["code"]), part.get("params", {})
    shown = {k: _param(k, v) for k, v in params.items()}
    if text is None:
        return str(part["code"])
    if isinstance(text, tuple):
        singular, plural, counted = text
        return ngettext(singular, plural, int(params[counted]), **shown)
    return _(text, **shown)


def messages(parts: Sequence[dict[str, Any]] | None, fallback: str) -> str:
    """Messages said together, worded; the stored English when a score has no codes."""
    return "; ".join(message(p) for p in parts) if parts else fallback


def item_detail(item: dict[str, Any]) -> str:
    """Why an item of a score got its points, in the current language."""
    return messages(item.get("detail_parts"), item.get("detail", ""))


def evidence_note(evidence: dict[str, Any]) -> str | None:
    """An evidence entry's note in the current language: the engine writes what a greeting's
    words were found for as a part code before them ("name: меня зовут"), worded here like the
    parts `greeting_missing` names; any other note has no words of ours (a phrase and its
    replacement from the checklist) and is shown as stored."""
    note = evidence.get("note")
    if not note:
        return note
    part, found, said = str(note).partition(": ")
    if found and part in _PARTS:
        return _("%(part)s: %(said)s", part=_(_PARTS[part]), said=said)
    return str(note)


def manager_reason(manager: dict[str, Any]) -> str:
    """Why this speaker is taken for the manager, in the current language."""
    return messages(manager.get("reason_parts"), manager.get("reason", ""))


def engine_reason(exc: EngineError | Problem) -> str:
    """Why the engine refused an input (a transcript, a checklist), in the current language;
    the English text of an error raised without a code (pydantic's schema messages)."""
    if exc.why is not None:
        return exc.why.worded(lambda code: _(REASONS[code]))
    if isinstance(exc, Problem) and exc.schema is not None:
        schema = exc.schema
        return validation_words.reason(
            {"type": schema.type, "ctx": schema.ctx, "msg": schema.message}
        )
    if isinstance(exc, ChecklistError) and exc.problems:
        return "; ".join(checklist_problem(p) for p in exc.problems)
    return exc.reason


def checklist_problem(problem: Problem) -> str:
    """One mistake of a checklist with its line and place ("line 3: items.0.key: ...")."""
    place = _("line %(line)s", line=problem.line) + ": " if problem.line is not None else ""
    if problem.where:
        place += ".".join(str(p) for p in problem.where) + ": "
    return place + engine_reason(problem)


def grade(code: str) -> str:
    """A grade's name (green, yellow, red) in the current language."""
    return _(_GRADES[code]) if code in _GRADES else code


def warning(caveat: dict[str, Any]) -> str:
    """Why a score may mislead, in the current language (the stored English without params)."""
    params = caveat.get("params")
    code = caveat["code"]
    if not params or code not in _WARNINGS:
        return str(caveat.get("message", code))
    if code == "single_speaker" and "speaker" in params:
        code = "single_speaker_label"
    shown = {
        "speaker": params.get("speaker"),
        "reason": messages(params.get("reason"), ""),
        "language": params.get("language"),
        "share": number(params.get("share", 0) * 100, 0),
    }
    return _(_WARNINGS[code], **shown)
