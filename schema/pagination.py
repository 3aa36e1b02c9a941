"""Relay-style cursor connections with `totalCount`, over any SQL select."""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from itertools import islice
from typing import Any, Callable, Generic, Optional, Sequence, TypeVar

import strawberry
from graphql import VariableNode
from sqlalchemy import and_, func, or_, select
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from .context import error

T = TypeVar("T")
MAX_PAGE = 1000
DEFAULT_PAGE = 100


@strawberry.type(description="Where a page sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether items follow this page (for a page asked "
                                                       "`before` a cursor: true).")
    has_previous_page: bool = strawberry.field(description="Whether items come before this page (for a page asked "
                                                           "`after` a cursor: true).")
    start_cursor: Optional[str] = strawberry.field(description="The cursor of the page's first item: pass it as "
                                                               "`before`, with `last`, for the page before.")
    end_cursor: Optional[str] = strawberry.field(description="The cursor of the page's last item: pass it as "
                                                             "`after` for the next page.")


@strawberry.type(description="One item of a list and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Where this item stands in the list.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list: pass `pageInfo.endCursor` as `after` for the next one, "
                             "`pageInfo.startCursor` as `before` (with `last`) for the one before.")
class Connection(Generic[T]):
    """The total is counted and the cursors made only when asked for: `nodes` needs neither."""

    items: strawberry.Private[list]
    keys: strawberry.Private[list]  # each item's values of the list's order
    previous: strawberry.Private[bool]  # whether items come before this page
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
        return PageInfo(has_next_page=self.more, has_previous_page=self.previous,
                        start_cursor=encode(self.keys[0]) if self.items else None,
                        end_cursor=encode(self.keys[-1]) if self.items else None)

    @strawberry.field(description="The items of this page without their cursors.")
    def nodes(self) -> list[T]:
        return self.items


@dataclass(frozen=True)
class Page:
    """What a client asks of a connection: `size` items from the start of what lies between the
    cursors `after` and `before`, or with `backward` (`last`) from its end."""

    size: int = DEFAULT_PAGE
    backward: bool = False
    after: Optional[str] = None
    before: Optional[str] = None

    def edges(self, found: int) -> tuple[bool, bool]:
        """(hasPreviousPage, hasNextPage) of a page that found `found` rows where it asked for
        `size + 1`, as Relay's spec reckons them: the far side is known from the extra row, the
        near side from a cursor given there."""
        beyond = found > self.size
        return (beyond, self.before is not None) if self.backward else (self.after is not None, beyond)


def _given(info, name: str) -> bool:
    """Whether the query passes argument `name` itself (not through its default): graphql-core's
    resolve info keeps the field as written, strawberry's only by this name."""
    raw = info._raw_info
    for arg in raw.field_nodes[0].arguments or ():
        if arg.name.value == name:
            v = arg.value
            return not isinstance(v, VariableNode) or raw.variable_values.get(v.name.value) is not None
    return False


def page_of(info, first: Optional[int], after: Optional[str], last: Optional[int], before: Optional[str]) -> Page:
    """The page asked for; `first` and `last` together are refused (BAD_INPUT), a size beyond
    0–MAX_PAGE too. `first` has a default (100), which `last` replaces."""
    if last is not None and first is not None and _given(info, "first"):
        raise error("BAD_INPUT", "first and last: ask for one of them (first with after, last with before)")
    name, size = ("last", last) if last is not None else ("first", DEFAULT_PAGE if first is None else first)
    if not 0 <= size <= MAX_PAGE:
        raise error("BAD_INPUT", f"{name} must be between 0 and {MAX_PAGE}")
    return Page(size, last is not None, after, before)


def encode(key: Sequence) -> str:
    """A cursor: the item's values of the list's order (a keyset), so a page never shifts when
    items are added before it while a client pages."""
    return base64.urlsafe_b64encode(("k:" + json.dumps(list(key), separators=(",", ":"))).encode()).decode()


def decode(cursor: str, n: Optional[int]) -> list:
    try:
        kind, _, key = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        values = json.loads(key) if kind == "k" else None
        if isinstance(values, list) and len(values) == (n or len(values)) \
                and all(isinstance(v, (int, str)) for v in values):
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


