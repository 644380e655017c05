"""Pydantic's validation messages in the request's language.

Pydantic words its errors in English (`Field required`, `Input should be …`); a reason is
worded here from the error's `type` and `ctx` through the catalogs instead. The table holds the
types callqa's schemas can produce; an unknown type keeps pydantic's English message.
"""

from __future__ import annotations

from typing import Any

from app.i18n import N_, NP_, _, ngettext, number

# Pydantic's message templates, `{name}` turned into `%(name)s` (its ctx keys).
_WORDS: dict[str, str] = {
    "missing": N_("required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "string_type": N_("Input should be a valid string"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer, unable to parse string as an integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number, unable to parse string as a number"),
    "finite_number": N_("Input should be a finite number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean, unable to interpret input"),
    "greater_than": N_("Input should be greater than %(gt)s"),
    "greater_than_equal": N_("Input should be greater than or equal to %(ge)s"),
    "less_than": N_("Input should be less than %(lt)s"),
    "less_than_equal": N_("Input should be less than or equal to %(le)s"),
    "literal_error": N_("Input should be %(expected)s"),
    "enum": N_("Input should be %(expected)s"),
    "dict_type": N_("Input should be a valid dictionary"),
    "model_type": N_("Input should be a valid dictionary or instance of %(class_name)s"),
    "model_attributes_type": N_(
        "Input should be a valid dictionary or object to extract fields from"
    ),
    "list_type": N_("Input should be a valid list"),
    "date_type": N_("Input should be a valid date"),
    "date_parsing": N_("Input should be a valid date in the format YYYY-MM-DD, %(error)s"),
    "date_from_datetime_parsing": N_("Input should be a valid date or datetime, %(error)s"),
    "date_from_datetime_inexact": N_("Datetimes provided to dates should have zero time"),
    "datetime_type": N_("Input should be a valid datetime"),
    "datetime_parsing": N_("Input should be a valid datetime, %(error)s"),
    "datetime_from_date_parsing": N_("Input should be a valid datetime or date, %(error)s"),
    "timezone_aware": N_("Input should have timezone info"),
    "time_delta_type": N_("Input should be a valid timedelta"),
    "time_delta_parsing": N_("Input should be a valid timedelta, %(error)s"),
    "string_pattern_mismatch": N_("String should match pattern '%(pattern)s'"),
    "url_type": N_("URL input should be a string or URL"),
    "url_parsing": N_("Input should be a valid URL, %(error)s"),
    "url_scheme": N_("URL scheme should be %(expected_schemes)s"),
    "url_too_long": N_("URL should have at most %(max_length)s characters"),
}

# Counted messages: (singular, plural) and the ctx key holding the count.
_COUNTED: dict[str, tuple[tuple[str, str], str]] = {
    "string_too_short": (
        NP_(
            "String should have at least %(n)s character",
            "String should have at least %(n)s characters",
        ),
        "min_length",
    ),
    "string_too_long": (
        NP_(
            "String should have at most %(n)s character",
            "String should have at most %(n)s characters",
        ),
        "max_length",
    ),
    "too_short": (
        NP_("List should have at least %(n)s item", "List should have at least %(n)s items"),
        "min_length",
    ),
    "too_long": (
        NP_("List should have at most %(n)s item", "List should have at most %(n)s items"),
        "max_length",
    ),
}


def _shown(value: Any) -> Any:
    """A ctx value as the language writes it (numbers with its separators)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return number(value)
    return value


def reason(err: dict[str, Any]) -> str:
    """Why one pydantic error refused a value, in the current language."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind == "value_error":  # callqa's own validators word their ValueError already
        return str(ctx.get("error", err.get("msg", ""))).removeprefix("Value error, ")
    if kind in _COUNTED:
        (singular, plural), key = _COUNTED[kind]
        if isinstance(ctx.get(key), int):
            return ngettext(singular, plural, ctx[key])
    msgid = _WORDS.get(kind)
    if msgid is None:
        return str(err.get("msg", kind)).removeprefix("Value error, ")
    try:
        return _(msgid, **{k: _shown(v) for k, v in ctx.items()}) if ctx else _(msgid)
    except (KeyError, TypeError, ValueError):  # a ctx pydantic words differently
        return str(err.get("msg", kind))
