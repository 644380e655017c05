"""Whether personal data is masked in what is stored of a call (issue 12, "masking at ingest").

One function decides it, so the per-organisation setting can replace the global one in one
place; the masking itself is the engine's (`app.engine.masking`).
"""

from __future__ import annotations

from app.settings import get_settings
from app.tenancy import DEFAULT_ORGANISATION


def masking_for(organisation_id: str = DEFAULT_ORGANISATION) -> bool:
    """Whether calls of the organisation are stored masked: `CALLQA_MASK` for now, for every
    organisation alike."""
    del organisation_id  # per organisation once organisations have settings
    return get_settings().mask
