"""Database: an SQLite file by default, PostgreSQL when DATABASE_URL says so.

Money is Numeric(18, 2) on PostgreSQL. SQLite has no exact decimal type, so there money is kept
as an integer count of fen and other exact numbers as text: nothing passes through a float.
"""
from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

from sqlalchemy import BigInteger, Numeric, String, create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.types import TypeDecorator

from .canonical import plain, store_json

DEFAULT_URL = "sqlite:///countypay.db"
POSTGRES = "postgresql+psycopg"
SCHEMES = {"postgres": POSTGRES, "postgresql": POSTGRES}
"""How hosting services and libpq spell PostgreSQL; countypay talks to it through psycopg."""
EXAMPLES = "sqlite:///countypay.db or postgresql://user@host:5432/countypay"


class DatabaseURLError(ValueError):
    """A database URL countypay cannot use: the message says what is wrong and how to write it."""


def shown(url: str) -> str:
    """A URL fit to print: its password masked."""
    return re.sub(r"(://[^/:@]*:)[^/@]*@", r"\1***@", url)


def database_url(url: str | None = None) -> str:
    """The database to use: `url`, else $DATABASE_URL, else the SQLite file `countypay.db`.
    `postgres://` and `postgresql://` both mean PostgreSQL through psycopg; anything that is not
    an SQLite or PostgreSQL URL is refused here, before a file or folder is made."""
    url = (url or os.environ.get("DATABASE_URL") or DEFAULT_URL).strip()
    scheme, sep, rest = url.partition("://")
    if not sep:
        hint = ("an SQLite file is written sqlite:///relative/path.db or sqlite:////absolute/path.db"
                if scheme.startswith("sqlite") else f"write it as {EXAMPLES}")
        raise DatabaseURLError(f"{shown(url)} is not a database URL: {hint}")
    url = f"{SCHEMES.get(scheme.lower(), scheme)}://{rest}"
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        raise DatabaseURLError(f"{shown(url)} is not a database URL: write it as {EXAMPLES}") from None
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseURLError(f"{shown(url)}: countypay keeps its data in SQLite or PostgreSQL, "
                               f"not {scheme!r}; write it as {EXAMPLES}")
    return url


class Money(TypeDecorator):
    """Yuan to the fen: Numeric(18, 2), or integer fen on SQLite."""

    impl = Numeric(18, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, 2, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        if value != value.quantize(Decimal("0.01")):
            raise ValueError(f"{value} is not a whole number of fen")
        return int(value * 100) if dialect.name == "sqlite" else value.quantize(Decimal("0.01"))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))
        return Decimal(value).quantize(Decimal("0.01"))


class Exact(TypeDecorator):
    """An exact decimal (ratios, scores, prices): Numeric(28, 10), or text on SQLite."""

    impl = Numeric(28, 10)
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(28, 10, asdecimal=True))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return plain(Decimal(value))



def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.execute("PRAGMA temp_store=FILE")  # an import stages its rows in a temporary table: on disk, not in memory
    cur.close()


def make_engine(url: str | None = None, statement_timeout: float | None = None, **kwargs) -> Engine:
    """An engine for the URL. With `statement_timeout` (seconds: the server's time budget),
    PostgreSQL stops any statement that runs longer, and a connection that cannot be made within
    it fails instead of hanging (SQLite's equivalent is set per request)."""
    url = database_url(url)
    if statement_timeout and url.startswith("postgresql"):
        connect_args = dict(kwargs.pop("connect_args", None) or {})
        given = connect_args.get("options") or make_url(url).query.get("options") or ""
        connect_args["options"] = f"{given} -c statement_timeout={int(statement_timeout * 1000)}".strip()
        connect_args.setdefault("connect_timeout", max(2, round(statement_timeout)))
        kwargs["connect_args"] = connect_args
    try:
        if url.startswith("sqlite"):
            path = make_url(url).database
            if path and path != ":memory:" and not path.startswith("file:"):
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(url, json_serializer=store_json, **kwargs)
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(url, pool_pre_ping=True, json_serializer=store_json, **kwargs)
    except (NoSuchModuleError, ImportError) as e:  # a driver that is misspelt or not installed
        extra = " (install countypay[postgres] for psycopg)" if getattr(e, "name", "") == "psycopg" else ""
        raise DatabaseURLError(f"{shown(url)}: no database driver for it{extra}; write it as {EXAMPLES}") from None


def driver_rows(connection: Connection, statement) -> list[tuple]:
    """The rows of a select as plain tuples straight from the driver's cursor, for reads of
    hundreds of thousands of rows whose columns need no conversion (strings and integers):
    SQLAlchemy's Row objects would cost as much again as the database."""
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    if compiled.positional:
        params = [params[name] for name in compiled.positiontup]
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled), params)
        return cursor.fetchall()
    finally:
        cursor.close()
