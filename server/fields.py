"""Field types and checks every plugin's input and parameter shapes share.

Numbers stay exact `Decimal`s; a code that becomes part of a line code has no dots or spaces.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Sequence

from pydantic import AfterValidator, Field

from .errors import InputError

Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]
"""A non-negative amount in yuan with at most 2 decimals."""
Ratio = Annotated[Decimal, Field(ge=0, le=1)]
"""A share between 0 and 1."""
Score = Annotated[Decimal, Field(ge=0, le=100)]
"""An assessment score from 0 to 100."""
Weight = Annotated[Decimal, Field(ge=0)]
"""A non-negative weight that splits money in proportion."""
Amount = Annotated[Decimal, Field(ge=0)]
"""A non-negative exact figure that is not paid out (credits, per-capita spending)."""
ItemCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$")]
"""A code that becomes part of a line code, so no dots or spaces."""


def _not_county(v: str) -> str:
    if v == "county":
        raise ValueError("'county' is the county's own entity code")
    return v


EntityCode = Annotated[str, Field(min_length=1), AfterValidator(_not_county)]
"""A unit, institution or community code: lines are booked on it beside `county`."""


def positive_sum(values: Sequence[Decimal], what: str) -> None:
    """Weights that split money must not all be zero."""
    if not any(values):
        raise ValueError(f"{what} must not all be zero")


def duplicates(codes: Sequence[str], where: str) -> list[str]:
    """Problems naming each repeated code by its position in `where`."""
    seen: set[str] = set()
    out = []
    for i, code in enumerate(codes):
        if code in seen:
            out.append(f"{where}[{i}].code: {code!r} appears twice")
        seen.add(code)
    return out


def refuse(problems: list[str]) -> None:
    """Raise the input problems found, if any, as one InputError."""
    if problems:
        raise InputError("inputs", problems)
