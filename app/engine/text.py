"""Tokenising and lemmatising speech.

Matching works on lemmas so that "говорил", "говорила" and "говорить" are one word. Lemmas
come from pymorphy3 and are kept per word form: a call repeats a few hundred distinct forms,
so after warm-up a word costs one dict lookup. Tokens are kept as parallel lists of forms and
lemmas, not objects: scoring a 1,500-word call must take about a millisecond.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from itertools import compress
from typing import Any, TypeVar

# A word: letters (with inner hyphens, as in "какой-то") or a run of digits.
_TOKEN = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+")
# The same, plus runs of sentence-ending punctuation, which split sentences.
_TOKEN_OR_STOP = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*|\d+|[.!?…]+")
_STOPS = frozenset(".!?…")
_CLAUSE_MARKS = frozenset(",;:")
_CACHE_LIMIT = 300_000  # distinct forms kept; names and typos keep arriving in a service

_lemmas: dict[str, str] = {}
_known: dict[str, bool] = {}


def fold(text: str) -> str:
    """Lowercase and fold ё into е, the way speech-to-text output varies."""
    return text.lower().replace("ё", "е")


@lru_cache(maxsize=1)
def _morph() -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


def has_digit(text: str) -> bool:
    """Whether the text holds an ASCII digit (speech-to-text writes amounts and times in them):
    ten substring searches in C (spelled out: a generator costs more than they do), several
    times faster than a regex scan of a long turn."""
    t = text  # short, so the ten tests fit two lines
    return (
        "0" in t or "1" in t or "2" in t or "3" in t or "4" in t
        or "5" in t or "6" in t or "7" in t or "8" in t or "9" in t
    )  # fmt: skip


def ends_sentence(text: str) -> bool:
    """Whether the text holds a sentence end (".", "!", "?", "…"); str searches beat a regex."""
    return "." in text or "?" in text or "!" in text or "…" in text


def _is_russian(form: str) -> bool:
    return not form.isdigit() and "а" <= form[0] <= "я"


T = TypeVar("T")


def _remember(cache: dict[str, T], form: str, compute: Callable[[str], T]) -> T:
    """`compute(form)` once per form; the cache is emptied when it grows past the limit."""
    got = cache.get(form)
    if got is None:
        got = compute(form)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[form] = got
    return got


def lemma(form: str) -> str:
    """The normal form of a folded word; digits and non-Cyrillic words stay as they are."""
    return _remember(_lemmas, form, _lemma_of)


def _lemma_of(form: str) -> str:
    return fold(_morph().parse(form)[0].normal_form) if _is_russian(form) else form


def inflections(word: str) -> frozenset[str]:
    """The folded word and every form of its best parse ("сорок": "сорока"), for word lists
    looked up by form rather than lemmatised word by word."""
    folded = fold(word)
    if not _is_russian(folded):
        return frozenset((folded,))
    return frozenset((folded, *(fold(f.word) for f in _morph().parse(folded)[0].lexeme)))


def is_known(form: str) -> bool:
    """Whether the dictionary knows the form; unknown forms are where ASR errors hide."""
    return _remember(
        _known, form, lambda f: bool(_morph().word_is_known(f)) if _is_russian(f) else True
    )


# Forms judged for `Tokens.unknown`, as two sets, so that a whole turn is checked in C.
_suspects: set[str] = set()
_clean: set[str] = set()


def _is_suspect(form: str) -> bool:
    """Whether a form could hide an ASR merge or typo: long, not hyphenated, unknown."""
    if form in _clean:
        return False
    if form in _suspects:
        return True
    suspect = len(form) > 3 and "-" not in form and not is_known(form)
    if len(_clean) + len(_suspects) >= _CACHE_LIMIT:
        _clean.clear()
        _suspects.clear()
    (_suspects if suspect else _clean).add(form)
    return suspect


_persons: dict[str, str] = {}


def person(form: str) -> str:
    """ "1per", "2per" or "3per" for a personal verb form ("пришлю", "смотрите"), else "".

    Only the dictionary's best parse counts: "смотрите" is taken as the indicative."""
    return _remember(_persons, form, _person_of)


def persons_of(forms: list[str]) -> set[str]:
    """The set of `person` of the forms; after warm-up one dict lookup a form, in C."""
    got: set[Any] = set(map(_persons.get, forms))
    if None in got:  # forms not seen since start-up
        return set(map(person, forms))
    return got


def _person_of(form: str) -> str:
    if not _is_russian(form):
        return ""
    tag = _morph().parse(form)[0].tag
    return str(tag.person or "") if "VERB" in tag else ""


_nouns: dict[str, bool] = {}


def is_noun(form: str) -> bool:
    """Whether the dictionary's best parse of the form is a noun ("улице", "кирова")."""
    return _remember(_nouns, form, lambda f: _is_russian(f) and "NOUN" in _morph().parse(f)[0].tag)


_verbs: dict[str, bool] = {}


def is_verb(form: str) -> bool:
    """Whether the dictionary's best parse of the form is a finite verb, past tense too
    ("брали", "открывали")."""
    return _remember(_verbs, form, lambda f: _is_russian(f) and "VERB" in _morph().parse(f)[0].tag)


