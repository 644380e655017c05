"""Codes and parameters of the engine's error reasons (a bad transcript, an unknown speaker).

The engine stays free of gettext: an EngineError carries a `Reason` (a code and parameters);
its English wording below fills `reason`, which a notebook user reads, and is the catalogs'
message id, so the services, the API and the CLI word it in the reader's language
(app.services.wording.engine_reason). A parameter may itself be a Reason ("expected a list,
got a string"); other parameters are names, numbers and quoted input, never words.
"""

from __future__ import annotations

from typing import Any, NamedTuple

# code -> the English text with %(name)s parameters (the catalogs' message id)
ENGLISH: dict[str, str] = {
    # decoding bytes and parsing JSON
    "bom_invalid": (
        "the file starts with a %(encoding)s byte order mark but is not valid %(encoding)s "
        "(bad bytes at offset %(offset)s)"
    ),
    "binary_nul_bytes": (
        "the file is binary (NUL bytes at offset %(offset)s); send a text transcript, "
        "or save UTF-16 text with a byte order mark"
    ),
    "not_utf8_or_cp1251": (
        "the file is neither UTF-8 nor Russian cp1251 text (invalid UTF-8 at offset "
        "%(offset)s); it may be binary, or re-save it as UTF-8"
    ),
    "binary_nul_char": "the text is binary (NUL character at position %(position)s)",
    "binary_controls": (
        "the text is binary (%(controls)s control characters in its first %(length)s characters)"
    ),
    "json_invalid": (
        "the input looks like JSON but is invalid: %(error)s at line %(line)s, column %(column)s"
    ),
    "json_too_deep": "the JSON is nested too deeply to read",
    "json_unreadable": "the JSON could not be read: %(error)s",
    # choosing and running a reader
    "unknown_format": "unknown transcript format '%(format)s'; known formats: auto, %(known)s",
    "empty": "the transcript is empty",
    "empty_json": "the transcript is empty (an empty JSON value)",
    "empty_json_list": "the transcript is empty (an empty JSON list)",
    "wrong_input_type": "expected transcript text, bytes or parsed JSON, got %(type)s",
    "no_utterances": "no utterances found in %(format)s",
    "no_utterances_text": "no utterances found in plain text",
    "needs_text": "the %(format)s format needs text, but the input is JSON",
    "needs_json": "the %(format)s format needs JSON, but the input is not JSON",
    "in_format": "%(format)s JSON: %(reason)s",
    "nested_too_deeply": "%(format)s: the input is nested too deeply",
    "reader_failed": "%(format)s: could not read the input (%(error)s)",
    "cue_in_text": (
        "line %(line)s is a subtitle cue timing ('%(timing)s') but the input does not start "
        "like SRT or WebVTT; remove the text before the first cue, or send the subtitles on "
        "their own"
    ),
    "unknown_shape": "JSON of an unknown shape (a %(type)s); expected %(shapes)s",
    "unknown_shape_keys": (
        "JSON of an unknown shape (top-level keys: %(keys)s); expected %(shapes)s"
    ),
    "unknown_shape_no_keys": (
        "JSON of an unknown shape (top-level keys: none); expected %(shapes)s"
    ),
    # JSON readers
    "aws_needs": (
        "aws JSON needs 'results.audio_segments', 'results.items' or 'results.transcripts'"
    ),
    "yandex_needs": "yandex JSON needs 'response.chunks' (v2) or 'result' messages (v3)",
    "callqa_needs": (
        "callqa JSON needs an 'utterances' list (or a bare list of utterances); "
        "found keys: %(keys)s"
    ),
    "whisper_needs": "whisper JSON needs a 'segments' list",
    "deepgram_needs": "deepgram JSON needs 'results.utterances' or 'results.channels'",
    "assemblyai_needs": "assemblyai JSON needs 'utterances', 'words' or 'text'",
    "at_path": "%(where)s: %(what)s",
    "expected_got": "expected %(expected)s, got %(got)s",
    "expected_missing": "expected %(expected)s, it is missing or null",
    "kind_null": "null",
    "kind_boolean": "a boolean",
    "kind_number": "a number",
    "kind_string": "a string",
    "kind_list": "a list",
    "kind_object": "an object",
    "kind_time": "a time",
    "kind_seconds": "a number of seconds",
    "kind_speaker": "a string or an integer speaker",
    "missing": "missing",
    "none": "none",
    "time_out_of_range": "time out of range",
    "bad_time": "bad time '%(value)s'",
    "end_before_start": "end %(end)s is before start %(start)s",
    # subtitles
    "vtt_no_header": (
        "this is not WebVTT: it has no 'WEBVTT' header and does not start with a cue"
    ),
    "vtt_unreadable": "WebVTT could not be read: %(error)s",
    "vtt_timing_position": (
        "WebVTT cue %(cue)s: the timing line must be the first line of the cue or follow its id"
    ),
    "vtt_bad_timestamp": "WebVTT cue %(cue)s: bad timestamp '%(stamp)s'",
    "srt_timing_position": (
        "SRT block at line %(line)s: the timing line must follow the cue number"
    ),
    "srt_not_srt": (
        "this is not SRT: line %(line)s ('%(text)s') is neither a cue number nor a timing line"
    ),
    "srt_bad_timestamp": "SRT cue %(cue)s (line %(line)s): bad timestamp '%(stamp)s'",
    "srt_unreadable": "SRT cue %(cue)s (line %(line)s): %(error)s",
    # the manager
    "speaker_not_in_transcript": (
        "speaker '%(speaker)s' is not in the transcript; its speakers are: %(speakers)s"
    ),
    "no_speaker_labels": (
        "the transcript has no speaker labels, so the manager's speech cannot be told apart; "
        "send a diarized transcript or one with speaker prefixes, or score all speech as the "
        "manager's with manager_speaker '*' (CLI: --single-speaker)"
    ),
    # checklist documents
    "too_many_aliases": "more than %(limit)s YAML aliases",
    "alias_in_itself": "an alias refers to the node that contains it",
    "aliases_too_big": "aliases expand the document beyond %(limit)s nodes",
    "document_not_utf8": "not UTF-8 text",
    "document_too_deep": "nested too deeply",
    "invalid_yaml": "invalid YAML (%(error)s)",
    "top_not_mapping": "expected a mapping at the top level",
    "invalid_json_document": "invalid JSON (%(error)s)",
    "top_not_object": "expected an object at the top level",
    "base_has_no": "the base has no %(what)s '%(name)s'",
    "base_has_no_category": "the base has no category '%(name)s'",
    "reserved_category": "'%(key)s' is reserved for unclassified questions",
    "item_key_twice": "item key '%(key)s' is used twice",
    "unknown_category": "unknown category '%(category)s'",
    "unknown_base": "unknown base checklist '%(key)s'",
    "extends_not_key": "must be the key of a checklist",
    "drop_needs_extends": "needs `extends`: there is nothing to drop from",
    "no_phrase_list": "no phrase list '%(name)s' found",
    "no_language_data": "no language data for '%(language)s'",
    "no_shared_file": "no file '%(name)s' beside the checklist or in the package",
    "cannot_read_file": "%(path)s: cannot be read (%(error)s)",
    "unknown_checklist": "unknown checklist '%(key)s'; known: %(known)s",
    "inverted_grades": "inverted grade bands: green (%(green)s) is below yellow (%(yellow)s)",
    "time_regex_invalid": "time_regex does not compile: %(error)s",
    "empty_pattern": "empty pattern: '%(pattern)s'",
}


class Reason(NamedTuple):
    """Why the engine refused an input, as a code and its parameters."""

    code: str
    params: dict[str, Any]

    def english(self) -> str:
        """The default English wording (nested reasons worded too)."""
        return self.worded(lambda code: ENGLISH[code])

    def worded(self, text_of: Any) -> str:
        """The wording by `text_of(code)` -> a %(name)s template, nested reasons alike."""
        template: str = text_of(self.code)
        params = {
            k: v.worded(text_of) if isinstance(v, Reason) else v for k, v in self.params.items()
        }
        return template % params if params else template


class InvalidValue(ValueError):
    """A validator's ValueError with its reason, so a checklist problem keeps the code."""

    def __init__(self, why: Reason) -> None:
        super().__init__(why.english())
        self.why = why


def reason(code: str, **params: Any) -> Reason:
    """A reason of a known code."""
    assert code in ENGLISH, code
    return Reason(code, params)
