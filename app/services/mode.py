"""Local mode: callqa run by one person on their own machine (no API key yet, bound to
loopback). Defaults that are safe only there (webhooks to private addresses) follow it; this
is the one function that decides it.
"""

from __future__ import annotations

from ipaddress import ip_address

from app.settings import Settings


def local_mode(settings: Settings) -> bool:
    """Whether callqa runs in local mode. Until API keys exist, that is a loopback bind;
    authentication adds "and no key exists yet" here."""
    if settings.bind_host == "localhost":
        return True
    try:
        return ip_address(settings.bind_host).is_loopback
    except ValueError:
        return False


def private_targets_allowed(settings: Settings) -> bool:
    """Whether webhooks may point at private, loopback and link-local addresses."""
    if settings.webhook_allow_private is not None:
        return settings.webhook_allow_private
    return local_mode(settings)
