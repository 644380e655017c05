"""Typed settings from CALLQA_* environment variables.

One `BaseSettings`, read once through `get_settings()`; nothing happens at import time, so the
CLI and tests can set the environment (or pass a `Settings`) before anything connects.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    db_pool_size: int = Field(default=10, ge=1, le=200)
    db_max_overflow: int = Field(default=10, ge=0, le=200)
    worker_threads: int = Field(
        default=4,
        ge=1,
        le=200,
        description="Requests handled at once per worker; scoring is CPU-bound, so more "
        "threads only add memory and lock contention.",
    )

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        url = normalise_database_url(value.strip())
        if not url.startswith("postgresql"):
            raise ValueError("CALLQA_DATABASE_URL must be a PostgreSQL URL (postgresql://...)")
        return url

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

    @property
    def max_body_bytes(self) -> int:
        """The body limit in bytes (MB = 2**20 bytes)."""
        return int(self.max_body_mb * 1024 * 1024)

    @property
    def zone(self) -> ZoneInfo:
        """The configured zone as a tzinfo."""
        return ZoneInfo(self.timezone)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment on first use."""
    return Settings()
