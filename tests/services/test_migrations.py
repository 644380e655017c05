"""Alembic owns the schema: it goes to head and back to base, and matches the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from app.db import migrate
from app.db.base import Base
from app.db.session import make_engine

TABLES = {"call", "call_question", "call_violation", "manager_rollup"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_go_up_to_head_down_to_base_and_up_again(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("migrations", migrated=False) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.upgrade(engine)
            assert _tables(engine) == TABLES
            migrate.downgrade(engine, "base")
            assert _tables(engine) == set()
            with engine.connect() as conn:
                assert migrate.current_revision(conn) is None
            migrate.upgrade(engine)
            with engine.connect() as conn:
                assert migrate.current_revision(conn) == migrate.head_revision()
            assert _tables(engine) == TABLES
        finally:
            engine.dispose()


def test_the_models_match_the_migrated_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migration_files_are_date_prefixed() -> None:
    versions = migrate.PROJECT_ROOT / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py")]
    assert names
    assert all(n[:4].isdigit() and n[4] == "-" and n[10] == "-" for n in names)
