"""Local mode: callqa run by one person on their own machine — bound to loopback, and no API
key made yet. Authentication answers loopback peers without a key then, and defaults that are
safe only there (webhooks to private addresses) follow it; this module holds the one rule.
"""

from __future__ import annotations

from ipaddress import ip_address

from sqlalchemy.orm import Session

from app.db import access as db
from app.settings import Settings


def is_loopback(host: str | None) -> bool:
    """Whether `host` is a loopback address (names, such as a test client's, are not;
    `localhost` is)."""
    try:
        return ip_address((host or "").strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def loopback_bind(settings: Settings) -> bool:
    """Whether the server listens on loopback only: the half of local mode that settings
    decide. `callqa serve` sets both CALLQA_HOST and CALLQA_BIND_HOST to its --host; one
    that is not loopback is enough to leave local mode."""
    return is_loopback(settings.host) and is_loopback(settings.bind_host)


def local_mode(settings: Settings, session: Session) -> bool:
    """Whether callqa runs in local mode: a loopback bind while no key exists. (The API's
    authenticator applies the same two halves, caching the second per CALLQA_KEY_CACHE_S.)"""
    return loopback_bind(settings) and not db.any_key(session)


def private_targets_allowed(settings: Settings, session: Session) -> bool:
    """Whether webhooks may point at private, loopback and link-local addresses."""
    if settings.webhook_allow_private is not None:
        return settings.webhook_allow_private
    return local_mode(settings, session)