def reverse(order: Sequence) -> tuple:
    """The same order, backwards."""
    return tuple(col if desc else col.desc() for col, desc in map(_column, order))


def between(stmt, order: Sequence, page: Page):
    """`stmt` narrowed to the rows after `page.after` and before `page.before` in `order`."""
    if page.after:
        stmt = stmt.where(after_key(order, decode(page.after, len(order))))
    if page.before:
        stmt = stmt.where(after_key(reverse(order), decode(page.before, len(order))))
    return stmt


def paginate_many(session, stmt, model, parent, parents: list, order: Sequence, page: Page,
                  node: Callable) -> dict[Any, Connection]:
    """The same page of `stmt` (a select of `model`) for each of `parents` (values of the column
    `parent`), in one statement: rows are numbered within each parent in `order` (backwards for
    `last`) and the first `size + 1` of each kept. The totals, when asked for, are one grouped
    count for all."""
    walk = reverse(order) if page.backward else tuple(order)
    cols = [_column(k)[0] for k in order]
    rank = func.row_number().over(partition_by=parent, order_by=list(walk)).label("rank")
    ranked = (between(stmt.where(parent.in_(parents)), order, page)
              .with_only_columns(model.id, parent.label("parent"), rank).subquery())
    rows = session.execute(select(model, ranked.c.parent, *cols).join(ranked, model.id == ranked.c.id)
                           .where(ranked.c.rank <= page.size + 1).order_by(ranked.c.parent, ranked.c.rank))
    found: dict[Any, list] = {p: [] for p in parents}
    for r in rows:
        found[r[1]].append(r)
    counts: list[dict] = []  # filled by the first totalCount asked

    def count(p) -> int:
        if not counts:
            grouped = stmt.where(parent.in_(parents)).with_only_columns(parent, func.count()).group_by(parent)
            counts.append(dict(session.execute(grouped).all()))
        return counts[0].get(p, 0)

    out = {}
    for p, rs in found.items():
        kept = rs[:page.size][::-1] if page.backward else rs[:page.size]
        previous, more = page.edges(len(rs))
        out[p] = Connection(items=[node(row=r[0]) for r in kept], keys=[tuple(r[2:]) for r in kept],
                            previous=previous, more=more, count=lambda p=p: count(p))
    return out


def paginate(session, stmt, order: Sequence, page: Page, node: Callable) -> Connection:
    """One page of `stmt` in `order` (whose last term is unique, e.g. the id) as `node(row=...)`s:
    a select of one model gives each node its object, a select of columns its row. Rows are read
    one at a time, so each is freed once its node is made; one row past the page tells whether
    more follow (precede, for `last`)."""
    n = len(order)
    walk = reverse(order) if page.backward else tuple(order)
    rows = session.execute(between(stmt, order, page).add_columns(*[_column(k)[0] for k in order])
                           .order_by(*walk).limit(page.size + 1))
    items, keys = [], []
    for r in islice(rows, page.size):
        items.append(node(row=r[0] if len(r) == n + 1 else r[:-n]))
        keys.append(tuple(r[-n:]))
    previous, more = page.edges(len(items) + (rows.first() is not None))
    if page.backward:
        items.reverse()
        keys.reverse()
    count = select(func.count()).select_from(stmt.subquery())
    return Connection(items=items, keys=keys, previous=previous, more=more,
                      count=lambda: session.execute(count).scalar_one())


def paginate_list(items: list, key: Callable[[Any], tuple], page: Page) -> Connection:
    """A page of a list computed whole (e.g. a comparison of every county), in the order of `key`
    (unique, of numbers and texts), with the same cursors as a list read from the database."""
    items = sorted(items, key=key)
    total = len(items)
    for cursor, beyond in ((page.after, lambda k, c: k > c), (page.before, lambda k, c: k < c)):
        if cursor:
            at = tuple(decode(cursor, len(key(items[0])) if items else None))
            try:
                items = [i for i in items if beyond(key(i), at)]
            except TypeError:  # a cursor of another list
                raise error("BAD_INPUT", f"{cursor!r} is not a cursor of this list") from None
    kept = (items[len(items) - page.size:] if page.size else []) if page.backward else items[:page.size]
    previous, more = page.edges(len(items))
    return Connection(items=kept, keys=[key(i) for i in kept], previous=previous, more=more, count=lambda: total)
