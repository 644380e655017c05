"""Trend, leaderboard, report and top-violations latency on a year of calls: 1,000,000 calls,
200 managers.

What it measures
----------------
* Data: `--calls` (1,000,000) scored calls of `--managers` (200) managers in `--teams` (10)
  teams over the `--days` (365) days up to today, ~13.7 calls per manager-day at random
  times of a 09:00-19:00 Moscow working day, bulk-loaded with INSERT ... SELECT
  generate_series (not through the API). Question counts grow over the year as coaching
  takes hold (4-5 per call at first, ~15 at the end), forbidden phrases fade. Each call gets
  a compact score (total, grade, question counts, item pass flags; not the full evidence) and
  its `call_score` row, 0-2 `call_violation` rows from 8 phrases (no `call_question` rows: no
  trend, leaderboard or report query reads them; the question counts come from the roll-ups),
  and `manager_rollup` (15-minute UTC slots), `manager_rollup_day` (local days of
  `--timezone`, the configured zone), its versions per day and month (`version_rollup_*`)
  and the phrase hits per local day and month (`violation_rollup_day`, `_month`) are
  computed from the seeded calls and violations with one INSERT ... SELECT ... GROUP BY each,
  exactly as ingest would have upserted them. Then
  VACUUM ANALYZE. The schema is the real one, migrated with the real migrations; a reused
  database whose day roll-ups are in another zone, or without the score rows, is seeded
  again.
* Queries, through the real service functions (app.services.trends / .reports / .phrases), a
  session scope per call as the API runs them (no HTTP; the report serialised to JSON),
  `--runs` (50) each with random managers/teams, windows of 7-365 days, trend buckets
  day/week/month, top violations of one team and of all teams (`violations team`, `violations
  all`), in the zone `--tz` (default: the configured zone, so the day roll-ups are read; any
  other zone reads the slots, and top violations join the calls): p50, p95, max in ms. Warm-up
  first: a year of every manager and team once (a server in steady state has its working set
  cached), then 5 calls of each kind.
* Seeding time (this run's, or the seeding run's), rows per table, PostgreSQL version, cores,
  and the load average (other work on the machine's cores skews the figures).

Targets (printed as PASS/MISS, never asserted): p95 trends <= 20 ms, leaderboard <= 50 ms,
JSON report <= 150 ms, top violations of a team <= 50 ms, of all teams <= 100 ms, JSON team
report (a team's managers side by side with weekly trend lines) <= 300 ms.

Run it
------
    uv run python bench/trends.py                 # embedded PostgreSQL in /tmp/callqa-bench
    uv run python bench/trends.py --reseed        # drop the seeded rows and seed again
    uv run python bench/trends.py --tz Asia/Dubai # queries in another zone: from the slots
    uv run python bench/trends.py --database-url postgresql://...   # a server of your own
Seeding takes minutes; later runs reuse the seeded database (its size is checked first).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/trends.py` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

from app.db import migrate  # noqa: E402
from app.db.embedded import start_embedded  # noqa: E402
from app.db.session import Database  # noqa: E402
from app.engine import get_checklist  # noqa: E402
from app.services import checklists, phrases, reports, team_report, trends  # noqa: E402

TARGETS_MS = {"trends": 20.0, "leaderboard": 50.0, "report": 150.0}
TARGETS_MS |= {"violations team": 50.0, "violations all": 100.0, "team report": 300.0}
PHRASES = (
    ("я не знаю", "Я уточню и вернусь к вам с ответом"),
    ("перезвоните позже", "Я сам перезвоню вам — когда удобно?"),
    ("вы должны", "Вам нужно будет … / Прошу вас …"),
    ("не волнуйтесь", "Я понимаю ваше беспокойство"),
    ("подождите", "Оставайтесь, пожалуйста, на линии, я уточню"),
    ("вы неправильно поняли", "Позвольте, я поясню"),
    ("как я уже говорил", "Уточню ещё раз"),
    ("это не ко мне", "Я передам вопрос профильному специалисту и вернусь к вам"),
)

# One row per call; `p` is the share of the year gone (0..1), so coaching shows as growth.
SEED_CALLS = """
INSERT INTO call (source, external_id, manager_id, manager_name, team_id, started_at,
    started_at_offset_min, duration_s, format, transcript, content_hash, utterances,
    checklist_key, checklist_version, total, grade, score)
