"""Dependencies, declared once as Annotated aliases so routers read like a list of use cases.

Database work runs through `Transactions`: a unit of work goes to the worker thread pool as a
whole, from its first statement to its COMMIT, in one thread call. A transaction therefore
never holds row locks while it waits for a thread — the cause of the production hang, where
a batch's commit waited for a pool thread while every pool thread waited on that batch's
locks. Endpoints that use it are `async def`, so nothing else of theirs needs a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar

import anyio
from anyio import to_thread
from fastapi import Depends, Request
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from app.api.auth import Authenticator, Caller
from app.api.liveness import Liveness
from app.db.session import Database, SessionScope
from app.i18n import _
from app.metrics import DB_POOL_CHECKOUT_SECONDS, DB_POOL_TIMEOUTS
from app.services.access import Scope, grants
from app.services.errors import Forbidden
from app.settings import Settings
from app.tenancy import LOCAL, Tenant

P = ParamSpec("P")
T = TypeVar("T")


class Transactions:
    """Runs units of work in the thread pool, each begun and committed inside one thread call."""

    def __init__(
        self,
        scope: SessionScope,
        liveness: Liveness | None = None,
        probe_threads: anyio.CapacityLimiter | None = None,
    ) -> None:
        self.scope = scope
        self.liveness = liveness
        self.probe_threads = probe_threads

    async def run(
        self, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """`work(session, …)` in one transaction, committed before the thread is given back."""

        def unit(session: Session) -> T:
            return work(session, *args, **kwargs)

        return await self.in_thread(partial(self._in_scope, unit))

    async def run_scoped(
        self,
        work: Callable[Concatenate[SessionScope, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`work(scope, …)` for a use case of several short transactions (a batch's chunks)."""
        return await self.in_thread(partial(work, self.scope, *args, **kwargs))

    async def in_thread(self, work: Callable[[], T]) -> T:
        """CPU work (rendering, scoring) in the pool, counted by the liveness monitor."""
        if self.liveness is None:
            return await to_thread.run_sync(work)
        with self.liveness.task(work) as counted:
            return await to_thread.run_sync(counted)

    async def probe(self, work: Callable[[Session], T], deadline_s: float) -> T | None:
        """`work(session)` for a health probe: in threads of its own (never queued behind
        requests), None if it took longer than `deadline_s`. A probe stuck in a frozen
        database keeps its thread until the database answers; while both probe threads are
        stuck, probes answer None at once."""
        limiter = self.probe_threads or anyio.CapacityLimiter(1)
        with anyio.move_on_after(deadline_s):
            return await to_thread.run_sync(
                partial(self._in_scope, work), limiter=limiter, abandon_on_cancel=True
            )
        return None

    def _in_scope(self, work: Callable[[Session], T]) -> T:
        try:
            with self.scope() as session:
                with DB_POOL_CHECKOUT_SECONDS.time():
                    session.connection()  # the pool wait, measured on its own
                result = work(session)
        except PoolTimeout:
            DB_POOL_TIMEOUTS.inc()
            if self.liveness is not None:
                self.liveness.pool_checkout_failed()
            raise
        if self.liveness is not None:
            self.liveness.pool_checkout_worked()
        return result


def get_database(request: Request) -> Database:
    """The app's database (engine and session factory)."""
    db: Database = request.app.state.db
    return db


async def get_app_settings(request: Request) -> Settings:
    """The settings the app was built with."""
    settings: Settings = request.app.state.settings
    return settings


async def _transactions(request: Request) -> Transactions:
    """The runner for a key look-up, made only when the key cache misses (not a dependency:
    each one costs every request its resolution); a test's override of it is honoured. Keys
    and organisations are not tenant rows: the look-up runs in local mode's organisation."""
    override = request.app.dependency_overrides.get(get_transactions)
    if override is not None:
        made: Transactions = override()
        return made
    return await get_transactions(request, LOCAL)


async def current_caller(request: Request) -> Caller:
    """Who asks (app.api.auth): 401 without a usable key, share link or local mode."""
    auth: Authenticator = request.app.state.auth
    caller = await auth.caller(request, partial(_transactions, request))
    request.state.tenant = caller.tenant  # for the request log
    return caller


CallerDep = Annotated[Caller, Depends(current_caller)]


async def current_tenant(caller: CallerDep) -> Tenant:
    """Whose data this request may see: the key's organisation and teams, else local."""
    return caller.tenant


TenantDep = Annotated[Tenant, Depends(current_tenant)]


async def get_transactions(request: Request, tenant: TenantDep) -> Transactions:
    """The app's transaction runner, its transactions in the tenant's organisation for
    row-level security (tests override it with one on their own session).

    Dependencies are `async def`: FastAPI runs a plain `def` one in the thread pool, where it
    would queue behind the units of work it is meant to start."""
    state = request.app.state
    scope = partial(get_database(request).session_scope, tenant)
    return Transactions(scope, state.liveness, state.probe_threads)


TxDep = Annotated[Transactions, Depends(get_transactions)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def require(scope: Scope) -> Any:
    """The route dependency `dependencies=[require("read")]`: 403 for a key without `scope`."""

    async def check(caller: CallerDep) -> None:
        if not grants(caller.scopes, scope):
            raise Forbidden(_("this key lacks the %(scope)r scope", scope=scope))

    return Depends(check)


async def _every_team(caller: CallerDep) -> None:
    if caller.tenant.teams is not None:
        raise Forbidden(
            _(
                "this is organisation-wide (it covers every team): a key limited to teams "
                "may not use it"
            )
        )


EVERY_TEAM = Depends(_every_team)
"""The route dependency of organisation-wide settings and logs (webhooks carry every team's
events, the audit log names every team's calls, checklists and the default assignment score
every team's calls): 403 for a key limited to teams."""
