"""Who is asking: the key of `Authorization: Bearer`, a share link, or local mode.

Keys are read from the database once per CALLQA_KEY_CACHE_S per worker, so a request costs a
SHA-256 and a dict look-up, and a key created or revoked by the CLI is seen within seconds.
The cache and the rate limit live in each worker's memory: with N workers a key may make up to
N times its rate (an approximation that needs no shared store), and a revocation is seen by
each worker within the cache time.

Local mode: while no key was ever made, a server listening on loopback answers loopback peers
that came through no proxy (no Forwarded / X-Forwarded-For) as the default organisation.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from app.i18n import _
from app.services import access
from app.services.access import ALL_SCOPES, KeyInfo
from app.services.errors import TooManyRequests, Unauthorized
from app.services.mode import is_loopback, loopback_bind
from app.settings import Settings
from app.tenancy import LOCAL, Tenant

if TYPE_CHECKING:
    from app.api.deps import Transactions

TxFactory = Callable[[], Awaitable["Transactions"]]
"""Makes the request's transaction runner, for the rare look-up the caches miss."""

log = logging.getLogger(__name__)
_MAX_CACHED = 10_000
_PROXIED = ("forwarded", "x-forwarded-for")


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request: whose data, which scopes, and (share links) which page."""

    tenant: Tenant
    scopes: frozenset[str]
    share_expires: int | None = None
    """When the share link this request came with expires (None: a key, or local mode)."""
    share: str | None = None
    """The share token this request came with (None: a key, or local mode)."""
    share_key: int | None = None
    """The key that made that share link (None: no link, or one made in local mode); links
    made from the page (a report's call links) name it too, so they die with it."""

    @property
    def reviews_by_link(self) -> bool:
        """Whether it came through a review share link (the call page offers its forms)."""
        return self.share is not None and "review" in self.scopes


LOCAL_CALLER = Caller(LOCAL, ALL_SCOPES)
PUBLIC_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Routes answered without a key (probes, which must not wait on a key look-up, and the
loopback-only metrics)."""


class _Bucket:
    """A token bucket: `rate` requests per second, bursts of up to `rate`."""

    __slots__ = ("stamp", "tokens")

    def __init__(self, rate: int, now: float) -> None:
        self.tokens = float(rate)
        self.stamp = now

    def take(self, rate: int, now: float) -> float:
        """0 if a request may pass now, else the seconds until one may."""
        self.tokens = min(float(rate), self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / rate


class Authenticator:
    """Authenticates requests for one app (one worker)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.ttl = settings.key_cache_s
        self.secret_key = (
            settings.secret_key.get_secret_value().encode() if settings.secret_key else None
        )
        self._keys: dict[bytes, tuple[float, KeyInfo | None]] = {}
        self._secrets: dict[str, tuple[float, bytes | None]] = {}
        self._live: dict[tuple[int, str], tuple[float, bool]] = {}
        self._any_key: tuple[float, bool] | None = None
        self._buckets: dict[int, _Bucket] = {}
        self.local_host = loopback_bind(settings)  # local mode: this and no key yet

    def clear(self) -> None:
        """Forget what was read from the database (tests, after they change keys)."""
        self._keys.clear()
        self._secrets.clear()
        self._live.clear()
        self._any_key = None
        self._buckets.clear()

    async def caller(self, request: Request, tx: TxFactory) -> Caller:
        """The caller of `request`; 401 when it may not be answered, 429 over the rate."""
        if self.settings.auth == "off" or request.url.path in PUBLIC_PATHS:
            return LOCAL_CALLER
        header = request.headers.get("authorization")
        if header is not None:
            return await self._key_caller(header, tx)
        share = request.query_params.get("share")
        if share is not None:
            return await self._share_caller(share, request, tx)
        if await self._local(request, tx):
            return LOCAL_CALLER
        raise Unauthorized(_("send an API key: Authorization: Bearer <key> (callqa keys create)"))

    async def _local(self, request: Request, tx: TxFactory) -> bool:
        if not self.local_host or any(h in request.headers for h in _PROXIED):
            return False
        if not is_loopback(request.client.host if request.client else None):
            return False
        now = time.monotonic()
        if self._any_key is None or now - self._any_key[0] >= self.ttl:
            self._any_key = (now, await (await tx()).run(access.any_key))
        return not self._any_key[1]

    async def _key_caller(self, header: str, tx: TxFactory) -> Caller:
        scheme, _sep, secret = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthorized(_("the Authorization header must be: Bearer <key>"))
        secret = secret.strip()
        if not access.well_formed(secret):
            raise Unauthorized(_("the key is malformed (a callqa key is cq_ and 43 characters)"))
        digest = access.digest(secret)
        now = time.monotonic()
        cached = self._keys.get(digest)
        if cached is None or now - cached[0] >= self.ttl:
            if len(self._keys) >= _MAX_CACHED:
                self._keys.clear()
            cached = (now, await (await tx()).run(access.lookup, digest))
            self._keys[digest] = cached
        key = cached[1]
        if key is None:
            raise Unauthorized(_("unknown key"))
        if key.revoked:
            raise Unauthorized(_("the key was revoked"))
        self._limit(key, now)
        return Caller(key.tenant(), key.scopes)

    def _limit(self, key: KeyInfo, now: float) -> None:
        rate = key.rate_limit or self.settings.rate_limit
        bucket = self._buckets.get(key.id)
        if bucket is None:
            bucket = self._buckets[key.id] = _Bucket(rate, now)
        wait = bucket.take(rate, now)
        if wait:
            raise TooManyRequests(
                _("more than %(rate)s requests per second with this key", rate=rate),
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )

    async def _share_caller(self, token: str, request: Request, tx: TxFactory) -> Caller:
        organisation = access.share_organisation(token)
        secret = self.secret_key or await self._stored_secret(organisation, tx)
        if secret is None:
            raise Unauthorized(_("the share link is not valid"))
        share = access.verify_share(secret, token, request.url.path)
        if share.key_id is not None and not await self._key_live(share.key_id, organisation, tx):
            raise Unauthorized(_("the share link is not valid"))  # its key was revoked
        scopes = frozenset({"read", "review"} if share.review else {"read"})
        return Caller(
            share.tenant, scopes, share_expires=share.expires, share=token, share_key=share.key_id
        )

    async def _key_live(self, key_id: int, organisation: str, tx: TxFactory) -> bool:
        """Whether a share link's key is still live, read once per CALLQA_KEY_CACHE_S."""
        now = time.monotonic()
        cached = self._live.get((key_id, organisation))
        if cached is None or now - cached[0] >= self.ttl:
            if len(self._live) >= _MAX_CACHED:
                self._live.clear()
            live = await (await tx()).run(access.key_live, key_id, organisation)
            cached = self._live[(key_id, organisation)] = (now, live)
        return cached[1]

    async def _stored_secret(self, organisation: str, tx: TxFactory) -> bytes | None:
        now = time.monotonic()
        cached = self._secrets.get(organisation)
        if cached is None or now - cached[0] >= self.ttl:
            if len(self._secrets) >= _MAX_CACHED:
                self._secrets.clear()
            cached = (now, await (await tx()).run(access.share_secret, organisation))
            self._secrets[organisation] = cached
        return cached[1]

    async def signing_secret(self, organisation: str, tx: Transactions) -> bytes:
        """The secret that signs this organisation's share links."""

        async def given() -> Transactions:
            return tx

        secret = self.secret_key or await self._stored_secret(organisation, given)
        if secret is None:  # the organisation of a live key always exists
            raise Unauthorized(_("unknown organisation"))
        return secret
