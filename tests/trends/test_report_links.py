"""The trainer report's calls open the call page, absolutely when CALLQA_PUBLIC_URL is set, so
a report saved as a file still opens them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.deps import Transactions, get_transactions
from app.db.session import SessionScope
from app.settings import Settings
from tests.trends.conftest import Ingest, realty_call

PARAMS = {"from": "2026-03-02", "to": "2026-03-09", "format": "html"}


@pytest.fixture
def public_client(settings: Settings, session_scope: SessionScope) -> Iterator[TestClient]:
    """A client of the app configured with CALLQA_PUBLIC_URL=https://qa.example.ru/callqa/."""
    app = create_app(settings.model_copy(update={"public_url": "https://qa.example.ru/callqa/"}))
    app.dependency_overrides[get_transactions] = lambda: Transactions(session_scope)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _stored(store: Ingest) -> dict[str, Any]:
    return store(
        realty_call(4, forbidden=1), started_at="2026-03-03T10:00:00+00:00", manager_id="m-link"
    )


def test_the_report_links_its_calls_to_the_call_page_at_the_phrase(
    client: TestClient, store: Ingest
) -> None:
    call = _stored(store)
    said = call["score"]["violations"][0]["utterance"]

    page = client.get("/v1/managers/m-link/report", params=PARAMS).text

    assert (
        f"<a href='/calls/{call['id']}#u{said}'>звонок #{call['id']}, реплика {said + 1}</a>"
        in page
    )
    assert f"<a href='/calls/{call['id']}'>#{call['id']}</a>" in page
    assert "/v1/calls/" not in page
    assert client.get(f"/calls/{call['id']}").text.count(f'id="u{said}"') == 1


def test_with_a_public_url_the_report_and_the_call_page_link_absolutely(
    public_client: TestClient, store: Ingest
) -> None:
    call = _stored(store)

    report = public_client.get("/v1/managers/m-link/report", params=PARAMS).text
    page = public_client.get(f"/calls/{call['id']}").text

    links = re.findall(r"href='([^'#]+)", report)
    assert links and set(links) == {f"https://qa.example.ru/callqa/calls/{call['id']}"}
    assert 'href="https://qa.example.ru/callqa/v1/managers/m-link/report?format=html"' in page
