"""Deqing's recorded global-budget outcomes 2018-2023 (history.yaml), for reports and the demo.

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

from countypay.policy import IndicatorDef
from countypay.toolkit import defaults_in_force, exact, read_yaml, round_half_up

HISTORY_FILE = Path(__file__).with_name("history.yaml")
PARAMETER_FILE = Path(__file__).with_name("parameters.yaml")


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
        assessed_share = defaults_in_force(PARAMETER_FILE, "global_budget", date(year, 1, 1))["assessed_share"]
    a = exact(assessed_share)
    ratio = exact(row["retained"]) / exact(row["surplus"])
    score = (ratio - (1 - a)) / a * 100 if a else Fraction(0)
    return Retention(year, Decimal(row["surplus"]), Decimal(row["retained"]), Decimal(assessed_share),
                     ratio, score)


SEED = "seeds/003 2018-2022年医保基金总额预算情况"
INDICATORS = (
    IndicatorDef("budget_growth_rate", "医保基金总额预算增长率", "Global budget growth rate", "ratio",
                 entity="county", reference=SEED),
    IndicatorDef("recorded_surplus", "医保基金结余（万元，记录）", "Recorded fund surplus (10k yuan)", "10k_yuan",
                 entity="county", reference=SEED),
    IndicatorDef("recorded_retained", "结余留用（万元，记录）", "Recorded surplus retained by the communities "
                 "(10k yuan)", "10k_yuan", entity="county", reference=SEED),
    IndicatorDef("recorded_overspend_shared", "超支分担（万元，记录）", "Recorded overspend borne by the "
                 "communities (10k yuan)", "10k_yuan", entity="county", reference=SEED),
    IndicatorDef("recorded_retention_ratio", "结余留用比例（记录）", "Recorded share of the surplus retained",
                 "ratio", entity="county", reference=SEED + ": 结余留用 ÷ 结余"),
    IndicatorDef("implied_assessment_score", "记录所对应的考核得分", "Assessment score the record implies "
                 "under the 70/30 rule", "score", entity="county",
                 reference="POLICIES.md §4.1 solved for the score: (ratio − 0.70) / 0.30 × 100"),
)
"""The recorded history as indicators, so reports set the rule's retention beside the record."""


def indicator_values() -> list[tuple[str, str, Decimal]]:
    """(indicator, year, value) of the recorded history, derived figures to 6 decimals."""
    rows = []
    for year, row in sorted(history().items()):
        for field, code in (("growth_rate", "budget_growth_rate"), ("surplus", "recorded_surplus"),
                            ("retained", "recorded_retained"), ("overspend_shared", "recorded_overspend_shared")):
            if row.get(field) is not None:
                rows.append((code, str(year), Decimal(row[field])))
        r = retention(year)
        if r is not None:
            rows.append(("recorded_retention_ratio", str(year), round_half_up(r.recorded_ratio, 6)))
            rows.append(("implied_assessment_score", str(year), round_half_up(r.implied_score, 6)))
    return rows
