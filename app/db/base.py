"""The declarative base, with a naming convention so Alembic names constraints predictably."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every table; migrations, not `create_all`, build the schema."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


QUEUE_PREFIX = "procrastinate_"


def is_ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name`: compare and autogenerate callqa's own tables only, not the
    job queue's (procrastinate's schema, applied by migration 2026-12-02-1800)."""
    return not (type_ == "table" and name is not None and name.startswith(QUEUE_PREFIX))
