"""Call page latency: GET /calls/{id} for a stored 1,500-word call, load and render apart.

What it measures
----------------
* Data: one realty call of `--words` (1,500) spoken words built by bench/engine.py's
  `build_call` (seeded, so every run stores the same call), scored and stored through the real
  ingest service once (a later run finds it by its external_id).
* `--runs` (200) requests' worth of work, one at a time, through the real service functions
  the endpoint runs (no HTTP): `load` reads the call in its own session scope
  (app.services.call_page.load_call), `render` builds the view and renders the Jinja2 template
  (render_call_page), `page` is both, `review` renders the page with a reviewer's forms (as
  opened through a review share link). p50, p95 and max in ms; 10 warm-up runs first.
* The page size, the call's utterances, questions and forbidden phrases, and the load average
  (other work on the machine's cores skews the figures).

Target (printed as PASS/MISS, never asserted): page p95 <= 50 ms.

Run it
------
    uv run python bench/call_page.py                  # embedded PostgreSQL in /tmp/callqa-bench
    uv run python bench/call_page.py --database-url postgresql://...   # a server of your own
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/call_page.py` puts bench/, not the root, first
    sys.path.insert(0, str(ROOT))

from app.db import migrate  # noqa: E402
from app.db.embedded import start_embedded  # noqa: E402
from app.db.session import Database  # noqa: E402
from app.services import ingest  # noqa: E402
from app.services.call_page import ReviewForms, load_call, render_call_page  # noqa: E402
from app.services.schemas import CallIn  # noqa: E402
from bench.engine import build_call  # noqa: E402

TARGET_MS = 50.0


def _store(db: Database, words: int) -> int:
    text, spoken, _ = build_call(words, seed=1)
    call = CallIn.model_validate(
        {
            "source": "bench",
            "external_id": f"call-page-{words}",
            "manager_id": "bench-manager",
            "started_at": "2026-03-02T10:00:00+03:00",
            "duration_s": spoken / 2.5,  # ~150 words a minute
            "transcript": text,
        }
    )
    with db.session_scope() as session:
        return ingest.ingest_call(session, call).id


def _timed(work: Callable[[], Any], runs: int) -> tuple[list[float], Any]:
    for _ in range(10):
        result = work()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - began) * 1000)
    return sorted(times), result


def _figures(times: list[float]) -> str:
    p95 = times[max(0, math.ceil(0.95 * len(times)) - 1)]
    return f"p50 {times[len(times) // 2]:7.2f}   p95 {p95:7.2f}   max {times[-1]:7.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--database-url", default=os.environ.get("CALLQA_DATABASE_URL"))
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/callqa-bench"))
    parser.add_argument("--words", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    url = args.database_url or start_embedded(args.data_dir)
    db = Database.from_url(url, pool_size=1, max_overflow=0)
    migrate.upgrade(db.engine)
    call_id = _store(db, args.words)

    def load() -> dict[str, Any]:
        with db.session_scope() as session:
            return load_call(session, call_id)

    loads, call = _timed(load, args.runs)
    renders, page = _timed(lambda: render_call_page(call), args.runs)
    pages, _ = _timed(lambda: render_call_page(load()), args.runs)
    forms = ReviewForms(f"/calls/{call_id}/corrections?share=bench", "csrf-bench")
    reviews, review_page = _timed(lambda: render_call_page(call, "", forms), args.runs)
    db.dispose()

    score = call["score"]
    print(
        f"call #{call_id}: {score['metrics']['words']} words, {len(call['utterances'])} "
        f"utterances, {len(score['questions'])} questions, {len(score['violations'])} "
        f"forbidden phrases; page {len(page.encode()) / 1024:.0f} KiB"
    )
    print(f"load    {_figures(loads)}")
    print(f"render  {_figures(renders)}")
    print(f"page    {_figures(pages)}")
    print(f"review  {_figures(reviews)} (render with forms; {len(review_page) / 1024:.0f} KiB)")
    p95 = pages[max(0, math.ceil(0.95 * len(pages)) - 1)]
    print(f"target page p95 <= {TARGET_MS:.0f} ms: {'PASS' if p95 <= TARGET_MS else 'MISS'}")
    print(f"load average (1, 5, 15 min): {os.getloadavg()}, cores: {os.cpu_count()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