SELECT 'bench', 'bench-' || i, 'm' || lpad(m::text, 3, '0'), 'Менеджер ' || m,
    't' || lpad((m % :teams)::text, 2, '0'), started_at, 180, 120 + 600 * random(), 'text',
    'Менеджер: …', md5(i::text), '[]'::jsonb, 'realty_phone', 'bench', total,
    CASE WHEN total >= 80 THEN 'green' WHEN total >= 60 THEN 'yellow' ELSE 'red' END,
    jsonb_build_object('total', total, 'question_counts', jsonb_build_object(
        'expertise', qe, 'personal', qp, 'motivation', qm, 'other', qo),
        'violations_n', nv, 'items_passed', items)
FROM (
    SELECT i, m, started_at, qe, qp, qm, qo, nv, items,
        least(100, greatest(0, round((20 + 3 * qe + 5 * qp + 6 * qm - 8 * nv
            + 10 * random())::numeric, 1)))::float8 AS total
    FROM (
        SELECT i, m, started_at,
            floor(4 + 8 * p + 2 * random())::int AS qe,
            floor(4 * p * random() + p * 2)::int AS qp,
            floor(3 * p * random())::int AS qm,
            floor(2 * random())::int AS qo,
            floor(3 * (1 - 0.8 * p) * random())::int AS nv,
            jsonb_build_object(
                'greeting', (random() < 0.9)::int, 'recording_disclosure', (random() < p)::int,
                'expertise_questions', (random() < p)::int,
                'personal_questions', (random() < 0.8 * p)::int,
                'motivation_questions', (random() < 0.6 * p)::int,
                'forbidden_phrases', (random() < 0.3 + 0.6 * p)::int,
                'short_presentation', (random() < 0.7)::int,
                'no_exact_price', (random() < 0.8)::int,
                'viewing_booked', (random() < 0.2 + 0.4 * p)::int) AS items
        FROM (
            SELECT i, i % :managers AS m, d::float8 / :days AS p,
                CAST(:first_day AS timestamptz) + d * interval '1 day'
                    + interval '6 hours' + random() * interval '10 hours' AS started_at
            FROM (SELECT i, (i / :managers) % :days AS d
                  FROM generate_series(0, :calls - 1) AS i) AS ids
        ) AS days
    ) AS counts
) AS calls
"""
# Phrase n is picked with probability falling with n: a few habits dominate, as in life.
SEED_VIOLATIONS = """
WITH p AS (
    SELECT n, phrase, replacement
    FROM unnest(CAST(:phrases AS text[]), CAST(:replacements AS text[]))
        WITH ORDINALITY AS t(phrase, replacement, n)
)
INSERT INTO call_violation (call_id, utterance, phrase, matched, replacement, utterance_text)
SELECT h.id, 2 * h.k, p.phrase, p.phrase, p.replacement, 'Ну, ' || p.phrase || ', это уточню.'
FROM (
    SELECT c.id, k, 1 + floor(8 * power(random(), 2))::int AS n
    FROM call c
    CROSS JOIN LATERAL generate_series(1, (c.score ->> 'violations_n')::int) AS k
    WHERE c.source = 'bench'
) AS h
JOIN p ON p.n = h.n
"""
# The local day of the configured zone, as ingest files a call in manager_rollup_day.
SEED_DAY_ROLLUPS = """
INSERT INTO manager_rollup_day (checklist_version, manager_id, team_id, checklist_key, day,
    calls, total_sum, questions, violations, question_counts, item_passed, versions)
