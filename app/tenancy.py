"""Whose data a request or a job may see: one organisation and, within it, all teams or some.

Every layer reads it (the API makes one per request from the key, services pass it on, `app/db`
filters by it and sets it on the transaction for row-level security), so it lives beside the
settings rather than in one layer.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_ORGANISATION = "default"
"""The organisation of local mode (no key yet) and of `callqa keys create` without `--org`."""


@dataclass(frozen=True, slots=True)
class Tenant:
    """An organisation, optionally narrowed to some of its teams (None: every team)."""

    organisation_id: str = DEFAULT_ORGANISATION
    teams: frozenset[str] | None = None
    key_id: int | None = None
    """The API key that acts, for audit and logs; None in local mode and for the CLI."""
    mask: bool | None = None
    """Whether the organisation masks personal data (`callqa orgs set --mask`), as CALLQA_MASK
    does for all."""

    def sees_team(self, team_id: str | None) -> bool:
        """Whether a row of `team_id` is visible (a call without a team: unrestricted keys only)."""
        return self.teams is None or (team_id is not None and team_id in self.teams)


LOCAL = Tenant()
"""Local mode and the command line: the default organisation, every team."""
