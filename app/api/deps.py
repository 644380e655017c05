"""Dependencies, declared once as Annotated aliases so routers read like a list of use cases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.db.session import Database
from app.settings import Settings


def get_database(request: Request) -> Database:
    """The app's database (engine and session factory)."""
    db: Database = request.app.state.db
    return db


def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """A session per request: commits on success, rolls back on any exception."""
    with get_database(request).session_scope() as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is an error answer
# (503), never a 201 for a call that was not stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]
