"""`callqa serve --workers 2` as a real process: /metrics sums what both workers counted, in a
PROMETHEUS_MULTIPROC_DIR emptied at start, and stderr carries one JSON line per request
(uvicorn's own access log is gone) with no transcript text."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import call_payload
from tests.e2e.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
CALLQA = Path(sys.executable).parent / "callqa"
PHRASE = "Какой район вы рассматриваете"
CALLS = 24


def _created(base_url: str) -> float:
    text = httpx.get(f"{base_url}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "callqa_calls_ingested_total" and sample.labels == {
                "outcome": "created"
            }:
                return sample.value
    return 0.0


def _post(base_url: str, body: dict[str, Any]) -> int:
    # A client per call: a new connection, which either worker may accept.
    with httpx.Client(timeout=60) as client:
        return client.post(f"{base_url}/v1/calls", json=body).status_code


def test_two_workers_add_up_their_metrics_and_log_one_json_line_per_request(
    make_scratch_database: Any, tmp_path: Path
) -> None:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"left by an earlier run")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "serve.log"
    with make_scratch_database("observability") as url, log_path.open("w") as log:
        env = dict(os.environ, CALLQA_DATABASE_URL=url, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir))
        process = subprocess.Popen(
            [str(CALLQA), "serve", "--port", str(port), "--workers", "2"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 90
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, log_path.read_text()
                time.sleep(0.2)
            assert not (metrics_dir / "counter_1.db").exists()

            with ThreadPoolExecutor(8) as pool:
                bodies = [call_payload() for _ in range(CALLS)]
                statuses = list(pool.map(lambda b: _post(base_url, b), bodies))
            assert statuses == [201] * CALLS
            # Every scrape, whichever worker answers it, sees the calls of both.
            assert [_created(base_url) for _ in range(4)] == [float(CALLS)] * 4
            pids = {p.stem.rsplit("_", 1)[1] for p in metrics_dir.glob("*.db")}
            assert len(pids) >= 2, sorted(metrics_dir.iterdir())  # both workers wrote there
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)

    lines = log_path.read_text().splitlines()
    requests = [json.loads(line) for line in lines if line.startswith('{"event": "request"')]
    posted = [r for r in requests if (r["method"], r["route"]) == ("POST", "/v1/calls")]
    assert len(posted) == CALLS
    assert {r["status"] for r in posted} == {201}
    assert len({r["request_id"] for r in posted}) == CALLS
    assert all(r["duration_ms"] > 0 for r in posted)
    assert not [line for line in lines if '"POST /v1/calls HTTP/1.1"' in line]  # uvicorn's
    assert PHRASE not in log_path.read_text()
