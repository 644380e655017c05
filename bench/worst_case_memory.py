"""Peak memory of one worker under the worst requests the limits allow, four at a time.

`callqa serve --workers 1` on a fresh embedded PostgreSQL (or CALLQA_DATABASE_URL when set).
Seeded with `--seed-calls` calls of one manager spread over the largest day window that
CALLQA_MAX_BUCKETS allows (1,000 days), and one call of the largest allowed size
(CALLQA_MAX_WORDS words, default 60,000). Then `--clients` clients at once, each `--rounds`
times: the manager's report by day over that whole window (JSON, then HTML), a GET of the
largest call, and a POST of a new copy of it. The worker's RSS is sampled every 50 ms;
printed: its RSS before, the highest sample, the kernel's peak (VmHWM), and the answers.
Target (printed, never asserted): peak RSS < 400 MB.

    uv run python bench/worst_case_memory.py
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.services.scoring import word_count  # noqa: E402
from app.settings import Settings  # noqa: E402
from bench.engine import build_call  # noqa: E402
from bench.ingest import served  # noqa: E402

FIRST_DAY = datetime(2024, 1, 1, 9, tzinfo=UTC)
TARGET_MB = 400


def largest_call(max_words: int) -> str:
    """A plain-text call of at most `max_words` words as CALLQA_MAX_WORDS counts them."""
    text, _, _ = build_call(max_words, seed=7)
    lines = text.splitlines()
    while word_count("\n".join(lines)) > max_words:
        lines.pop(-2)  # keep the closing line
    return "\n".join(lines)


def call_body(transcript: str, started_at: datetime, manager: str = "m-mem") -> dict[str, Any]:
    return {
        "external_id": f"mem-{uuid.uuid4()}",
        "manager_id": manager,
        "team_id": "t-mem",
        "started_at": started_at.isoformat(),
        "transcript": transcript,
    }


def rss_mb(pid: int) -> float:
    return float(psutil.Process(pid).memory_info().rss) / 2**20


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed-calls", type=int, default=500)
    args = parser.parse_args()
    settings = Settings()
    days = settings.max_buckets
    transcript = largest_call(settings.max_words)
    print(
        f"largest call: {word_count(transcript)} words, {len(transcript.encode()) / 2**20:.1f} MB"
    )
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")

    with served(1) as (url, pid):
        small, _, _ = build_call(300, seed=1)
        step = timedelta(days=days) / args.seed_calls
        seed = [call_body(small, FIRST_DAY + i * step) for i in range(args.seed_calls)]
        with httpx.Client(base_url=url, timeout=300) as client:
            for start in range(0, len(seed), 250):
                assert client.post("/v1/calls/batch", json={"calls": seed[start : start + 250]})
            stored = client.post("/v1/calls", json=call_body(transcript, FIRST_DAY))
            assert stored.status_code == 201, stored.text
            call_url = stored.headers["location"]
        window = {
            "bucket": "day",
            "from": FIRST_DAY.date().isoformat(),
            "to": (FIRST_DAY + timedelta(days=days - 1)).date().isoformat(),
        }
        before = rss_mb(pid)
        samples: list[float] = []
        answers: list[tuple[str, int, int]] = []
        lock = threading.Lock()
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(rss_mb(pid))
                time.sleep(0.05)

        def client_loop(n: int) -> None:
            with httpx.Client(base_url=url, timeout=300) as client:
                for _ in range(args.rounds):
                    steps = [
                        (
                            "report json",
                            lambda: client.get("/v1/managers/m-mem/report", params=window),
                        ),
                        (
                            "report html",
                            lambda: client.get(
                                "/v1/managers/m-mem/report", params={**window, "format": "html"}
                            ),
                        ),
                        ("GET call", lambda: client.get(call_url)),
                        (
                            "POST call",
                            lambda: client.post("/v1/calls", json=call_body(transcript, FIRST_DAY)),
                        ),
                    ]
                    for i in range(len(steps)):  # each client starts at another step
                        name, send = steps[(i + n) % len(steps)]
                        response = send()
                        with lock:
                            answers.append((name, response.status_code, len(response.content)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.monotonic()
        clients = [threading.Thread(target=client_loop, args=(n,)) for n in range(args.clients)]
        for c in clients:
            c.start()
        for c in clients:
            c.join()
        done.set()
        elapsed = time.monotonic() - began
        peak = peak_mb(pid)

    by_kind: dict[str, list[tuple[int, int]]] = {}
    for name, status, size in answers:
        by_kind.setdefault(name, []).append((status, size))
    for name, seen in sorted(by_kind.items()):
        statuses = sorted({s for s, _ in seen})
        largest = max(size for _, size in seen) / 2**20
        print(f"{name:12} {len(seen):3} answers, statuses {statuses}, largest {largest:.1f} MB")
    print(f"{args.clients} clients x {args.rounds} rounds in {elapsed:.1f} s")
    print(f"worker RSS before {before:.0f} MB, highest sample {max(samples):.0f} MB")
    verdict = "PASS" if peak < TARGET_MB else "MISS"
    print(f"worker peak RSS (VmHWM) {peak:.0f} MB  (target < {TARGET_MB} MB: {verdict})")


if __name__ == "__main__":
    main()
