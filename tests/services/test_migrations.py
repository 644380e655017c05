"""Alembic owns the schema: it goes to head and back to base, and matches the models; the day
roll-ups are filled from the slots on the way up, the violation roll-ups from the stored hits."""

from __future__ import annotations

import json
import os
from datetime import date
from typing import Any

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from psycopg import sql
from sqlalchemy import Engine, inspect, text

from app.db import migrate
from app.db.base import Base, is_ours
from app.db.calls import get_call
from app.db.reporting import grant_reporting
from app.db.session import Database, make_engine
from app.engine.resources import DATA_DIR
from app.services import ingest, webhooks
from app.services.checklists import store_builtins
from app.services.schemas import CallIn
from app.settings import Settings, get_settings
from tests.conftest import MANAGER_LINES, call_payload
from tests.receiver import Recorder

TABLES = {"call", "call_score", "call_question", "call_violation", "manager_rollup"}
TABLES |= {
    "manager_rollup_day",
    "day_rollup_zone",
    "violation_rollup_day",
    "violation_rollup_month",
    "version_rollup_day",
    "version_rollup_month",
    "checklist_version",
    "checklist_assignment",
    "job",
    "call_correction",
    "call_review",
    "call_tombstone",
    "webhook",
    "webhook_delivery",
    "organisation",
    "api_key",
    "audit_log",
}
QUEUE_TABLES = {"procrastinate_jobs", "procrastinate_events", "procrastinate_workers"}
QUEUE_TABLES |= {"procrastinate_periodic_defers"}