SELECT '', manager_id, coalesce(team_id, ''), checklist_key,
    (started_at AT TIME ZONE CAST(:zone AS text))::date AS day,
    count(*), sum(total),
    {questions},
    sum((score ->> 'violations_n')::int),
    {question_counts},
    jsonb_build_object({items}),
    jsonb_build_object('bench', count(*))
FROM call WHERE source = 'bench'
GROUP BY 1, 2, 3, 4, 5
"""
# The phrase hits per local day of the configured zone, as ingest upserts them.
SEED_VIOLATION_DAYS = """
INSERT INTO violation_rollup_day (checklist_version, day, manager_id, team_id, checklist_key,
    phrase, said)
SELECT '', (c.started_at AT TIME ZONE CAST(:zone AS text))::date, c.manager_id,
    coalesce(c.team_id, ''), c.checklist_key, v.phrase, count(*)
FROM call_violation AS v JOIN call AS c ON c.id = v.call_id
WHERE c.source = 'bench'
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
"""
# The same per local month (ingest upserts its month rows from the same hits).
SEED_VIOLATION_MONTHS = """
INSERT INTO violation_rollup_month (checklist_version, month, manager_id, team_id,
    checklist_key, phrase, said)
SELECT '', date_trunc('month', (c.started_at AT TIME ZONE CAST(:zone AS text)))::date,
    c.manager_id, coalesce(c.team_id, ''), c.checklist_key, v.phrase, count(*)
FROM call_violation AS v JOIN call AS c ON c.id = v.call_id
WHERE c.source = 'bench'
GROUP BY 1, 2, 3, 4, 5, 6
ORDER BY 1, 2, 3, 4, 5, 6
"""
SEED_ROLLUPS = """
INSERT INTO manager_rollup (checklist_version, manager_id, team_id, checklist_key, slot_start,
    calls, total_sum, questions, violations, question_counts, item_passed, versions)
SELECT '', manager_id, coalesce(team_id, ''), checklist_key,
    to_timestamp(floor(extract(epoch FROM started_at) / 900) * 900) AS slot,
    count(*), sum(total),
    {questions},
    sum((score ->> 'violations_n')::int),
    {question_counts},
    jsonb_build_object({items}),
    jsonb_build_object('bench', count(*))
FROM call WHERE source = 'bench'
GROUP BY 1, 2, 3, 4, 5
"""
# The latest series' calls per local day and version, and per month, as ingest upserts them.
SEED_VERSION_DAYS = """
INSERT INTO version_rollup_day (day, manager_id, team_id, checklist_key, version, calls)
SELECT d.day, d.manager_id, d.team_id, d.checklist_key, v.key, sum(v.value::integer)
FROM manager_rollup_day AS d CROSS JOIN jsonb_each_text(d.versions) AS v
WHERE d.checklist_version = ''
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
"""
SEED_VERSION_MONTHS = """
INSERT INTO version_rollup_month (month, manager_id, team_id, checklist_key, version, calls)
SELECT date_trunc('month', day)::date, manager_id, team_id, checklist_key, version, sum(calls)
FROM version_rollup_day
GROUP BY 1, 2, 3, 4, 5
ORDER BY 1, 2, 3, 4, 5
"""
# Each call's score row, as ingest writes it (top violations read the hits of the scores the
# series counts), under the seeded calls' version 'bench', stored first (as never the latest).
SEED_VERSION = """
INSERT INTO checklist_version (key, version, title, document, source, pushed_at)
VALUES ('realty_phone', 'bench', 'bench', CAST(:document AS jsonb), 'bench', '2000-01-01')
ON CONFLICT DO NOTHING
"""
SEED_SCORES = """
INSERT INTO call_score (call_id, checklist_key, checklist_version, total, grade, scored_at)
SELECT id, checklist_key, checklist_version, total, grade, created_at FROM call
WHERE source = 'bench'
"""
# Ingest adds each call to its version's series too ('bench', the seeded calls' version): the
# same rows again under that version, so the tables hold what ingest would have written.
VERSION_SERIES = """
INSERT INTO {table} SELECT (r).* FROM (
    SELECT jsonb_populate_record(t, jsonb_build_object('checklist_version', 'bench')) AS r
    FROM {table} AS t WHERE t.checklist_version = ''
) AS rows
"""
TABLES: tuple[str, ...] = ("call", "call_score", "call_question", "call_violation")
TABLES += ("manager_rollup",)
TABLES += ("manager_rollup_day", "version_rollup_day", "version_rollup_month")
TABLES += ("violation_rollup_day", "violation_rollup_month")
SERIES_DAY_TABLES = ("manager_rollup_day", "violation_rollup_day", "violation_rollup_month")
DAY_TABLES = (*SERIES_DAY_TABLES, "version_rollup_day", "version_rollup_month")
# The item keys seeded above (those of the default checklist), summed into the roll-ups.
ITEMS = tuple(re.findall(r"'(\w+)', \(random\(\)", SEED_CALLS))


# The question categories seeded above, summed into the roll-ups' map and total.
CATEGORIES = ("expertise", "personal", "motivation", "other")


def _items_sql() -> str:
    return ", ".join(f"'{k}', sum((score -> 'items_passed' ->> '{k}')::int)" for k in ITEMS)


def _questions_sql() -> dict[str, str]:
    """The roll-ups' `questions` and `question_counts` of a group of seeded calls."""
    asked = {c: f"sum((score -> 'question_counts' ->> '{c}')::int)" for c in CATEGORIES}
    pairs = ", ".join(f"'{c}', {n}" for c, n in asked.items())
    return {
        "questions": " + ".join(asked.values()),
        "question_counts": f"jsonb_build_object({pairs})",
    }


