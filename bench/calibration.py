"""Calibration report latency over 10,000 reviewed calls.

What it measures
----------------
* Data: `--calls` (10,000) calls of the built-in realty checklist, each reviewed, over the
  365 days up to now in 5 teams, bulk-loaded with INSERT ... SELECT generate_series (not
  through the API) into the database `--database` on the server (created if missing): a
  compact call row each, a `call_review` row with the machine's question counts (0-19
  expertise, 0-5 personal, 0-3 motivation, 0-4 other) and 9 items' verdicts (one in ten
  changed by the reviewer), all from hashes of the call, and for
  three calls in ten 1-3 `call_correction` rows (questions moved or struck out, violations
  dismissed or added, items) over 20 recurring phrasings. Then VACUUM ANALYZE.
* Queries: `--runs` (50) each of the real service (app.services.calibration.report, a session
  scope per call as the API runs it, the result serialised to JSON): all reviewed calls of the
  year (`year`), one team's (`team`), and a random window of 7-90 days (`window`): p50, p95,
  max in ms after 5 warm-up calls; with the rows each covered.
* Cores and load average (other work on the machine's cores skews the figures).

Target (printed as PASS/MISS, never asserted): p95 <= 200 ms over all 10,000 reviewed calls.

Run it
------
    uv run python bench/calibration.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    uv run python bench/calibration.py                 # embedded PostgreSQL in /tmp/callqa-bench
Seeding takes seconds; later runs reuse the seeded database (its size is checked first).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/calibration.py` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

from app.db import migrate  # noqa: E402
from app.db.embedded import ensure_database, start_embedded, with_database  # noqa: E402
from app.db.session import Database  # noqa: E402
from app.services import calibration  # noqa: E402
from app.services.checklists import store_builtins  # noqa: E402

TARGET_MS = 200.0
SOURCE = "bench-calibration"
ITEMS = (
    "greeting",
    "recording_disclosure",
    "expertise_questions",
    "personal_questions",
    "motivation_questions",
    "forbidden_phrases",
    "short_presentation",
    "no_exact_price",
    "viewing_booked",
)
# Varied like real calls, from hashes of the call: its question counts, its items' verdicts,
# and one item verdict in ten changed by its reviewer (bit i: the i-th item in key order).
_HASH = "abs(hashtext(c.id || '{salt}'))"
_MACHINE = " + ".join(
    f"(CASE WHEN {_HASH.format(salt=key)} % 5 > 1 THEN {1 << n} ELSE 0 END)"
    for n, key in enumerate(sorted(ITEMS))
)
_FLIPS = " + ".join(
    f"(CASE WHEN {_HASH.format(salt=key + 'r')} % 10 = 0 THEN {1 << n} ELSE 0 END)"
    for n, key in enumerate(sorted(ITEMS))
)
_COUNTS = ", ".join(
    f"{_HASH.format(salt=key)} % {top}"
    for key, top in (("expertise", 20), ("motivation", 4), ("other", 5), ("personal", 6))
)
_SEED = f"""
WITH calls AS (
    INSERT INTO call (source, external_id, manager_id, team_id, started_at,
        started_at_offset_min, format, transcript, content_hash, utterances, checklist_key,
        checklist_version, total, grade, score)
    SELECT '{SOURCE}', 'cal-' || g, 'm' || g % 50, 't' || g % 5,
        now() - (g % 365) * interval '1 day' - (g % 600) * interval '1 minute', 180, 'text',
        '', '', '[]', 'realty_phone', 'bench', 50 + g % 50, 'red', '{{}}'
    FROM generate_series(1, :calls) AS g
    RETURNING id, team_id, started_at
)
INSERT INTO call_review (organisation_id, call_id, reviewer, reviewed_at, checklist_key,
    team_id, started_at, categories, question_counts, items, machine_passed, passed)
SELECT 'default', c.id, 'key:1', c.started_at + interval '1 day', 'realty_phone', c.team_id,
    c.started_at, 'expertise motivation other personal', ARRAY[{_COUNTS}],
    '{" ".join(sorted(ITEMS))}', m.bits, m.bits # f.bits
FROM calls AS c,
    LATERAL (SELECT ({_MACHINE})::bigint AS bits) AS m,
    LATERAL (SELECT ({_FLIPS})::bigint AS bits) AS f
"""
# Three calls in ten get 1-3 corrections over 20 phrasings each.
_CORRECT = """
INSERT INTO call_correction (organisation_id, call_id, target, utterance, span, phrase, item,
    category, valid, passed, machine, words, author)
