"""Changting `reimbursement_bonus`: households compliant 12 consecutive months get 2 % more
insurance reimbursement (POLICIES.md §7.4).

The streak is counted back from the month before the settlement period starts (R22): the
months that earn the bonus come before the year whose reimbursements it raises. A month absent
from `compliant` breaks the streak like a month not met (R23).

Every household of the county is on the list. `gather` reads these stored facts (P = the
settlement period, Y its year, L = `lookback` = streak_months in whole years, plus one):

| source | what | becomes |
| --- | --- | --- |
| households | every household's pseudonymous code | `households[].code` |
| household_compliance | its months from January of Y − L to P's last month | `households[].compliant` |
| household_reimbursements | its row for P exactly: in-policy expenses and base rate | `reimbursable` (0.00 when none), `base_rate` |

A streak is counted over the months read, so one longer than L years shows as what they hold;
eligibility needs only `streak_months`, which they always cover.
"""
from __future__ import annotations

from decimal import Decimal
from math import ceil
from typing import Annotated, Iterator, Optional

from pydantic import Field

from countypay.period import Month, Period
from countypay.policy import Component, Facts, Model, Outcome, trace
from countypay.toolkit import Money, Pseudonym, Ratio, duplicates, exact, fen, refuse, show

ZERO = Decimal("0.00")


class Household(Model):
    code: Pseudonym
    compliant: dict[Month, bool] = Field(default_factory=dict)
    reimbursable: Money  # the year's in-policy expenses the bonus applies to
    base_rate: Optional[Ratio] = None  # informational (R24)


class BonusInputs(Model):
    households: list[Household]


class BonusParameters(Model):
    bonus_rate: Ratio
    streak_months: Annotated[int, Field(ge=1)]


def months_before(period: Period) -> Iterator[str]:
    """The months before the period starts, latest first: 2023-12, 2023-11, … for 2024."""
    year, month = period.start.year, period.start.month
    while True:
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
        yield f"{year}-{month:02d}"


def streak(compliant: dict[str, bool], period: Period) -> tuple[int, Optional[str]]:
    """Consecutive compliant months ending at the month before the period (not capped), and the
    month that broke the streak (not met, or absent)."""
    n = 0
    for month in months_before(period):
        if not compliant.get(month, False):
            return n, month
        n += 1


def settle(inputs: BonusInputs, params: BonusParameters, period: Period) -> Outcome:
    """§7.4: each household's streak, eligibility and bonus = reimbursable × bonus_rate, half-up."""
    refuse(duplicates([h.code for h in inputs.households], "households"))
    out = Outcome()
    rate = params.bonus_rate
    eligible_n, total = 0, ZERO
    for h in inputs.households:
        n, broken_at = streak(h.compliant, period)
        why = "not compliant" if h.compliant.get(broken_at) is False else "absent (R23)"
        ok = n >= params.streak_months
        out.add(h.code, "streak", Decimal(n), trace(
            "§7.4 streak", "consecutive compliant months counted back from the month before the period "
            "starts, not capped (R22); a month absent breaks it (R23)",
            {"compliant": {m: v for m, v in sorted(h.compliant.items())}},
            ends=next(months_before(period)), broken_at=broken_at, broken_because=why), unit="month")
        out.add(h.code, "eligible", Decimal(int(ok)), trace(
            "§7.4 eligible", "1 when streak ≥ streak_months, else 0", {"streak": n},
            {"streak_months": params.streak_months}), unit="flag")
        raw = exact(h.reimbursable) * exact(rate) if ok else 0
        bonus = fen(raw)
        out.add(h.code, "bonus", bonus, trace(
            "§7.4 bonus", "reimbursable × bonus_rate, half-up, when eligible, else 0 (base_rate informational, R24)",
            {"reimbursable": h.reimbursable, "base_rate": h.base_rate, "eligible": int(ok)},
            {"bonus_rate": rate}, exact=show(raw, 10)))
        eligible_n += ok
        total += bonus
    codes = [h.code for h in inputs.households]
    out.add("county", "households", Decimal(len(codes)), trace(
        "§7.4 county", "the number of households", {"households": len(codes)}), unit="count")
    out.add("county", "eligible", Decimal(eligible_n), trace(
        "§7.4 county", "the number of eligible households", {"households": len(codes)},
        {"streak_months": params.streak_months}), unit="count")
    out.add("county", "bonus", total, trace(
        "§7.4 county", "Σ households' bonus", {"households": len(codes)}, {"bonus_rate": rate}))
    out.pool("bonus", total, [(c, "bonus") for c in codes])
    return out


def lookback(params: BonusParameters) -> int:
    """Years before the period's year whose compliance months are read: `streak_months` before
    any period start, and a year more of the streak."""
    return ceil(params.streak_months / 12) + 1


def gather(facts: Facts, params: BonusParameters, period: Period) -> dict:
    """Each household with its compliance months as stored and its reimbursable expenses of the period."""
    return {"households": [
        {"code": h["code"], "compliant": dict(h["compliant"]),
         "reimbursable": h["reimbursable"] if h["reimbursable"] is not None else ZERO,
         **({"base_rate": h["base_rate"]} if h["base_rate"] is not None else {})}
        for h in facts.households.values()]}


COMPONENT = Component.declare(__file__, "reimbursement_bonus", inputs=BonusInputs, parameters=BonusParameters,
                              settle=settle, gather=gather, lookback=lookback)