_names: dict[str, bool] = {}


def is_given_name(form: str) -> bool:
    """Whether the dictionary takes the form for a person's first name ("ольга", "игорь")."""
    return _remember(_names, form, lambda f: _is_russian(f) and "Name" in _morph().parse(f)[0].tag)


def may_be_given_name(form: str) -> bool:
    """Whether any parse of the form is a first name ("роман" is first a novel)."""
    return _remember(
        _maybe_names,
        form,
        lambda f: _is_russian(f) and any("Name" in p.tag for p in _morph().parse(f)),
    )


_maybe_names: dict[str, bool] = {}


def first_form(text: str) -> str | None:
    """The first word of `text` as `tokenize` gives it, without splitting the rest: a reply's
    first word ("да", "нет") is often all that is asked of a client's turn."""
    m = _TOKEN.search(fold(text))
    return m.group() if m else None


class Tokens:
    """The words of one text: folded forms and lemmas, with offsets computed on demand."""

    __slots__ = ("_spans", "folded", "forms", "lemmas", "spoken", "stops", "text")

    def __init__(
        self,
        text: str,
        folded: str,
        forms: list[str],
        lemmas: list[str],
        stops: list[tuple[int, str]],
        spoken: int,
    ) -> None:
        self.text = text
        self.folded = folded  # fold(text), kept for the offsets
        self.forms = forms
        self.lemmas = lemmas
        # Sentence ends: (number of words before the mark, the mark), e.g. (4, "?").
        self.stops = stops
        # Words as a listener counts them (whitespace-separated): "кухня-гостиная, 18" is 2.
        self.spoken = spoken
        self._spans: list[tuple[int, int]] | None = None

    def __len__(self) -> int:
        return len(self.forms)

    def spans(self) -> list[tuple[int, int]]:
        """Character offsets of each word in `text` (for evidence, so computed lazily)."""
        if self._spans is None:
            folded = self.folded
            if len(folded) != len(self.text):  # lowercasing changed lengths ("İ"): rescan
                self._spans = [m.span() for m in _TOKEN.finditer(folded)]
            elif not self.stops and folded == " ".join(self.forms):  # speech-to-text: words, spaces
                self._spans = _spaced_spans(self.forms)
            else:  # every form is the next occurrence of itself in the folded text
                spans, at, find = [], 0, folded.find
                for form in self.forms:
                    at = find(form, at)
                    end = at + len(form)
                    spans.append((at, end))
                    at = end
                self._spans = spans
        return self._spans

    def opens_with(self, words: frozenset[str]) -> bool:
        """Whether the first word is one of `words` ("да, конечно" opens with "да")."""
        return bool(self.forms) and self.forms[0] in words

    def in_question(self, i: int) -> bool:
        """Whether word `i` stands in a sentence that ends with a question mark."""
        return next(("?" in mark for end, mark in self.stops if end > i), False)

    def unknown(self) -> list[int]:
        """Positions of words the dictionary does not know: where ASR merges and typos hide.

        Short words and hyphenated compounds ("кухня-гостиная") are left out.
        """
        forms = self.forms
        if _clean.issuperset(forms):
            return []  # the usual case: every form judged before, and known
        # Each distinct form not known to be clean is judged once, then found in C.
        suspects = {f for f in set(forms).difference(_clean) if _is_suspect(f)}
        if not suspects:
            return []
        return list(compress(range(len(forms)), map(suspects.__contains__, forms)))

    def words(self, first: int, last: int) -> str:
        """The words as spoken from word `first` to word `last`, inclusive."""
        spans = self.spans()
        return self.text[spans[first][0] : spans[last][1]]


def _spaced_spans(forms: list[str]) -> list[tuple[int, int]]:
    """Offsets of words joined by single spaces: counted, not searched for."""
    spans, at = [], 0
    for form in forms:
        end = at + len(form)
        spans.append((at, end))
        at = end + 1
    return spans


def tokenize(text: str) -> Tokens:
    """Split text into words with their lemmas, noting where sentences end."""
    forms: list[str] = []
    stops: list[tuple[int, str]] = []
    add = forms.append
    folded = fold(text)
    raws = folded.split()
    for raw in raws:
        # Most words are bare or carry one mark ("да," "прогулок."): no regex needed.
        if raw.isalpha():
            add(raw)
            continue
        head, mark = raw[:-1], raw[-1]
        if head.isalpha() and (mark in _STOPS or mark in _CLAUSE_MARKS):
            add(head)
            if mark in _STOPS:
                stops.append((len(forms), mark))
            continue
        for piece in _TOKEN_OR_STOP.findall(raw):
            if piece[0] in _STOPS:
                stops.append((len(forms), piece))
            else:
                add(piece)
    cached: list[Any] = list(map(_lemmas.get, forms))  # no `cast`: a call a turn
    # A lemma is never empty, so `all` (a truth test a word, in C) finds a form not seen
    # since start-up, cheaper than `None in` (an equality test a word).
    if not all(cached):
        lemmas = [c or lemma(f) for c, f in zip(cached, forms, strict=True)]
        return Tokens(text, folded, forms, lemmas, stops, len(raws))
    return Tokens(text, folded, forms, cached, stops, len(raws))
