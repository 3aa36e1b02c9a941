"""Deqing's recorded global-budget outcomes 2018-2023 (history.yaml), for reports and demos.

`retention(year)` sets a recorded year's retained share of the surplus beside POLICIES.md
§4.1's rule, retained / surplus = (1 − a) + a × score / 100, and solves it for the assessment
score the record implies, so a report can show whether the record fits the rule (it fits when
the score lies in 0..100).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Optional

from countypay.toolkit import read_yaml
from countypay.toolkit import exact

HISTORY_FILE = Path(__file__).with_name("history.yaml")


@lru_cache(maxsize=1)
def history() -> dict[int, dict]:
    """The recorded years, by year (money in 10k yuan, as the seed gives it)."""
    return {int(row["year"]): row for row in read_yaml(HISTORY_FILE)["years"]}


@dataclass(frozen=True)
class Retention:
    year: int
    surplus: Decimal
    retained: Decimal
    assessed_share: Decimal
    recorded_ratio: Fraction  # retained / surplus
    implied_score: Fraction  # the score s with (1 − a) + a × s / 100 = recorded_ratio

    @property
    def fits_rule(self) -> bool:
        """The record can come from §4.1: the implied score is a possible score (0..100)."""
        return 0 <= self.implied_score <= 100


def retained_ratio(score, assessed_share) -> Fraction:
    """§4.1: the share of a surplus a community keeps at an assessment score (0-100)."""
    a = exact(assessed_share)
    return 1 - a + a * exact(score) / 100


def retention(year: int, assessed_share: Optional[Decimal] = None) -> Optional[Retention]:
    """A recorded surplus year beside §4.1; None for a year with no recorded surplus and retained
    (2018 and 2019 record only the overspend shared, 2023 only an expected surplus).
    `assessed_share` defaults to the plugin's parameter in force that year."""
    row = history().get(year)
    if not row or row.get("surplus") is None or row.get("retained") is None:
        return None
    if assessed_share is None:
        from countypay.params import in_force
        from . import POLICY
        assessed_share = in_force(POLICY, "global_budget", date(year, 1, 1))["assessed_share"].value
    a = exact(assessed_share)
    ratio = exact(row["retained"]) / exact(row["surplus"])
    score = (ratio - (1 - a)) / a * 100 if a else Fraction(0)
    return Retention(year, Decimal(row["surplus"]), Decimal(row["retained"]), Decimal(assessed_share),
                     ratio, score)
