"""The pure scoring engine: `from app.engine import score` works with no database.

>>> from app.engine import score
>>> result = score("Менеджер: Добрый день! Какой район вы рассматриваете?\\nКлиент: Центр.")
>>> result.question_counts["expertise"]
1
"""

from app.engine.checklist import Checklist, get_checklist, list_checklists, load_checklist
from app.engine.errors import ChecklistError, EngineError, NoManagerError, TranscriptError
from app.engine.model import Transcript, Utterance
from app.engine.readers import FORMATS, read_transcript
from app.engine.result import ScoreResult
from app.engine.scoring import score
from app.engine.speakers import ALL_SPEAKERS

__all__ = [
    "ALL_SPEAKERS",
    "FORMATS",
    "Checklist",
    "ChecklistError",
    "EngineError",
    "NoManagerError",
    "ScoreResult",
    "Transcript",
    "TranscriptError",
    "Utterance",
    "get_checklist",
    "list_checklists",
    "load_checklist",
    "read_transcript",
    "score",
]