def _vacuum(db: Database, table: str = "") -> None:
    t = time.perf_counter()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE {table}"))
    print(f"  VACUUM ANALYZE {table or 'all'} in {time.perf_counter() - t:.1f} s", flush=True)


def _run_step(db: Database, name: str, statements: list[tuple[str, dict[str, Any]]]) -> None:
    t = time.perf_counter()
    with db.engine.begin() as conn:
        for sql, params in statements:
            conn.execute(text(sql), params)
    print(f"  seeded {name} in {time.perf_counter() - t:.1f} s", flush=True)


def _seed_days(db: Database, zone: str) -> None:
    """The day (and violation month) roll-ups in `zone`, from the seeded calls (also when a
    reused database has them in another zone: clean tables, as on a fresh seed)."""
    emptied: tuple[str, dict[str, Any]] = (f"TRUNCATE {', '.join(DAY_TABLES)}", {})
    # Empty, so in any zone: the rows inserted next are in this one.
    zoned = ("UPDATE day_rollup_zone SET zone = :zone", {"zone": zone})
    seeded = (SEED_DAY_ROLLUPS.format(items=_items_sql(), **_questions_sql()), {"zone": zone})
    _run_step(db, f"day roll-ups in {zone}", [emptied, zoned, seeded])
    versions = [(SEED_VERSION_DAYS, {}), (SEED_VERSION_MONTHS, {})]
    _run_step(db, f"the versions per day and month in {zone}", versions)
    hits = [(SEED_VIOLATION_DAYS, {"zone": zone}), (SEED_VIOLATION_MONTHS, {"zone": zone})]
    _run_step(db, f"violation day and month roll-ups in {zone}", hits)
    versions = [(VERSION_SERIES.format(table=t), {}) for t in SERIES_DAY_TABLES]
    _run_step(db, "the version's series of the day tables", versions)


