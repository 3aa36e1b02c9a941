"""Per-request context: the database session, the viewer, DataLoaders, and error helpers."""
from __future__ import annotations

import contextvars
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from graphql import GraphQLError
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session
from strawberry.dataloader import DataLoader

from countypay import approval, models
from countypay.attainment import Goals
from countypay.auth import Viewer

_open_sessions: contextvars.ContextVar[list] = contextvars.ContextVar("countypay_sessions")


# Every `extensions.code` an answer can carry (GraphQL and HTTP level), with what it means; the
# table in docs/front-end.md lists the same codes (a test holds them equal).
CODES = {
    "UNAUTHENTICATED": "no token, or one unknown, expired or revoked, where data needs one",
    "FORBIDDEN": "the token may not read or change this",
    "NOT_FOUND": "no such county, settlement, indicator or prefecture, or one the token may not see",
    "BAD_INPUT": "an argument is wrong (a NUL byte, a search too long, a bad cursor or page size, first with last)",
    "CONFLICT": "the change contradicts what is stored",
    "TOO_COSTLY": "the query would cost more than the token's budget",
    "GRAPHQL_PARSE_FAILED": "the query is not GraphQL",
    "GRAPHQL_VALIDATION_FAILED": "the query does not fit the schema or its depth, alias and token limits",
    "BAD_REQUEST": "the HTTP request is malformed",
    "TOO_LARGE": "the body is over the size limit",
    "METHOD_NOT_ALLOWED": "a mutation by GET, or a method the address does not take",
    "UNSUPPORTED_MEDIA_TYPE": "a body that is not JSON",
    "NOT_ACCEPTABLE": "an Accept header the server cannot answer",
    "TIMEOUT": "the request ran past its time budget",
    "UNAVAILABLE": "the database cannot be reached; retry shortly",
    "INTERNAL": "a fault on the server",
}


def error(code: str, message: str) -> GraphQLError:
    """A GraphQL error with a stable `code` extension that clients can switch on."""
    assert code in CODES, code
    return GraphQLError(message, extensions={"code": code})


def _by_id(session_of: Callable[[], Session], model) -> DataLoader:
    async def load(ids: list[int]) -> list[Any]:
        rows = {r.id: r for r in session_of().exec(select(model).where(model.id.in_(ids))).scalars()}
        return [rows.get(i) for i in ids]
    return DataLoader(load_fn=load)


def _many(session_of: Callable[[], Session], model, column: str, order: str = "id") -> DataLoader:
    async def load(keys: list[int]) -> list[list[Any]]:
        col = getattr(model, column)
        grouped: dict[int, list] = defaultdict(list)
        for r in session_of().exec(select(model).where(col.in_(keys)).order_by(getattr(model, order))).scalars():
            grouped[getattr(r, column)].append(r)
        return [grouped.get(k, []) for k in keys]
    return DataLoader(load_fn=load)


def _by_code(session_of: Callable[[], Session], model) -> DataLoader:
    """Rows by (county id, code), e.g. communities' lead institutions."""
    async def load(keys: list[tuple[int, str]]) -> list[Any]:
        rows = session_of().exec(select(model).where(model.county_id.in_({k[0] for k in keys}),
                                                     model.code.in_({k[1] for k in keys}))).scalars()
        found = {(r.county_id, r.code): r for r in rows}
        return [found.get(k) for k in keys]
    return DataLoader(load_fn=load)


def _chains(session_of: Callable[[], Session]) -> DataLoader:
    """Each run's chain (approval.Chain): its steps, its county's levels, whether it is current."""
    async def load(ids: list[int]) -> list[approval.Chain]:
        runs = list(session_of().exec(select(models.SettlementRun).where(models.SettlementRun.id.in_(ids))).scalars())
        chains = approval.chains(session_of(), runs)
        return [chains[i] for i in ids]
    return DataLoader(load_fn=load)


