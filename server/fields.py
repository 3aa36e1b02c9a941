"""Field types and checks every plugin's input and parameter shapes share, and the import too.

Numbers stay exact `Decimal`s; a code that becomes part of a line code has no dots or spaces; a
household is a pseudonymous code, never a name or an ID number.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Optional, Sequence

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

_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_ID_NUMBER = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")  # 18-digit (17 + check) or old 15-digit
_PSEUDONYM = re.compile(r"[A-Za-z0-9_\-]+")


def _pseudonym(v: str) -> str:
    if _CHINESE.search(v):
        raise ValueError("looks like a name (Chinese characters): a household code must be a pseudonym")
    if _ID_NUMBER.search(v):
        raise ValueError("looks like a national ID number: a household code must be a pseudonym")
    if not _PSEUDONYM.fullmatch(v):
        raise ValueError("a household pseudonym uses letters, digits, _ or - only")
    if v == "county":
        raise ValueError("'county' is the county's own entity code")
    return v


Pseudonym = Annotated[str, Field(max_length=64), AfterValidator(_pseudonym)]
"""A household's code: letters, digits, `_` and `-`; no Chinese characters, no ID number. It
becomes a line's entity, stored and exported with every settlement, so it must never identify
a resident."""

_NAME_COLUMN = re.compile(r"name|姓名|名字|户主|^姓$", re.I)
_ID_COLUMN = re.compile(r"id_?(number|no|num|card)|national_?id|citizen_?id|identity|passport|身份|证件", re.I)


def personal_column(name: str) -> Optional[str]:
    """Why a column of a household's table looks like it holds a person's name or national ID
    number (None when it does not): such tables hold pseudonymous codes, nothing else."""
    n = name.strip().replace(" ", "_").replace("-", "_")
    if _ID_COLUMN.search(n):
        return "looks like a national ID number column: households are pseudonymous codes, nothing else"
    if _NAME_COLUMN.search(n):
        return "looks like a person's name column: households are pseudonymous codes, nothing else"
    return None


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
