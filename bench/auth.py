"""What authentication adds to a request: the same trivial route with and without
`require("read")`, called through the ASGI app in-process (no network, no database: the key is
served from the authenticator's cache, as it is for all but one request per CALLQA_KEY_CACHE_S),
with a valid key and rate limit high enough never to refuse. Target (printed, never asserted):
<= 0.2 ms per request.

    uv run python bench/auth.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import httpx
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.api.auth import Authenticator  # noqa: E402
from app.api.deps import TenantDep, require  # noqa: E402
from app.services import access  # noqa: E402
from app.services.access import KeyInfo  # noqa: E402
from app.settings import Settings  # noqa: E402

SECRET = "cq_" + "k" * 43
KEY = KeyInfo(1, "default", frozenset({"read"}), None, revoked=False, rate_limit=10**9)


def build() -> FastAPI:
    app = FastAPI()
    auth = Authenticator(Settings(database_url="postgresql://unused/x", key_cache_s=300))
    # The key as the one database look-up per cache period left it (no database here; a
    # dependency override instead would make FastAPI re-inspect it on every request).
    auth._keys[access.digest(SECRET)] = (time.monotonic(), KEY)
    app.state.auth = auth
    app.state.db = SimpleNamespace(session_scope=None)
    app.state.liveness = app.state.probe_threads = None

    @app.get("/open")
    async def open_route() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/keyed", dependencies=[require("read")])
    async def keyed_route(tenant: TenantDep) -> dict[str, str]:
        return {"ok": tenant.organisation_id}

    return app


async def per_request_us(client: httpx.AsyncClient, path: str, n: int) -> float:
    headers = {"Authorization": f"Bearer {SECRET}"}
    started = time.perf_counter()
    for _ in range(n):
        answer = await client.get(path, headers=headers)
        assert answer.status_code == 200, answer.text
    return (time.perf_counter() - started) / n * 1e6


async def main(n: int, rounds: int) -> None:
    transport = httpx.ASGITransport(app=build())
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        await per_request_us(client, "/keyed", 200)  # warm the cache and the code paths
        opened, keyed = [], []
        for _ in range(rounds):
            opened.append(await per_request_us(client, "/open", n))
            keyed.append(await per_request_us(client, "/keyed", n))
    o, k = statistics.median(opened), statistics.median(keyed)
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    print(f"route without auth: {o:.1f} us/request (median of {rounds} x {n})")
    print(f"route with require('read') and a Bearer key: {k:.1f} us/request")
    print(f"auth adds {(k - o) / 1000:.3f} ms per request (target <= 0.2 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.rounds))
