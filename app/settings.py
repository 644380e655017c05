"""Typed settings from CALLQA_* environment variables.

One `BaseSettings`, read once through `get_settings()`; nothing happens at import time, so the
CLI and tests can set the environment (or pass a `Settings`) before anything connects.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy import make_url

_DRIVER = "postgresql+psycopg"
_PLAIN_SCHEMES = ("postgres://", "postgresql://")


def normalise_database_url(url: str) -> str:
    """Point plain `postgres://` and `postgresql://` URLs at the psycopg 3 driver."""
    for scheme in _PLAIN_SCHEMES:
        if url.startswith(scheme):
            return f"{_DRIVER}://{url[len(scheme) :]}"
    return url


# Keys of the zone database that name this machine's setting, not a zone: PostgreSQL and
# Python may disagree on them, and a report must mean the same everywhere.
_MACHINE_ZONES = frozenset(("localtime", "posixrules", "Factory"))


def iana_zone(name: str) -> ZoneInfo | None:
    """The IANA zone called `name`, or None when there is no such zone."""
    if name in _MACHINE_ZONES:
        return None
    try:
        return ZoneInfo(name)
    # Odd keys ("../etc", "/", very long ones) raise OSError or ValueError, not NotFound.
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


class Settings(BaseSettings):
    """Every knob of the service and the CLI."""

    model_config = SettingsConfigDict(env_prefix="CALLQA_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; unset means the embedded server in data_dir.",
    )
    migration_database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL of the tables' owner, for migrations, where database_url "
        "logs in as a role that is not the owner; unset means database_url.",
    )
    db_role: str | None = Field(
        default="callqa_app",
        description="The role requests and jobs act as (SET ROLE), so row-level security "
        "holds for them; empty when database_url already logs in as such a role.",
    )
    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="Transcripts and evidence texts older than this are removed (numbers and "
        "roll-ups stay); unset keeps them.",
    )
    database_password: SecretStr | None = Field(
        default=None,
        description="The password for database_url, when it is kept out of the URL.",
    )
    database_password_file: Path | None = Field(
        default=None,
        description="A file holding that password (a Docker or Kubernetes secret); its "
        "trailing newline is not part of it.",
    )
    data_dir: Path = Field(
        default_factory=lambda: Path(platformdirs.user_data_dir("callqa")),
        description="Where the embedded PostgreSQL keeps its data.",
    )
    max_body_mb: float = Field(default=10, gt=0, description="Largest request body, in MB.")
    body_timeout_s: float = Field(
        default=10,
        gt=0,
        le=3600,
        description="Seconds a client has to send a whole request, headers and body, from its "
        "first byte; later it gets 408 and the connection is closed.",
    )
    timezone: str = Field(default="UTC", description="IANA zone for naive times and buckets.")
    locale: Literal["ru", "en"] = Field(
        default="ru",
        description="Language of the words people read (CLI, reports, error details); a "
        "request's Accept-Language overrides it.",
    )
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    worker_threads: int = Field(
        default=2,
        ge=1,
        le=200,
        description="Requests handled at once per worker; scoring is CPU-bound, so more "
        "threads only add memory and lock contention (4 instead of 2: single-call ingest p95 "
        "~49 instead of ~41 ms at 150 calls/s on 2 cores, bench/ingest.py).",
    )

    db_pool_timeout_s: float = Field(
        default=5,
        gt=0,
        le=120,
        description="How long a request waits for a pooled connection before a 503.",
    )
    db_lock_timeout_ms: int = Field(
        default=3000,
        ge=1,
        description="How long a request's statement waits for a row lock before a 503 "
        "(a batch item: status 503 inside the 207).",
    )
    db_statement_timeout_ms: int = Field(
        default=15000, ge=1, description="Longest statement of a request before a 503."
    )
    db_idle_in_transaction_timeout_ms: int = Field(
        default=15000,
        ge=1,
        description="A transaction left idle this long is ended by PostgreSQL, freeing its locks.",
    )
    liveness_stall_s: float = Field(
        default=30,
        gt=0,
        description="/healthz fails when the worker made no progress for this long.",
    )
    max_buckets: int = Field(
        default=1000,
        ge=1,
        description="Most buckets (days, weeks, months) one trend, report or leaderboard covers.",
    )
    job_stalled_s: float = Field(
        default=30,
        gt=0,
        description="A job part whose worker sent no heartbeat this long is run again.",
    )
    job_retry_first_s: float = Field(
        default=2,
        gt=0,
        description="Wait before a rescoring part that met a transient database error (a lock "
        "or statement timeout, a deadlock, a lost connection) is first retried; each next wait "
        "doubles.",
    )
    job_retry_for_s: float = Field(
        default=300,
        ge=0,
        description="How long such a part is retried (waits summed) before its job is failed; "
        "0: never retried.",
    )
    max_words: int = Field(
        default=60_000, ge=1, description="Longest transcript accepted, in words (else 413)."
    )
    public_url: AnyHttpUrl | None = Field(
        default=None,
        description="Where users reach the service (https://callqa.example.com); pages link "
        "absolutely from it, so a saved report still opens its calls. Unset: relative links.",
    )

    metrics_allow: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(
        default_factory=list,
        description="Addresses or CIDRs, comma-separated, that may read /metrics besides "
        "loopback (e.g. the Prometheus server: 10.0.0.5,10.1.0.0/16).",
    )
    log_requests: bool = Field(default=True, description="One log line per request.")
    mask: bool = Field(
        default=False,
        description="Mask phone numbers, e-mails, card and passport numbers in the stored "
        "transcript and evidence of new calls (they are scored unmasked first).",
    )
    bind_host: str = Field(
        default="127.0.0.1",
        description="The interface `callqa serve` listens on (it sets this for its workers); "
        "a loopback bind is part of local mode.",
    )
    webhook_allow_private: bool | None = Field(
        default=None,
        description="Allow webhooks to private, loopback and link-local addresses. Unset: "
        "allowed in local mode only (no API key yet, loopback bind), refused otherwise.",
    )
    webhook_retry_first_s: float = Field(
        default=30,
        gt=0,
        description="Wait before a failed webhook delivery's first retry; each next wait doubles.",
    )
    webhook_retry_for_s: float = Field(
        default=86_400,
        ge=0,
        description="How long a webhook delivery is retried (waits summed) before it is failed.",
    )
    webhook_timeout_s: float = Field(
        default=10, gt=0, le=120, description="How long a webhook receiver has to answer."
    )
    job_worker_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How much lower than the API's a job worker's CPU priority is (nice): "
        "rescoring and webhook deliveries yield the cores to requests on a busy machine.",
    )
    job_workers: int | None = Field(
        default=None,
        ge=0,
        le=64,
        description="`callqa worker` processes `callqa serve` starts beside the API (0: run "
        "them elsewhere); unset, one per core. Scoring is CPU work and one process uses one "
        "core, so rescoring uses all cores only with a worker on each (they are niced: requests "
        "come first).",
    )
    webhook_concurrency: int = Field(
        default=4, ge=1, le=64, description="Webhook deliveries a job worker sends at once."
    )

    auth: Literal["on", "off"] = Field(
        default="on",
        description="`off` answers every request without a key, as the default organisation "
        "(logged at start); for a trusted network only.",
    )
    host: str = Field(
        default="127.0.0.1",
        description="The address the server listens on (`callqa serve --host` sets it); local "
        "mode (no key yet, no auth) needs a loopback one.",
    )
    key_cache_s: float = Field(
        default=2,
        ge=0,
        le=300,
        description="Seconds a worker trusts what it read about a key; a key created or revoked "
        "by the CLI is seen within that time.",
    )
    rate_limit: int = Field(
        default=200,
        ge=1,
        description="Requests per second per key, unless its organisation sets its own "
        "(kept per worker: with N workers a key may get up to N times as many).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs share links, the same on every replica; unset: each organisation's "
        "secret stored in the database.",
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Origins, comma-separated, whose browser pages may call the API (CORS); "
        "empty: none.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("metrics_allow", mode="before")
    @classmethod
    def _split_networks(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            return [ip_network(v, strict=False) if isinstance(v, str) else v for v in value]
        return value

    @field_validator("database_url", "migration_database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = normalise_database_url(value.strip())
        if not url.startswith("postgresql"):
            raise ValueError("CALLQA_DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
        return url

    @model_validator(mode="after")
    def _password_into_url(self) -> Settings:
        password = self.database_password.get_secret_value() if self.database_password else None
        if self.database_password_file is not None:
            try:
                password = self.database_password_file.read_text().rstrip("\r\n")
            except OSError as exc:
                raise ValueError(f"CALLQA_DATABASE_PASSWORD_FILE: {exc.strerror}") from None
        if password is not None:
            if self.database_url is None:
                raise ValueError("a database password needs CALLQA_DATABASE_URL")
            url = make_url(self.database_url).set(password=password)
            self.database_url = url.render_as_string(hide_password=False)
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if iana_zone(value) is None:
            raise ValueError(f"unknown time zone {value!r}")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    def webhook_retry_waits(self) -> list[float]:
        """The waits before each retry of a failed delivery: doubling from the first, for as
        long as their sum stays within webhook_retry_for_s."""
        return _doubling(self.webhook_retry_first_s, self.webhook_retry_for_s)

    def job_retry_waits(self) -> list[float]:
        """The waits before each retry of a rescoring part that met a transient database
        error: doubling from the first, for as long as their sum stays within job_retry_for_s."""
        return _doubling(self.job_retry_first_s, self.job_retry_for_s)

    @property
    def max_body_bytes(self) -> int:
        """The body limit in bytes (MB = 2**20 bytes)."""
        return int(self.max_body_mb * 1024 * 1024)

    @property
    def base_url(self) -> str:
        """The public URL without its trailing slash, or "" for relative links."""
        return str(self.public_url).rstrip("/") if self.public_url else ""

    @property
    def zone(self) -> ZoneInfo:
        """The configured zone as a tzinfo."""
        return ZoneInfo(self.timezone)


def _doubling(first: float, total: float) -> list[float]:
    """Waits doubling from `first` for as long as their sum stays within `total`."""
    waits: list[float] = []
    wait = first
    while sum(waits) + wait <= total:
        waits.append(wait)
        wait *= 2
    return waits


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
