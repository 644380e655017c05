"""Whether personal data is masked in what is stored of a call (issue 12, "masking at ingest").

One function decides it, so the per-organisation setting can replace the global one in one
place; the masking itself is the engine's (`app.engine.masking`).
"""

from __future__ import annotations

from app.settings import get_settings
from app.tenancy import LOCAL, Tenant


def masking_for(tenant: Tenant = LOCAL) -> bool:
    """Whether calls of the tenant's organisation are stored masked: `CALLQA_MASK` for all, or
    the organisation's own `callqa orgs set --mask` (carried by its keys)."""
    return get_settings().mask or bool(tenant.mask)
