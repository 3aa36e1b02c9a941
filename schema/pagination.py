"""Relay-style cursor connections with `totalCount`, over any SQL select."""
from __future__ import annotations

import base64
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
    total_count: int = strawberry.field(description="How many items the whole list holds.")
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with their cursors.")
    page_info: PageInfo = strawberry.field(description="Where this page sits in the list.")

    @strawberry.field(description="The items of this page without their cursors.")
    def nodes(self) -> list[T]:
        return [e.node for e in self.edges]


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
    """One page of `stmt` as `node(row=...)`s, and the total: a select of one model gives each
    node its object, a select of columns its row."""
    first = DEFAULT_PAGE if first is None else first
    if not 0 <= first <= MAX_PAGE:
        raise error("BAD_INPUT", f"first must be between 0 and {MAX_PAGE}")
    start = decode(after) + 1 if after else 0
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery())).scalar_one()
    rows = session.execute(stmt.offset(start).limit(first)).all()
    edges = [Edge(cursor=encode(start + i), node=node(row=r[0] if len(r) == 1 else r)) for i, r in enumerate(rows)]
    return Connection(
        total_count=total, edges=edges,
        page_info=PageInfo(has_next_page=start + len(rows) < total, has_previous_page=start > 0,
                           start_cursor=edges[0].cursor if edges else None,
                           end_cursor=edges[-1].cursor if edges else None))