def _tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_go_up_to_head_down_to_base_and_up_again(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("migrations", migrated=False) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.upgrade(engine)
            assert _tables(engine) == TABLES | QUEUE_TABLES
            migrate.downgrade(engine, "base")
            assert _tables(engine) == set()
            with engine.connect() as conn:
                assert migrate.current_revision(conn) is None
            migrate.upgrade(engine)
            with engine.connect() as conn:
                assert migrate.current_revision(conn) == migrate.head_revision()
            assert _tables(engine) == TABLES | QUEUE_TABLES
        finally:
            engine.dispose()


def test_the_models_match_the_migrated_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": is_ours})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_migration_files_are_date_prefixed() -> None:
    versions = DATA_DIR / "migrations" / "versions"
    names = [p.name for p in versions.glob("*.py")]
    assert names
    assert all(n[:4].isdigit() and n[4] == "-" and n[10] == "-" for n in names)


def _indexes(engine: Engine, table: str) -> set[str]:
    return {str(i["name"]) for i in inspect(engine).get_indexes(table)}


SLOT_ROW = (
    "INSERT INTO manager_rollup VALUES ('m-old', '', 'realty_phone', :slot, 1, 50.0,"
    " 4, 1, 0, 0, 1, CAST(:items AS jsonb))"
)


def test_the_day_rollup_migration_fills_local_days_from_the_slots_and_reverts(
    make_scratch_database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLQA_TIMEZONE", "America/Sao_Paulo")
    get_settings.cache_clear()
    with make_scratch_database("day_rollup", migrated=False) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.upgrade(engine, "2026_11_23_1300")
            with engine.begin() as conn:
                # Sunday 23:30 and Monday 10:00 in Sao Paulo (UTC-3): two days there, one in UTC.
                for slot, items in (
                    ("2026-03-02T02:30:00Z", '{"greeting": 1, "booking": 0}'),
                    ("2026-03-02T13:00:00Z", '{"greeting": 1, "booking": 1}'),
                    ("2026-03-02T13:15:00Z", '{"greeting": 0, "booking": 1}'),
                ):
                    conn.execute(text(SLOT_ROW), {"slot": slot, "items": items})

            migrate.upgrade(engine)

            with engine.connect() as conn:
                zone = conn.execute(text("SELECT zone FROM day_rollup_zone")).scalar_one()
                days = conn.execute(
                    text("SELECT day, calls, total_sum, item_passed FROM manager_rollup_day")
                ).all()
            assert zone == "America/Sao_Paulo"
            assert sorted(days) == [
                (date(2026, 3, 1), 1, 50.0, {"greeting": 1, "booking": 0}),
                (date(2026, 3, 2), 2, 100.0, {"greeting": 1, "booking": 2}),
            ]
            assert "ix_manager_rollup_manager_id_slot_start" not in _indexes(
                engine, "manager_rollup"
            )
            assert "ix_call_violation_call_id" not in _indexes(engine, "call_violation")

            migrate.downgrade(engine, "2026_11_23_1300")

            assert "manager_rollup_day" not in _tables(engine)
            assert {
                "ix_manager_rollup_manager_id_slot_start",
                "ix_manager_rollup_team_id_slot_start",
            } <= _indexes(engine, "manager_rollup")
            assert "ix_call_manager_id_started_at" in _indexes(engine, "call")
            assert "ix_call_violation_call_id" in _indexes(engine, "call_violation")
        finally:
            engine.dispose()
            get_settings.cache_clear()


CALL_ROW = (
    "INSERT INTO call (external_id, manager_id, team_id, started_at, started_at_offset_min,"
    " format, transcript, content_hash, utterances, checklist_key, checklist_version, total,"
    " grade, score) VALUES (:id, 'm-old', :team, :at, -180, 'text', '', '', '[]',"
    " 'realty_phone', '1', 50.0, 'red', '{}') RETURNING id"
)
HIT_ROW = (
    "INSERT INTO call_violation (call_id, utterance, phrase, matched)"
    " VALUES (:call, 1, :phrase, :phrase)"
)


def test_the_violation_rollup_migration_files_stored_hits_under_local_days_and_reverts(
    make_scratch_database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLQA_TIMEZONE", "America/Sao_Paulo")
    get_settings.cache_clear()
    with make_scratch_database("violation_rollup", migrated=False) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.upgrade(engine, "2026_11_23_1400")
            with engine.begin() as conn:
                # Saturday 28 February 23:30 in Sao Paulo (1 March in UTC), and 1 March there.
                calls = (
                    ("old-1", "t-old", "2026-03-01T02:30:00Z", ["я не знаю", "я не знаю"]),
                    ("old-2", None, "2026-03-01T13:00:00Z", ["я не знаю", "подождите"]),
                    ("old-3", None, "2026-03-01T14:00:00Z", ["подождите"]),
                )
                for external_id, team, at, said in calls:
                    params = {"id": external_id, "team": team, "at": at}
                    call_id = conn.execute(text(CALL_ROW), params).scalar_one()
                    for phrase in said:
                        conn.execute(text(HIT_ROW), {"call": call_id, "phrase": phrase})

            migrate.upgrade(engine)

            with engine.connect() as conn:
                days = conn.execute(
                    text("SELECT day, team_id, phrase, said FROM violation_rollup_day")
                ).all()
                months = conn.execute(
                    text("SELECT month, team_id, phrase, said FROM violation_rollup_month")
                ).all()
            assert sorted(days) == [
                (date(2026, 2, 28), "t-old", "я не знаю", 2),
                (date(2026, 3, 1), "", "подождите", 2),
                (date(2026, 3, 1), "", "я не знаю", 1),
            ]
            assert sorted(months) == [
                (date(2026, 2, 1), "t-old", "я не знаю", 2),
                (date(2026, 3, 1), "", "подождите", 2),
                (date(2026, 3, 1), "", "я не знаю", 1),
            ]

            migrate.downgrade(engine, "2026_11_23_1400")

            assert {"violation_rollup_day", "violation_rollup_month"}.isdisjoint(_tables(engine))
            assert "manager_rollup_day" in _tables(engine)
        finally:
            engine.dispose()
            get_settings.cache_clear()


# A slot or day row as the old schema held it (its columns in their order).
OLD_ROLLUP_ROW = (
    "INSERT INTO {table} VALUES ('m-old', '', :checklist, :at, 2, 150.0, :e, :p, :m, :o, 1,"
    " '{{\"greeting\": 2}}')"
)
NEW_COLUMNS = "SELECT checklist_key, calls, questions, question_counts, item_passed FROM {table}"


def test_the_category_migration_moves_question_columns_into_a_map_and_back(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("question_counts", migrated=False) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.upgrade(engine, "2026_12_02_1650")
            with engine.begin() as conn:
                for checklist, e, p, m, o in (
                    ("realty_phone", 3, 1, 2, 4),
                    ("spin_classic", 0, 0, 0, 7),
                ):
                    params = {"checklist": checklist, "e": e, "p": p, "m": m, "o": o}
                    for table, at in (
                        ("manager_rollup", "2026-03-02T10:00:00Z"),
                        ("manager_rollup_day", "2026-03-02"),
                    ):
                        row = text(OLD_ROLLUP_ROW.format(table=table))
                        conn.execute(row, params | {"at": at})

            migrate.upgrade(engine)

            with engine.connect() as conn:
                for table in ("manager_rollup", "manager_rollup_day"):
                    rows = conn.execute(text(NEW_COLUMNS.format(table=table))).all()
                    assert sorted(rows) == [
                        (
                            "realty_phone",
                            2,
                            10,
                            {"expertise": 3, "personal": 1, "motivation": 2, "other": 4},
                            {"greeting": 2},
                        ),
                        ("spin_classic", 2, 7, {"other": 7}, {"greeting": 2}),
                    ]

            migrate.downgrade(engine, "2026_12_02_1650")

            # The columns stand in their old order again: older code inserts by position.
            with engine.connect() as conn:
                for table in ("manager_rollup", "manager_rollup_day"):
                    result = conn.execute(text(f"SELECT * FROM {table} ORDER BY checklist_key"))
                    assert list(result.keys())[4:] == [
                        "calls",
                        "total_sum",
                        "q_expertise",
                        "q_personal",
                        "q_motivation",
                        "q_other",
                        "violations",
                        "item_passed",
                    ]
                    assert [tuple(r)[4:] for r in result] == [
                        (2, 150.0, 3, 1, 2, 4, 1, {"greeting": 2}),
                        (2, 150.0, 0, 0, 0, 7, 1, {"greeting": 2}),
                    ]
            assert "ix_manager_rollup_day_team_id_day_covering" in _indexes(
                engine, "manager_rollup_day"
            )
        finally:
            engine.dispose()


def test_the_call_score_migration_files_every_call_under_its_own_version_and_reverts(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("call_scores", migrated=False) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.upgrade(engine, "2026_12_02_1700")
            with engine.begin() as conn:
                params = {"id": "old-1", "team": None, "at": "2026-03-01T10:00:00Z"}
                call_id = conn.execute(text(CALL_ROW), params).scalar_one()

            migrate.upgrade(engine)

            with engine.connect() as conn:
                scores = conn.execute(
                    text(
                        "SELECT organisation_id, call_id, checklist_key, checklist_version,"
                        " total, grade, score FROM call_score"
                    )
                ).all()
            assert scores == [("default", call_id, "realty_phone", "1", 50.0, "red", None)]

            migrate.downgrade(engine, "2026_12_02_1700")

            assert "call_score" not in _tables(engine)
        finally:
            engine.dispose()


def test_the_checklist_migration_goes_down_and_up_with_versions_stored(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("checklist_versions") as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            with engine.connect() as conn:
                stored = conn.execute(text("SELECT key FROM checklist_version")).scalars().all()
            assert set(stored) == {"realty_phone", "spin_classic", "complaint"}

            migrate.downgrade(engine, "2026_11_23_1500")

            assert {"checklist_version", "checklist_assignment"}.isdisjoint(_tables(engine))

            migrate.upgrade(engine)

            assert {"checklist_version", "checklist_assignment"} <= _tables(engine)
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO checklist_version (key, version, title, document, source)"
                        " VALUES ('x', 'v1', 'X', '{}', '')"
                    )
                )
                conn.execute(
                    text(
                        "INSERT INTO checklist_assignment (team_id, checklist_key,"
                        " checklist_version) VALUES ('', 'x', 'v1')"
                    )
                )
                organisation = conn.execute(
                    text("SELECT organisation_id FROM checklist_assignment")
                ).scalar_one()
            assert organisation == "default"
        finally:
            engine.dispose()


def test_the_organisation_migrations_keep_stored_calls_in_the_default_organisation_and_revert(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("organisations") as url:
        database = Database.from_url(url, pool_size=1, max_overflow=0)
        try:
            with database.session_scope() as session:
                call = ingest.ingest_call(session, CallIn.model_validate(call_payload()))
            migrate.downgrade(database.engine, "2026_12_02_1810")
            with database.engine.connect() as conn:
                assert "organisation_id" not in {
                    c["name"] for c in inspect(conn).get_columns("call_question")
                }
                kept = "SELECT count(*) FROM call JOIN call_question q ON q.call_id = call.id"
                assert conn.execute(text(kept)).scalar_one() > 0
            migrate.upgrade(database.engine)
            with database.session_scope() as session:
                found = get_call(session, call.id)
                assert found is not None and found.organisation_id == "default"
        finally:
            database.dispose()


SCORED_CALL = (
    "INSERT INTO call (external_id, manager_id, team_id, started_at, started_at_offset_min,"
    " format, transcript, content_hash, utterances, checklist_key, checklist_version, total,"
    " grade, score) VALUES (:id, 'm-v', 't', :at, 0, 'text', '', '', '[]', 'realty_phone',"
    " :version, :total, 'red', CAST(:score AS jsonb)) RETURNING id"
)
VERSION_ROW = (
    "INSERT INTO checklist_version (key, version, title, document, source)"
    " VALUES ('realty_phone', :version, 'R', '{}', '')"
)
INGEST_SCORE = (
    "INSERT INTO call_score (call_id, checklist_key, checklist_version, total, grade)"
    " VALUES (:call, 'realty_phone', :version, :total, 'red')"
)
# What ingesting the two calls wrote before roll-ups were kept per version.
_ROLLUP_COLUMNS = (
    "(manager_id, team_id, checklist_key, {time}, calls, total_sum, questions, violations,"
    " item_passed, question_counts)"
)
_SUMS_OF_BOTH = (
    '2, 120.0, 4, 1, \'{"greeting": 1, "booking": 1}\', \'{"expertise": 3, "other": 1}\''
)
OLD_ROLLUPS = [
    f"INSERT INTO manager_rollup {_ROLLUP_COLUMNS.format(time='slot_start')}"
    f" VALUES ('m-v', 't', 'realty_phone', '2026-03-02T10:00:00Z', {_SUMS_OF_BOTH})",
    f"INSERT INTO manager_rollup_day {_ROLLUP_COLUMNS.format(time='day')}"
    f" VALUES ('m-v', 't', 'realty_phone', '2026-03-02', {_SUMS_OF_BOTH})",
    "INSERT INTO violation_rollup_day VALUES ('2026-03-02', 'm-v', 't', 'realty_phone', 'p', 1)",
    "INSERT INTO violation_rollup_month VALUES ('2026-03-01', 'm-v', 't', 'realty_phone', 'p', 1)",
]
SLOTS = (
    "SELECT checklist_version, calls, total_sum, questions, violations, question_counts,"
    " item_passed, versions FROM manager_rollup ORDER BY 1"
)


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def test_the_version_migration_keeps_old_rows_as_the_latest_series_and_counts_each_versions(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("rollup_versions", migrated=False) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.upgrade(engine, "2026_12_02_1810")
            with engine.begin() as conn:
                calls = (
                    ("v1", 50.0, {"expertise": 2, "other": 1}, [True, False], [{"phrase": "p"}]),
                    ("v2", 70.0, {"expertise": 1}, [False, True], []),
                )
                for n, (version, total, counts, passed, hits) in enumerate(calls):
                    items = [
                        {"key": k, "passed": p}
                        for k, p in zip(("greeting", "booking"), passed, strict=True)
                    ]
                    score = {"question_counts": counts, "items": items, "violations": hits}
                    conn.execute(text(VERSION_ROW), {"version": version})
                    call_id = conn.execute(
                        text(SCORED_CALL),
                        {
                            "id": f"v-{n}",
                            "at": "2026-03-02T10:01:00Z",
                            "version": version,
                            "total": total,
                            "score": json.dumps(score),
                        },
                    ).scalar_one()
                    params = {"call": call_id, "version": version, "total": total}
                    conn.execute(text(INGEST_SCORE), params)
                    if hits:
                        conn.execute(text(HIT_ROW), {"call": call_id, "phrase": "p"})
                for row in OLD_ROLLUPS:
                    conn.execute(text(row))
            before = {
                t: _rows(engine, f"SELECT * FROM {t} ORDER BY 1")
                for t in ("manager_rollup", "manager_rollup_day", "violation_rollup_day")
            }

            migrate.upgrade(engine)

            both = {"expertise": 3, "other": 1}
            assert _rows(engine, SLOTS) == [
                ("", 2, 120.0, 4, 1, both, {"greeting": 1, "booking": 1}, {"v1": 1, "v2": 1}),
                ("v1", 1, 50.0, 3, 1, {"expertise": 2, "other": 1},
                 {"greeting": 1, "booking": 0}, {"v1": 1}),
                ("v2", 1, 70.0, 1, 0, {"expertise": 1}, {"greeting": 0, "booking": 1}, {"v2": 1}),
            ]  # fmt: skip
            days = (
                "SELECT checklist_version, day, calls, versions FROM manager_rollup_day ORDER BY 1"
            )
            assert _rows(engine, days) == [
                ("", date(2026, 3, 2), 2, {"v1": 1, "v2": 1}),
                ("v1", date(2026, 3, 2), 1, {"v1": 1}),
                ("v2", date(2026, 3, 2), 1, {"v2": 1}),
            ]
            for table in ("violation_rollup_day", "violation_rollup_month"):
                hits = f"SELECT organisation_id, checklist_version, phrase, said FROM {table}"
                assert sorted(_rows(engine, hits)) == [
                    ("default", "", "p", 1),
                    ("default", "v1", "p", 1),
                ]

            migrate.downgrade(engine, "2026_12_02_1810")

            for table, rows in before.items():
                assert _rows(engine, f"SELECT * FROM {table} ORDER BY 1") == rows
        finally:
            engine.dispose()


def test_the_adopted_migration_marks_other_organisations_copies_of_built_ins_and_reverts(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("checklist_adopted") as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.downgrade(engine, "2026_12_03_0900")
            with engine.begin() as conn:  # a copy made for acme's scores before the migration
                conn.execute(
                    text(
                        "INSERT INTO checklist_version"
                        " (organisation_id, key, version, title, document, source, pushed_at)"
                        " SELECT 'acme', key, version, title, document, source, pushed_at"
                        " FROM checklist_version WHERE key = 'realty_phone'"
                    )
                )

            migrate.upgrade(engine)

            with engine.connect() as conn:
                rows = conn.execute(
                    text(
                        "SELECT organisation_id, bool_and(adopted)"
                        " FROM checklist_version GROUP BY 1"
                    )
                ).all()
            assert dict(rows) == {"acme": True, "default": False}

            migrate.downgrade(engine, "2026_12_03_0900")

            columns = {c["name"] for c in inspect(engine).get_columns("checklist_version")}
            assert "adopted" not in columns
        finally:
            engine.dispose()


def _policies(engine: Engine) -> dict[str, str]:
    """The `builtin` row-level policies: table -> condition."""
    sql = "SELECT tablename, qual FROM pg_policies WHERE policyname = 'builtin'"
    return {str(t): str(q) for t, q in _rows(engine, sql)}


def test_the_builtin_migration_shares_only_the_packages_checklists_of_default_and_reverts(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("checklist_builtin") as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.downgrade(engine, "2026_12_04_0200")
            with engine.begin() as conn:  # a local-mode push, beside the stored built-ins
                conn.execute(
                    text(
                        "INSERT INTO checklist_version"
                        " (organisation_id, key, version, title, document, source)"
                        " SELECT 'default', 'ours', 'v-ours', title, document, 'key: ours'"
                        " FROM checklist_version WHERE key = 'realty_phone'"
                    )
                )
            assert set(_policies(engine)) == {"checklist_version", "checklist_assignment"}

            migrate.upgrade(engine)

            flags = _rows(engine, "SELECT key, builtin FROM checklist_version")
            assert ("ours", False) in flags
            assert ("realty_phone", True) in flags
            assert list(_policies(engine)) == ["checklist_version"]
            assert "builtin" in _policies(engine)["checklist_version"]

            migrate.downgrade(engine, "2026_12_04_0200")

            columns = {c["name"] for c in inspect(engine).get_columns("checklist_version")}
            assert "builtin" not in columns
            assert set(_policies(engine)) == {"checklist_version", "checklist_assignment"}
            assert "builtin" not in _policies(engine)["checklist_version"]
        finally:
            engine.dispose()


_DEFER_WEBHOOK_TASK = """
SELECT procrastinate_defer_jobs_v1(ARRAY[ROW('webhooks', 'callqa.deliver_webhook', 0, NULL, NULL,
    CAST(:args AS jsonb), NULL)::procrastinate_job_to_defer_v1])
"""


def _webhook_tasks(conn: Any) -> list[tuple[str | None, dict[str, Any]]]:
    rows = conn.execute(
        text("SELECT lock, args FROM procrastinate_jobs WHERE queue_name = 'webhooks' ORDER BY id")
    )
    return [(lock, args) for lock, args in rows]


def test_webhook_tasks_queued_before_the_webhook_rls_migration_get_their_organisation_and_back(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("webhook_tasks", migrated=False) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.upgrade(engine, "2026_12_03_0900")
            with engine.begin() as conn:
                hook = conn.execute(
                    text(
                        "INSERT INTO webhook (organisation_id, url, secret, events) VALUES "
                        "('acme', 'https://93.184.216.34/', 's', '{call.scored}') RETURNING id"
                    )
                ).scalar_one()
                ids = (
                    conn.execute(
                        text(
                            "INSERT INTO webhook_delivery (organisation_id, webhook_id, event, "
                            "call_id, data) SELECT 'acme', :hook, 'call.scored', n, '{}' "
                            "FROM generate_series(7, 8) AS n RETURNING id"
                        ),
                        {"hook": hook},
                    )
                    .scalars()
                    .all()
                )
                conn.execute(
                    text(_DEFER_WEBHOOK_TASK), {"args": json.dumps({"delivery_id": ids[0]})}
                )

            migrate.upgrade(engine)
            with engine.begin() as conn:
                assert _webhook_tasks(conn) == [
                    (None, {"delivery_id": ids[0], "organisation_id": "acme"})
                ]
                conn.execute(text("DELETE FROM procrastinate_jobs"))
                several = {"organisation_id": "acme", "webhook_id": hook, "ids": sorted(ids)}
                conn.execute(text(_DEFER_WEBHOOK_TASK), {"args": json.dumps(several)})

            migrate.downgrade(engine, "2026_12_03_0900")
            with engine.connect() as conn:
                assert _webhook_tasks(conn) == [
                    (f"callqa.webhook:{hook}:call:7", {"delivery_id": min(ids)}),
                    (f"callqa.webhook:{hook}:call:8", {"delivery_id": max(ids)}),
                ]
        finally:
            engine.dispose()


def test_the_outbox_fillfactor_migration_leaves_room_on_each_page_and_reverts(
    make_scratch_database: Any,
) -> None:
    def options() -> list[str] | None:
        with engine.connect() as conn:
            found = conn.execute(
                text("SELECT reloptions FROM pg_class WHERE relname = 'webhook_delivery'")
            ).scalar_one()
        return None if found is None else list(found)

    with make_scratch_database("outbox_fillfactor") as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            assert options() == ["fillfactor=50"]

            migrate.downgrade(engine, "2026_12_05_0300")

            assert options() is None

            migrate.upgrade(engine)

            assert options() == ["fillfactor=50"]
        finally:
            engine.dispose()


_CHILD_KEYS = (
    "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
    " AND conrelid::regclass::text IN ('call_question', 'call_violation') ORDER BY 1"
)
_CHILDREN = (
    "SELECT (SELECT count(*) FROM call_question WHERE call_id = :id),"
    " (SELECT count(*) FROM call_violation WHERE call_id = :id)"
)


_FILLFACTOR = (
    "SELECT relname, reloptions FROM pg_class WHERE relname IN ('manager_rollup',"
    " 'manager_rollup_day', 'violation_rollup_day', 'violation_rollup_month') ORDER BY 1"
)
_ROLLUP_INDEX = "ix_manager_rollup_day_manager_id_day_keys"


def test_the_write_migration_drops_child_keys_and_rollup_includes_and_restores_them(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("child_keys") as url:
        database = Database.from_url(url, pool_size=1, max_overflow=0)
        try:
            with database.session_scope() as session:
                call = ingest.ingest_call(session, CallIn.model_validate(call_payload()))
            assert _rows(database.engine, _CHILD_KEYS) == []
            assert {r[1][0] for r in _rows(database.engine, _FILLFACTOR)} == {"fillfactor=70"}
            assert _ROLLUP_INDEX in _indexes(database.engine, "manager_rollup_day")
            with database.engine.begin() as conn:  # a question of a call that is gone
                conn.execute(text("SELECT set_config('callqa.maintenance', 'on', true)"))
                conn.execute(
                    text(
                        "INSERT INTO call_question (call_id, utterance, category, text)"
                        " VALUES (:gone, 0, 'other', 'Как вас зовут?')"
                    ),
                    {"gone": call.id + 1000},
                )
            kept = _rows(database.engine, _CHILDREN.replace(":id", str(call.id)))
            assert kept[0][0] > 0 and kept[0][1] > 0

            migrate.downgrade(database.engine, "2026_12_05_0400")

            assert _rows(database.engine, _CHILD_KEYS) == [
                ("call_question",),
                ("call_violation",),
            ]
            assert _rows(database.engine, _CHILDREN.replace(":id", str(call.id))) == kept
            gone = _CHILDREN.replace(":id", str(call.id + 1000))
            assert _rows(database.engine, gone) == [(0, 0)]
            assert {r[1] for r in _rows(database.engine, _FILLFACTOR)} == {None}
            covering = _indexes(database.engine, "manager_rollup_day")
            assert "ix_manager_rollup_day_manager_id_day_covering" in covering
            assert _ROLLUP_INDEX not in covering

            migrate.upgrade(database.engine)

            assert _rows(database.engine, _CHILD_KEYS) == []
            assert _rows(database.engine, _CHILDREN.replace(":id", str(call.id))) == kept
        finally:
            database.dispose()


CORRECTION_ROW = (
    "INSERT INTO call_correction (organisation_id, call_id, target, utterance, phrase, valid,"
    " author) VALUES ('default', :call, 'violation', :utterance, :phrase, :valid, 'local')"
)
HITS = (
    "SELECT utterance, phrase, replacement, utterance_text FROM call_violation"
    " WHERE call_id = :call ORDER BY utterance, phrase"
)


def test_the_scores_migration_brings_corrected_calls_hits_to_their_corrections_and_back(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("corrected_hits") as url:
        database = Database.from_url(url, pool_size=1, max_overflow=0)
        try:
            with database.session_scope() as session:
                store_builtins(session)
                call = ingest.ingest_call(session, CallIn.model_validate(call_payload()))
            machine = [
                (10, "вы должны", "Вам нужно будет … / Прошу вас …", MANAGER_LINES[10][10:]),
                (10, "я не знаю", "Я уточню и вернусь к вам с ответом", MANAGER_LINES[10][10:]),
            ]
            migrate.downgrade(database.engine, "2026_12_05_0100")
            with database.engine.begin() as conn:  # corrected before call_violation followed
                assert conn.execute(text(HITS), {"call": call.id}).all() == machine
                for utterance, phrase, valid in (
                    (10, "вы должны", False),
                    (12, "не волнуйтесь", True),
                ):
                    params = {"call": call.id, "utterance": utterance, "phrase": phrase}
                    conn.execute(text(CORRECTION_ROW), params | {"valid": valid})

            migrate.upgrade(database.engine)

            with database.engine.connect() as conn:
                hits = conn.execute(text(HITS), {"call": call.id}).all()
            assert hits == [
                machine[1],
                (12, "не волнуйтесь", "Я понимаю ваше беспокойство", MANAGER_LINES[12][10:]),
            ]

            migrate.downgrade(database.engine, "2026_12_05_0100")

            with database.engine.connect() as conn:
                assert conn.execute(text(HITS), {"call": call.id}).all() == machine
        finally:
            database.dispose()


def test_the_retained_notes_migration_removes_the_words_old_retained_scores_still_quote(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("retained_notes") as url:
        database = Database.from_url(url, pool_size=1, max_overflow=0)
        try:
            with database.session_scope() as session:
                store_builtins(session)
                retained = ingest.ingest_call(session, CallIn.model_validate(call_payload()))
                kept = ingest.ingest_call(session, CallIn.model_validate(call_payload()))
            migrate.downgrade(database.engine, "2026_12_05_0200")
            with database.engine.begin() as conn:  # retained as before: the notes left as said
                retain = "UPDATE call SET transcript = '', transcript_removed_at = now()"
                conn.execute(text(f"{retain} WHERE id = :id"), {"id": retained.id})

            migrate.upgrade(database.engine)

            with database.session_scope() as session:
                old = get_call(session, retained.id)
                new = get_call(session, kept.id)
                assert old is not None and new is not None
                notes = [e.get("note") for i in old.score["items"] for e in i["evidence"]]
                assert "name: " in notes and "company: " in notes
                assert not any("меня зовут" in (n or "") for n in notes)
                assert old.score["metrics"]["longest_monologue_text"] == ""
                assert new.score == kept.score  # a call with its texts is left alone
        finally:
            database.dispose()


def test_an_upgrade_to_head_gives_roles_granted_reporting_before_what_was_added(
    make_scratch_database: Any, pg_server: str
) -> None:
    role = f"callqa_reader_{os.getpid()}"
    try:
        with make_scratch_database("reporting_grants") as url:
            database = Database.from_url(url, pool_size=1, max_overflow=0)
            try:
                with database.session_scope() as session:
                    session.execute(text(f"CREATE ROLE {role}"))
                    grant_reporting(session, role)
                    # As granted before the scores view: neither it nor the column under it.
                    session.execute(text(f"REVOKE SELECT ON reporting.scores FROM {role}"))
                    session.execute(text(f"REVOKE SELECT (scored_at) ON call_score FROM {role}"))

                migrate.upgrade(database.engine)

                with database.engine.connect() as conn:
                    reads = "SELECT has_table_privilege(:role, 'reporting.scores', 'SELECT')"
                    assert conn.execute(text(reads), {"role": role}).scalar_one()
            finally:
                database.dispose()
    finally:
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


# A day row of the schema before the versions' roll-ups (2026_12_06_0400), of the latest ('')
# series unless another is named.
DAY_ROW = (
    "INSERT INTO manager_rollup_day (organisation_id, checklist_version, manager_id, team_id,"
    " checklist_key, day, calls, total_sum, questions, question_counts, violations,"
    " item_passed, versions) VALUES (:org, :series, :manager, :team, 'realty_phone', :day,"
    " :calls, 50.0, 0, '{}', 0, '{}', CAST(:versions AS jsonb))"
)


def test_the_version_rollup_migration_counts_the_day_rows_versions_per_day_and_month_and_reverts(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("version_rollups", migrated=False) as url:
        engine = make_engine(url, pool_size=1, max_overflow=0)
        try:
            migrate.upgrade(engine, "2026_12_06_0400")
            rows = (
                ("default", "", "m-v", "t", "2026-03-02", 2, {"v1": 2}),
                ("default", "", "m-v", "t", "2026-03-20", 2, {"v1": 1, "v2": 1}),
                ("default", "", "m-v", "", "2026-04-01", 1, {"v2": 1}),
                ("default", "", "m-w", "t", "2026-03-03", 1, {"v1": 0, "v2": 1}),  # rescored
                ("default", "v1", "m-v", "t", "2026-03-02", 2, {"v1": 2}),  # a version's own
                ("acme", "", "m-v", "t", "2026-03-02", 1, {"v3": 1}),
            )
            with engine.begin() as conn:
                for org, series, manager, team, day, calls, versions in rows:
                    params = {"org": org, "series": series, "manager": manager, "team": team}
                    params |= {"day": day, "calls": calls, "versions": json.dumps(versions)}
                    conn.execute(text(DAY_ROW), params)
            before = _rows(engine, "SELECT * FROM manager_rollup_day ORDER BY 1, 2, 3, 4, 5, 6")

            migrate.upgrade(engine)

            days = "SELECT organisation_id, day, manager_id, team_id, version, calls"
            assert _rows(engine, f"{days} FROM version_rollup_day ORDER BY 1, 2, 3, 4, 5") == [
                ("acme", date(2026, 3, 2), "m-v", "t", "v3", 1),
                ("default", date(2026, 3, 2), "m-v", "t", "v1", 2),
                ("default", date(2026, 3, 3), "m-w", "t", "v2", 1),
                ("default", date(2026, 3, 20), "m-v", "t", "v1", 1),
                ("default", date(2026, 3, 20), "m-v", "t", "v2", 1),
                ("default", date(2026, 4, 1), "m-v", "", "v2", 1),
            ]
            months = "SELECT organisation_id, month, manager_id, team_id, version, calls"
            assert _rows(engine, f"{months} FROM version_rollup_month ORDER BY 1, 2, 3, 4, 5") == [
                ("acme", date(2026, 3, 1), "m-v", "t", "v3", 1),
                ("default", date(2026, 3, 1), "m-v", "t", "v1", 3),
                ("default", date(2026, 3, 1), "m-v", "t", "v2", 1),
                ("default", date(2026, 3, 1), "m-w", "t", "v2", 1),
                ("default", date(2026, 4, 1), "m-v", "", "v2", 1),
            ]

            migrate.downgrade(engine, "2026_12_06_0400")

            assert {"version_rollup_day", "version_rollup_month"}.isdisjoint(_tables(engine))
            assert _rows(engine, "SELECT * FROM manager_rollup_day ORDER BY 1, 2, 3, 4, 5, 6") == (
                before
            )
        finally:
            engine.dispose()


_OUTBOX = "SELECT call_id, data FROM webhook_delivery ORDER BY id"


def test_the_outbox_migration_writes_call_events_copies_back_and_keeps_them_on_the_way_up(
    make_scratch_database: Any,
) -> None:
    with make_scratch_database("outbox_copies") as url:
        database = Database.from_url(url, pool_size=1, max_overflow=0)
        try:
            with database.session_scope() as session:
                webhooks.create_webhook(
                    session, Settings(), "https://93.184.216.34/", ["call.scored"], "s" * 32
                )
            with database.session_scope() as session:
                started = "2026-03-01T09:30:00.25-05:30"
                call = ingest.ingest_call(
                    session, CallIn.model_validate(call_payload(started_at=started))
                )
                gone = ingest.ingest_call(session, CallIn.model_validate(call_payload()))
            with database.engine.begin() as conn:  # a call gone, its event left behind
                conn.execute(text("SELECT set_config('callqa.maintenance', 'on', true)"))
                conn.execute(text("DELETE FROM call WHERE id = :id"), {"id": gone.id})
                (stored,) = conn.execute(text(f"SELECT score FROM call WHERE id = {call.id}")).one()
            as_answered = {
                "id": call.id,
                "external_id": call.external_id,
                "manager_id": call.manager_id,
                "team_id": call.team_id,
                "started_at": "2026-03-01T09:30:00.250000-05:30",
                "score": stored,
            }
            assert _rows(database.engine, _OUTBOX) == [(call.id, None), (gone.id, None)]

            migrate.downgrade(database.engine, "2026_12_06_0100")

            assert _rows(database.engine, _OUTBOX) == [(call.id, as_answered)]

            migrate.upgrade(database.engine)

            assert _rows(database.engine, _OUTBOX) == [(call.id, as_answered)]
            with database.session_scope() as session:
                ids = list(session.execute(text("SELECT id FROM webhook_delivery")).scalars())
            sender = Recorder()
            webhooks.deliver(database.session_scope, Settings(), sender, ids, 0)  # type: ignore[arg-type]
            assert [json.loads(body)["data"] for _, body in sender.posted] == [as_answered]
        finally:
            database.dispose()
