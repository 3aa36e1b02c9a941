"""Settlement periods: a year `2024`, a half `2024H1`, a quarter `2024Q3` or a month `2024-07`."""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from pydantic import AfterValidator

KINDS = ("year", "half", "quarter", "month")
"""The kinds of period, longest first."""

_FORMS = re.compile(r"^(\d{4})(?:(H)([12])|(Q)([1-4])|-(0[1-9]|1[0-2]))?$")


@dataclass(frozen=True, order=True)
class Period:
    year: int
    kind: str  # one of KINDS
    index: int = 0  # 1-based within the year; 0 for a year

    @classmethod
    def parse(cls, text: str | int) -> "Period":
        return _parse(cls, str(text).strip())

    @property
    def first_month(self) -> int:
        return {"year": 1, "half": 6 * self.index - 5, "quarter": 3 * self.index - 2,
                "month": self.index}[self.kind]

    @property
    def month_count(self) -> int:
        return {"year": 12, "half": 6, "quarter": 3, "month": 1}[self.kind]

    @property
    def start(self) -> date:
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        last = self.first_month + self.month_count - 1
        nxt = date(self.year + 1, 1, 1) if last == 12 else date(self.year, last + 1, 1)
        return date.fromordinal(nxt.toordinal() - 1)

    def months(self) -> list["Period"]:
        return [Period(self.year, "month", m) for m in range(self.first_month, self.first_month + self.month_count)]

    def quarters(self) -> list["Period"]:
        return [Period(self.year, "quarter", q) for q in range(1, 5)
                if self.first_month <= 3 * q - 2 < self.first_month + self.month_count]

    def previous_year(self) -> "Period":
        return Period(self.year - 1, "year")

    def contains(self, other: "Period") -> bool:
        return self.start <= other.start and other.end <= self.end

    def __str__(self) -> str:
        if self.kind == "half":
            return f"{self.year}H{self.index}"
        if self.kind == "quarter":
            return f"{self.year}Q{self.index}"
        if self.kind == "month":
            return f"{self.year}-{self.index:02d}"
        return str(self.year)


def _month(text: str) -> str:
    if Period.parse(text).kind != "month":
        raise ValueError("must be a month such as 2024-07")
    return text


Month = Annotated[str, AfterValidator(_month)]
"""A field that holds a month, `2024-07`."""


@lru_cache(maxsize=4096)
def _parse(cls: type, text: str) -> Period:
    """Periods are parsed over and over (every month of every institution): remember them."""
    m = _FORMS.match(text)
    if not m:
        raise ValueError(
            f"period {text!r} is not a year (2024), half (2024H1), quarter (2024Q3) or month (2024-07)"
        )
    year = int(m.group(1))
    if year == 0:
        raise ValueError(f"period {text!r}: there is no year 0")
    if m.group(2):
        return cls(year, "half", int(m.group(3)))
    if m.group(4):
        return cls(year, "quarter", int(m.group(5)))
    if m.group(6):
        return cls(year, "month", int(m.group(6)))
    return cls(year, "year")