def _seed(db: Database, args: argparse.Namespace, first_day: date) -> float:
    started = time.perf_counter()
    with db.engine.begin() as conn:
        # CASCADE: the scores of later checklist versions (call_score) go with their calls.
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} CASCADE"))
    sizes = {k: getattr(args, k) for k in ("teams", "managers", "days", "calls")}
    _run_step(db, "calls", [(SEED_CALLS, sizes | {"first_day": first_day})])
    phrases = {"phrases": [p for p, _ in PHRASES], "replacements": [r for _, r in PHRASES]}
    _run_step(db, "violations", [(SEED_VIOLATIONS, phrases)])
    document = {"document": json.dumps(get_checklist("realty_phone").document())}
    _run_step(db, "scores", [(SEED_VERSION, document), (SEED_SCORES, {})])
    _run_step(db, "roll-ups", [(SEED_ROLLUPS.format(items=_items_sql(), **_questions_sql()), {})])
    _run_step(db, "the version's roll-ups", [(VERSION_SERIES.format(table="manager_rollup"), {})])
    _seed_days(db, args.timezone)
    _vacuum(db)
    return time.perf_counter() - started


def _counts(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}


def _timed(
    db: Database, runs: int, make: Callable[[random.Random], Callable[..., Any]], rng: random.Random
) -> list[float]:
    out = []
    for i in range(runs + 5):
        call = make(rng)
        with db.session_scope() as session:
            t = time.perf_counter()
            call(session)
            elapsed = (time.perf_counter() - t) * 1000
        if i >= 5:  # warm-up
            out.append(elapsed)
    return out