@dataclass
class Context:
    engine: Engine
    viewer: Viewer
    request: Any = None
    _session: Optional[Session] = None
    loaders: dict[str, DataLoader] = field(default_factory=dict)

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = open_session(self.engine)
        return self._session

    @property
    def goals(self) -> Goals:
        """The benchmarks and targets this request reads, each looked up once."""
        if "goals" not in self.loaders:
            self.loaders["goals"] = Goals(self.session)
        return self.loaders["goals"]

    def loader(self, name: str) -> DataLoader:
        if name not in self.loaders:
            s = lambda: self.session  # noqa: E731
            self.loaders[name] = {
                "province": lambda: _by_id(s, models.Province),
                "county": lambda: _by_id(s, models.County),
                "community": lambda: _by_id(s, models.Community),
                "institution": lambda: _by_id(s, models.Institution),
                "indicator": lambda: _by_id(s, models.Indicator),
                "run": lambda: _by_id(s, models.SettlementRun),
                "institution_code": lambda: _by_code(s, models.Institution),
                "communities": lambda: _many(s, models.Community, "county_id", "code"),
                "team": lambda: _many(s, models.UnitMember, "unit_id"),
                "populations": lambda: _many(s, models.UnitPopulation, "unit_id", "group"),
                "lines": lambda: _many(s, models.SettlementLine, "run_id", "seq"),
                "prefecture": lambda: _by_id(s, models.Prefecture),
                "chain": lambda: _chains(s),
            }[name]()
        return self.loaders[name]

    def pages(self, key: tuple, load: Callable[[list], dict]) -> DataLoader:
        """A DataLoader of one list field with one set of arguments (`key`): `load(parents)`
        answers every parent's page at once, so a level of a query costs one statement."""
        if key not in self.loaders:
            async def batch(parents: list) -> list:
                found = load(parents)
                return [found[p] for p in parents]
            self.loaders[key] = DataLoader(load_fn=batch)
        return self.loaders[key]

    # ---- access
    def readable(self) -> Optional[set[int]]:
        return self.viewer.readable()

    def signed_in(self) -> None:
        """County data answers a caller without a token UNAUTHENTICATED, so a screen asks it to sign
        in, rather than an empty list it cannot tell from a county with nothing."""
        if self.viewer.role == "anonymous":
            raise self.denied()

    def require_read(self, county_id: int) -> None:
        if not self.viewer.may_read(county_id):
            raise self.denied()

    def require_write(self, county_id: int) -> None:
        if not self.viewer.may_write(county_id):
            if self.viewer.role == "anonymous":
                raise error("UNAUTHENTICATED", "a county token is needed to change anything")
            raise error("FORBIDDEN", "this token may not change this county's data")

    def require_act(self, county_id: int) -> None:
        """Acting in the approval chain: a token of a level (county, prefecture, supervisor) over the county."""
        if not self.viewer.may_act(county_id):
            if self.viewer.role == "anonymous":
                raise error("UNAUTHENTICATED", "a token is needed to approve or send back settlements")
            raise error("FORBIDDEN", "this token may not approve, send back or reopen settlements")

    def county(self, code: str, runs: bool = False) -> models.County:
        """A county by code; one the viewer may not read looks the same as one that is missing.
        With `runs`, a county whose runs the viewer may see (an institution's own) will do."""
        row = self.session.exec(select(models.County).where(models.County.code == code)).scalars().first()
        if row is None or not (self.viewer.sees_runs(row.id) if runs else self.viewer.may_read(row.id)):
            if row is not None and self.viewer.role == "anonymous":
                raise self.denied()
            if row is not None and self.viewer.sees_runs(row.id):
                raise error("FORBIDDEN", "this token reads only its institution's settlement lines")
            raise error("NOT_FOUND", f"no county {code!r}")
        return row

    def denied(self) -> GraphQLError:
        if self.viewer.role == "anonymous":
            return error("UNAUTHENTICATED", "a token is needed to read county data (Authorization: Bearer …)")
        return error("FORBIDDEN", "this token may not read this county")

    def restrict(self, stmt, county_column, runs: bool = False):
        """Limit a query to the counties the viewer may read (with `runs`: whose runs it may see);
        without a token, UNAUTHENTICATED."""
        self.signed_in()
        ids = self.viewer.run_counties() if runs else self.readable()
        return stmt if ids is None else stmt.where(county_column.in_(ids or {-1}))


def open_session(engine: Engine) -> Session:
    """A session closed with the request (see track_sessions)."""
    session = Session(engine, expire_on_commit=False)
    sessions = _open_sessions.get(None)
    if sessions is not None:
        sessions.append(session)
    return session


def track_sessions() -> contextvars.Token:
    return _open_sessions.set([])


def close_sessions(token: contextvars.Token) -> None:
    for s in _open_sessions.get([]):
        s.close()
    _open_sessions.reset(token)
