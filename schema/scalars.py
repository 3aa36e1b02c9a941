"""Scalars: money and exact numbers travel as decimal strings, periods as their text."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import NewType

import strawberry
from graphql import GraphQLError

from countypay.period import Period as _Period

Money = NewType("Money", Decimal)
Exact = NewType("Exact", Decimal)
Period = NewType("Period", str)


def _exact(value: object) -> Decimal:
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        d = Decimal("NaN")
    if not d.is_finite() or abs(d.adjusted()) > 30:
        raise GraphQLError(f"{value!r} is not a decimal number", extensions={"code": "BAD_INPUT"})
    return d


def _money(value: object) -> Decimal:
    d = _exact(value)
    if d != d.quantize(Decimal("0.01")):
        raise GraphQLError(f"{value!r} is not an amount in yuan to the fen", extensions={"code": "BAD_INPUT"})
    return d.quantize(Decimal("0.01"))


def _period(value: object) -> str:
    try:
        return str(_Period.parse(str(value)))
    except ValueError as e:
        raise GraphQLError(str(e), extensions={"code": "BAD_INPUT"}) from None


SCALARS = {
    Money: strawberry.scalar(
        name="Money",
        description="An amount in yuan to the fen, as a decimal string such as \"1234.50\" (元, 两位小数). "
                    "Never a float.",
        serialize=lambda v: str(Decimal(v).quantize(Decimal("0.01"))),
        parse_value=_money),
    Exact: strawberry.scalar(
        name="Exact",
        description="An exact decimal number (a ratio, score, price or count) as a string, e.g. \"0.9\".",
        serialize=str,
        parse_value=_exact),
    Period: strawberry.scalar(
        name="Period",
        description="A settlement or reporting period: a year `2024`, a half `2024H1`, a quarter "
                    "`2024Q3` or a month `2024-07` (期间).",
        serialize=str,
        parse_value=_period),
}