def _window(rng: random.Random, first_day: date, days: int) -> tuple[str, str]:
    length = rng.randint(7, min(365, days))
    start = first_day + timedelta(days=rng.randint(0, days - length))
    return str(start), str(start + timedelta(days=length - 1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/callqa-bench"))
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--managers", type=int, default=200)
    parser.add_argument("--teams", type=int, default=10)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--timezone", default="Europe/Moscow", help="the configured zone (CALLQA_TIMEZONE)"
    )
    parser.add_argument("--tz", default=None, help="zone of the queries (default: --timezone)")
    args = parser.parse_args()
    tz = args.tz or args.timezone

    url = args.database_url or start_embedded(args.data_dir)
    db = Database.from_url(url, pool_size=2, max_overflow=0)
    migrate.upgrade(db.engine)
    with db.session_scope() as session:  # as `callqa serve` does on start
        checklists.store_builtins(session)
    meta_file = args.data_dir / "bench-seed.json"
    counts = _counts(db)
    meta = json.loads(meta_file.read_text()) if meta_file.exists() else {}
    wanted = {k: getattr(args, k) for k in ("calls", "managers", "teams", "days")}
    stale = counts["call"] != args.calls or counts["call_score"] != args.calls
    if args.reseed or stale or meta.get("args") != wanted:
        first_day = datetime.now(UTC).date() - timedelta(days=args.days - 1)
        print(f"seeding {args.calls:,} calls from {first_day} ...", flush=True)
        seconds = _seed(db, args, first_day)
        meta = {"args": wanted, "seconds": seconds, "first_day": str(first_day)}
        args.data_dir.mkdir(parents=True, exist_ok=True)
        meta_file.write_text(json.dumps(meta))
        counts = _counts(db)
        print(f"seeded in {seconds:.1f} s")
    else:
        print(f"reusing the database seeded on {meta['first_day']} (took {meta['seconds']:.1f} s)")
        with db.engine.connect() as conn:
            zone = conn.execute(text("SELECT zone FROM day_rollup_zone")).scalar_one()
        if zone != args.timezone:
            print(f"the day roll-ups are in {zone}: seeding them again in {args.timezone}")
            _seed_days(db, args.timezone)
            for table in DAY_TABLES:
                _vacuum(db, table)
            counts = _counts(db)
    first_day = date.fromisoformat(meta["first_day"])
    with db.engine.connect() as conn:
        pg = conn.execute(text("SHOW server_version")).scalar_one()
    print(
        f"PostgreSQL {pg}; {os.cpu_count()} cores; rows: "
        + ", ".join(f"{t} {n:,}" for t, n in counts.items())
    )
    source = "day roll-ups" if tz == args.timezone else "15-minute slots"
    print(f"configured zone {args.timezone}; queries in {tz}, so from the {source}")

    managers = [f"m{m:03d}" for m in range(args.managers)]
    teams = [f"t{t:02d}" for t in range(args.teams)]

    def trend(rng: random.Random) -> Callable[..., Any]:
        m, (a, b) = rng.choice(managers), _window(rng, first_day, args.days)
        bucket = rng.choice(("day", "week", "month"))
        return lambda s: trends.manager_trends(
            s, m, bucket=bucket, start=a, end=b, tz=tz, default_tz=args.timezone
        )

    def board(rng: random.Random) -> Callable[..., Any]:
        t, (a, b) = rng.choice(teams), _window(rng, first_day, args.days)
        return lambda s: trends.team_leaderboard(
            s, t, start=a, end=b, tz=tz, default_tz=args.timezone
        )

    def report(rng: random.Random) -> Callable[..., Any]:
        m, (a, b) = rng.choice(managers), _window(rng, first_day, args.days)
        cut = date.fromisoformat(a) + (date.fromisoformat(b) - date.fromisoformat(a)) / 2
        # Serialised as the API sends it: the JSON report, not just the dict.
        return lambda s: json.dumps(
            reports.manager_report(
                s,
                m,
                start=a,
                end=b,
                compare_before=str(cut),
                tz=tz,
                default_tz=args.timezone,
            ),
            ensure_ascii=False,
            default=datetime.isoformat,
        )

    def team_whole(rng: random.Random) -> Callable[..., Any]:
        t, (a, b) = rng.choice(teams), _window(rng, first_day, args.days)
        cut = date.fromisoformat(a) + (date.fromisoformat(b) - date.fromisoformat(a)) / 2
        return lambda s: json.dumps(
            team_report.team_report(
                s, t, start=a, end=b, compare_before=str(cut), tz=tz, default_tz=args.timezone
            ),
            ensure_ascii=False,
            default=datetime.isoformat,
        )

    def team_violations(rng: random.Random) -> Callable[..., Any]:
        t, (a, b) = rng.choice(teams), _window(rng, first_day, args.days)
        return lambda s: phrases.top_violations(
            s, team_id=t, start=a, end=b, tz=tz, default_tz=args.timezone
        )

    def all_violations(rng: random.Random) -> Callable[..., Any]:
        a, b = _window(rng, first_day, args.days)
        return lambda s: phrases.top_violations(s, start=a, end=b, tz=tz, default_tz=args.timezone)

    # Warm-up: every manager's and team's year once, as a dashboard server in steady state has
    # its working set cached (what stays in shared_buffers, the rest in the OS page cache).
    year = (str(first_day), str(first_day + timedelta(days=args.days - 1)))
    t = time.perf_counter()
    with db.session_scope() as session:
        for m in managers:
            trends.manager_trends(session, m, bucket="week", start=year[0], end=year[1], tz=tz)
        for team in teams:
            trends.team_leaderboard(session, team, start=year[0], end=year[1], tz=tz)
            phrases.top_violations(session, team_id=team, start=year[0], end=year[1], tz=tz)
        phrases.top_violations(session, start=year[0], end=year[1], tz=tz)
    print(f"warm-up: a year of every manager and team in {time.perf_counter() - t:.1f} s")
    rng = random.Random(args.seed)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{args.runs} runs each after 5 more warm-up runs; random windows of 7-365 days")
    print(f"load average before the runs: {load} (other work on the cores skews the figures)")
    print(f"{'query':<16}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'target':>9}  verdict")
    kinds = [
        ("trends", trend),
        ("leaderboard", board),
        ("report", report),
        ("team report", team_whole),
    ]
    kinds += [("violations team", team_violations), ("violations all", all_violations)]
    for name, make in kinds:
        times = sorted(_timed(db, args.runs, make, rng))
        p95 = times[max(0, round(0.95 * len(times)) - 1)]
        verdict = "PASS" if p95 <= TARGETS_MS[name] else "MISS"
        print(
            f"{name:<16}{statistics.median(times):>9.1f}{p95:>9.1f}{times[-1]:>9.1f}"
            f"{TARGETS_MS[name]:>9.0f}  {verdict}"
        )
    db.dispose()


if __name__ == "__main__":
    main()
