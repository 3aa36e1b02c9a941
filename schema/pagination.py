"""Relay-style cursor connections with `totalCount`, over any SQL select."""
from __future__ import annotations

import base64
from itertools import islice
from typing import Callable, Generic, Optional, TypeVar

import strawberry
from sqlalchemy import func, select

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
    start: strawberry.Private[int]
    more: strawberry.Private[bool]  # whether items follow this page
    count: strawberry.Private[Callable[[], int]]

    @strawberry.field(description="How many items the whole list holds.")
    def total_count(self) -> int:
        return self.count()

    @strawberry.field(description="The items of this page with their cursors.")
    def edges(self) -> list[Edge[T]]:
        return [Edge(cursor=encode(self.start + i), node=n) for i, n in enumerate(self.items)]

    @strawberry.field(description="Where this page sits in the list.")
    def page_info(self) -> PageInfo:
        return PageInfo(has_next_page=self.more, has_previous_page=self.start > 0,
                        start_cursor=encode(self.start) if self.items else None,
                        end_cursor=encode(self.start + len(self.items) - 1) if self.items else None)

    @strawberry.field(description="The items of this page without their cursors.")
    def nodes(self) -> list[T]:
        return self.items


def encode(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode()


def decode(cursor: str) -> int:
    try:
        kind, _, n = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        if kind == "o" and n.isdigit():
            return int(n)
    except (ValueError, UnicodeDecodeError):
        pass
    raise error("BAD_INPUT", f"{cursor!r} is not a cursor of this list")


def paginate(session, stmt, first: Optional[int], after: Optional[str], node: Callable) -> Connection:
    """One page of `stmt` as `node(row=...)`s: a select of one model gives each node its object, a
    select of columns its row. Rows are read one at a time, so each is freed once its node is
    made; one row past the page tells whether more follow."""
    first = DEFAULT_PAGE if first is None else first
    if not 0 <= first <= MAX_PAGE:
        raise error("BAD_INPUT", f"first must be between 0 and {MAX_PAGE}")
    start = decode(after) + 1 if after else 0
    rows = session.execute(stmt.offset(start).limit(first + 1))
    items = [node(row=r[0] if len(r) == 1 else r) for r in islice(rows, first)]
    count = select(func.count()).select_from(stmt.order_by(None).subquery())
    return Connection(items=items, start=start, more=rows.first() is not None,
                      count=lambda: session.execute(count).scalar_one())