SELECT 'default', r.call_id, t.target, CASE WHEN t.target = 'item' THEN NULL ELSE k END,
    CASE WHEN t.target = 'question' THEN ARRAY[0, 20] END,
    CASE WHEN t.target = 'violation' THEN 'вы должны' END,
    CASE WHEN t.target = 'item' THEN 'short_presentation' END,
    CASE WHEN t.target = 'question' AND k % 2 = 0 THEN 'personal' END,
    CASE WHEN t.target = 'item' THEN NULL WHEN k % 2 = 1 THEN false ELSE true END,
    CASE WHEN t.target = 'item' THEN true END,
    CASE t.target WHEN 'question' THEN 'expertise'
                  WHEN 'violation' THEN CASE WHEN k % 2 = 1 THEN 'violation' ELSE 'none' END
                  ELSE 'failed' END,
    'формулировка ' || (r.call_id + k) % 20, 'key:1'
FROM call_review AS r
JOIN call AS c ON c.id = r.call_id AND c.source = :source
CROSS JOIN generate_series(1, 3) AS k
CROSS JOIN LATERAL (SELECT (ARRAY['question', 'violation', 'item'])[1 + (r.call_id + k) % 3]
                    AS target) AS t
WHERE r.call_id % 10 < 3 AND k <= 1 + r.call_id % 3
"""


def _seed(db: Database, calls: int) -> float:
    """Seed the reviewed calls unless this database holds them already; seconds taken."""
    with db.session_scope() as session:
        count = session.execute(
            text("SELECT count(*) FROM call WHERE source = :s"), {"s": SOURCE}
        ).scalar_one()
        if count == calls:
            return 0.0
        began = time.perf_counter()
        session.execute(text("DELETE FROM call WHERE source = :s"), {"s": SOURCE})
        session.execute(text(_SEED), {"calls": calls})
        session.execute(text(_CORRECT), {"source": SOURCE})
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("VACUUM ANALYZE call, call_review, call_correction")
        )
    return time.perf_counter() - began


def _timed(work: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    for _ in range(5):
        result = work()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - began) * 1000)
    return sorted(times), result


def _p95(times: list[float]) -> float:
    return times[max(0, math.ceil(0.95 * len(times)) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", help="an admin URL of a server of your own")
    parser.add_argument("--database", default="callqa_bench_calibration")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/callqa-bench"))
    parser.add_argument("--calls", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    server = args.database_url or start_embedded(args.data_dir)
    ensure_database(server, args.database)
    db = Database.from_url(with_database(server, args.database), pool_size=1, max_overflow=0)
    migrate.upgrade(db.engine)
    with db.session_scope() as session:
        store_builtins(session)
    seeded = _seed(db, args.calls)
    rng = random.Random(1)
    now = datetime.now(UTC)

    def report(**filters: Any) -> dict[str, Any]:
        with db.session_scope() as session:
            found = calibration.report(session, "realty_phone", **filters)
        orjson.dumps(found, option=orjson.OPT_NON_STR_KEYS)
        return found

    def window() -> dict[str, Any]:
        days = rng.randint(7, 90)
        end = now - timedelta(days=rng.randint(0, 270))
        return report(start=(end - timedelta(days=days)).isoformat(), end=end.isoformat())

    cases: dict[str, Callable[[], dict[str, Any]]] = {
        "year": report,
        "team": lambda: report(team_id=f"t{rng.randint(0, 4)}"),
        "window": window,
    }
    when = f"seeded in {seeded:.1f} s" if seeded else "seeded before"
    print(f"{args.calls:,} reviewed calls ({when}), {args.runs} runs each")
    year_p95 = 0.0
    for name, work in cases.items():
        times, found = _timed(work, args.runs)
        p95 = _p95(times)
        year_p95 = p95 if name == "year" else year_p95
        print(
            f"{name:7} p50 {times[len(times) // 2]:7.2f}   p95 {p95:7.2f}   max {times[-1]:7.2f} ms"
            f"   (last run: {found['reviewed_calls']:,} calls)"
        )
    verdict = "PASS" if year_p95 <= TARGET_MS else "MISS"
    print(f"target year p95 <= {TARGET_MS:.0f} ms: {verdict}")
    print(f"load average (1, 5, 15 min): {os.getloadavg()}, cores: {os.cpu_count()}")
    db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
