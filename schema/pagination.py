"""Relay-style cursor connections with `totalCount`, over any SQL select."""
from __future__ import annotations

import base64
import json
from itertools import islice
from typing import Any, Callable, Generic, Optional, Sequence, TypeVar

import strawberry
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from .context import error

T = TypeVar("T")
MAX_PAGE = 1000
DEFAULT_PAGE = 100


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether items follow this page.")
    has_previous_page: bool = strawberry.field(description="Whether items come before this page.")
    start_cursor: Optional[str] = strawberry.field(description="The cursor of the page's first item.")
    end_cursor: Optional[str] = strawberry.field(description="The cursor of the page's last item: pass it as "
                                                             "`after` for the next page.")


@strawberry.type(description="One item of a list and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Where this item stands in the list.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list: pass `pageInfo.endCursor` as `after` for the next one.")
class Connection(Generic[T]):
    """The total is counted and the cursors made only when asked for: `nodes` needs neither."""

    items: strawberry.Private[list]
    keys: strawberry.Private[list]  # each item's values of the list's order
    after: strawberry.Private[bool]  # whether the page starts after a cursor
    more: strawberry.Private[bool]  # whether items follow this page
    count: strawberry.Private[Callable[[], int]]

    @strawberry.field(description="How many items the whole list holds.")
    def total_count(self) -> int:
        return self.count()

    @strawberry.field(description="The items of this page with their cursors.")
    def edges(self) -> list[Edge[T]]:
        return [Edge(cursor=encode(k), node=n) for k, n in zip(self.keys, self.items)]

    @strawberry.field(description="Where this page sits in the list.")
    def page_info(self) -> PageInfo:
        return PageInfo(has_next_page=self.more, has_previous_page=self.after,
                        start_cursor=encode(self.keys[0]) if self.items else None,
                        end_cursor=encode(self.keys[-1]) if self.items else None)

    @strawberry.field(description="The items of this page without their cursors.")
    def nodes(self) -> list[T]:
        return self.items


def encode(key: Sequence) -> str:
    """A cursor: the item's values of the list's order (a keyset), so a page never shifts when
    items are added before it while a client pages."""
    return base64.urlsafe_b64encode(("k:" + json.dumps(list(key), separators=(",", ":"))).encode()).decode()


def decode(cursor: str, n: int) -> list:
    try:
        kind, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        values = json.loads(key) if kind == "k" else None
        if isinstance(values, list) and len(values) == n and all(isinstance(v, (int, str)) for v in values):
            return values
    except (ValueError, UnicodeDecodeError):
        pass
    raise error("BAD_INPUT", f"{cursor!r} is not a cursor of this list")


def _column(key) -> tuple[Any, bool]:
    """(column, descending) of an ORDER BY term."""
    if isinstance(key, UnaryExpression) and key.modifier is operators.desc_op:
        return key.element, True
    return key, False


def after_key(order: Sequence, values: list):
    """Rows strictly after `values` in `order`: (a > x) or (a = x and b > y) or …"""
    terms = []
    for i, key in enumerate(order):
        col, desc = _column(key)
        beyond = col < values[i] if desc else col > values[i]
        terms.append(and_(*[_column(k)[0] == v for k, v in zip(order[:i], values[:i])], beyond))
    return or_(*terms)


def page_size(first: Optional[int]) -> int:
    first = DEFAULT_PAGE if first is None else first
    if not 0 <= first <= MAX_PAGE:
        raise error("BAD_INPUT", f"first must be between 0 and {MAX_PAGE}")
    return first


def paginate_many(session, stmt, model, parent, parents: list, order: Sequence, first: Optional[int],
                  after: Optional[str], node: Callable) -> dict[Any, Connection]:
    """The same page of `stmt` (a select of `model`) for each of `parents` (values of the column
    `parent`), in one statement: rows are numbered within each parent in `order` and the first
    `first + 1` of each kept. The totals, when asked for, are one grouped count for all."""
    first = page_size(first)
    page = stmt.where(parent.in_(parents))
    if after:
        page = page.where(after_key(order, decode(after, len(order))))
    cols = [_column(k)[0] for k in order]
    rank = func.row_number().over(partition_by=parent, order_by=list(order)).label("rank")
    ranked = page.with_only_columns(model.id, parent.label("parent"), rank).subquery()
    rows = session.execute(select(model, ranked.c.parent, *cols).join(ranked, model.id == ranked.c.id)
                           .where(ranked.c.rank <= first + 1).order_by(ranked.c.parent, ranked.c.rank))
    found: dict[Any, list] = {p: [] for p in parents}
    for r in rows:
        found[r[1]].append(r)
    counts: list[dict] = []  # filled by the first totalCount asked

    def count(p) -> int:
        if not counts:
            grouped = stmt.where(parent.in_(parents)).with_only_columns(parent, func.count()).group_by(parent)
            counts.append(dict(session.execute(grouped).all()))
        return counts[0].get(p, 0)

    return {p: Connection(items=[node(row=r[0]) for r in rs[:first]], keys=[tuple(r[2:]) for r in rs[:first]],
                          after=after is not None, more=len(rs) > first, count=lambda p=p: count(p))
            for p, rs in found.items()}


def paginate(session, stmt, order: Sequence, first: Optional[int], after: Optional[str],
             node: Callable) -> Connection:
    """One page of `stmt` in `order` (whose last term is unique, e.g. the id) as `node(row=...)`s:
    a select of one model gives each node its object, a select of columns its row. Rows are read
    one at a time, so each is freed once its node is made; one row past the page tells whether
    more follow."""
    first = page_size(first)
    page = stmt
    if after:
        page = page.where(after_key(order, decode(after, len(order))))
    n = len(order)
    rows = session.execute(page.add_columns(*[_column(k)[0] for k in order]).order_by(*order).limit(first + 1))
    items, keys = [], []
    for r in islice(rows, first):
        items.append(node(row=r[0] if len(r) == n + 1 else r[:-n]))
        keys.append(tuple(r[-n:]))
    count = select(func.count()).select_from(stmt.subquery())
    return Connection(items=items, keys=keys, after=after is not None, more=rows.first() is not None,
                      count=lambda: session.execute(count).scalar_one())
