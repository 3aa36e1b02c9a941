"""A table's valid rows staged in a temporary table, then merged into the store by set-based SQL:
memory stays bounded by one chunk of rows, however large the file."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import Column, Integer, MetaData, String, func, select, text, true
from sqlalchemy import Table as SqlTable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlmodel import Session
from sqlmodel.sql.sqltypes import AutoString

from .rows import Table


class Stage:
    """A temporary table holding one table's validated rows with their row numbers: repeated keys
    are found and the rows merged (inserted or replacing) by SQL. Plain columns are bulk-copied
    (COPY on PostgreSQL); others go through SQLAlchemy so their types convert as usual."""

    def __init__(self, session: Session, table: Table):
        self.session, self.table, self.rows, self.t = session, table, 0, None
        self.dialect = session.get_bind().dialect.name
        self.merged = False

    def create(self, columns: list[str]) -> None:
        target = self.table.model.__table__
        self.columns = columns
        self.t = SqlTable(f"stage_{self.table.name}", MetaData(),
                          *[Column(c, target.c[c].type) for c in columns], Column("_row", Integer),
                          prefixes=["TEMPORARY"])
        # SQLite runs DDL outside the import's transaction: a refused import's rollback brings
        # back the staged table it dropped, on a connection the pool hands to the next import.
        self.session.execute(text(f"DROP TABLE IF EXISTS {self.t.name}"))
        self.t.create(self.session.connection())
        self.plain = all(isinstance(target.c[c].type, (Integer, String, AutoString)) for c in columns)

    def add(self, chunk: list[tuple[int, dict]]) -> None:
        if not chunk:
            return
        if self.t is None:
            self.create(list(chunk[0][1]))
        self.rows += len(chunk)
        if not self.plain:
            self.session.execute(self.t.insert(), [{**r, "_row": n} for n, r in chunk])
            return
        dbapi = self.session.connection().connection.driver_connection
        names = ", ".join(f'"{c}"' for c in [*self.columns, "_row"])
        if self.dialect == "postgresql":
            with dbapi.cursor() as cur, cur.copy(f"COPY {self.t.name} ({names}) FROM STDIN") as copy:
                for n, r in chunk:
                    copy.write_row((*r.values(), n))
        else:
            marks = ", ".join("?" * (len(self.columns) + 1))
            dbapi.executemany(f"INSERT INTO {self.t.name} ({names}) VALUES ({marks})",
                              [(*r.values(), n) for n, r in chunk])

    def repeats(self) -> Iterator[tuple[int, int, tuple]]:
        """(row, first row, key) of each row whose key an earlier row of the file holds."""
        if self.t is None:
            return
        key = [self.t.c[k] for k in self.table.key]
        nullable = any(self.table.model.__table__.c[k].nullable for k in self.table.key)
        updates = any(c not in self.table.key for c in self.columns)  # else the merge skips a repeat
        if not nullable and updates and self.dialect == "postgresql":  # the merge itself refuses a repeated key
            nested = self.session.begin_nested()
            try:
                self.merge()
                nested.commit()
                self.merged = True
                return
            except DBAPIError as e:
                if getattr(e.orig, "sqlstate", None) != "21000":  # cardinality_violation
                    raise
                nested.rollback()
        elif not nullable:  # a unique index says at once that no key repeats
            nested = self.session.begin_nested()
            try:
                self.session.execute(text(f"CREATE UNIQUE INDEX {self.t.name}_key ON {self.t.name} "
                                          f"({', '.join(chr(34) + k + chr(34) for k in self.table.key)})"))
                nested.commit()
                return
            except (IntegrityError, ProgrammingError):
                nested.rollback()
        first = func.min(self.t.c._row).over(partition_by=key).label("first")
        ranked = select(self.t.c._row, first, *key).subquery()
        rows = self.session.execute(select(ranked).where(ranked.c._row != ranked.c.first).order_by(ranked.c._row)
                                    .execution_options(yield_per=1000))  # streamed: a file may repeat every row
        for r in rows:
            yield r[0], r[1], tuple(r[2:])

    def merge(self) -> None:
        if self.t is None or self.merged:
            return
        cols = self.columns
        ins = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(self.table.model)
        ins = ins.from_select(cols, select(*[self.t.c[c] for c in cols]).where(true()))  # keys are unique here
        rest = [c for c in cols if c not in self.table.key]
        stmt = ins.on_conflict_do_update(index_elements=list(self.table.key),
                                         set_={c: ins.excluded[c] for c in rest}) if rest else \
            ins.on_conflict_do_nothing(index_elements=list(self.table.key))
        self.session.execute(stmt)
        self.session.flush()

    def drop(self) -> None:
        if self.t is not None:
            self.t.drop(self.session.connection())
