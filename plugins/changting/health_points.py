"""Changting `health_points`: the households' health-points ledger (健康积分, 孝心积分) and what
the redeemed items cost the fund (POLICIES.md §7.3).

Events apply in date order, then list order. A redemption or filial spend the balance cannot
cover is refused whole: skipped, counted and flagged, so no balance ever goes below 0.

Every household of the county has an account. `gather` reads these stored facts (P = the
settlement period):

| source | what | becomes |
| --- | --- | --- |
| households | every household's pseudonymous code | `accounts[].code` |
| points_openings | the latest opening on or before P's first day (0 from the first event when none) | the start of the replay |
| points_events | the events from that opening up to P's first day, replayed by the rule below (refusals included) | `accounts[].opening`: the previous period's closing |
| points_events | the events dated in P, in date order, then `seq` | `accounts[].events` |

The earlier events are replayed with the parameters in force for P; where earning or the
catalogue changed, a stored opening at P's first day (the closing the earlier run reported)
carries the balance over instead.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import Field, field_validator, model_validator

from countypay.period import Period
from countypay.policy import Component, Facts, Model, Outcome, trace
from countypay.toolkit import ItemCode, Money, Pseudonym, duplicates, refuse

KINDS = ("medical", "product", "daily", "filial_care")
Points = Annotated[int, Field(ge=0)]
ZERO = Decimal("0.00")


class Item(Model):
    item: ItemCode
    points: Points
    cost: Money  # yuan the fund pays the supplier for one
    kind: Literal[KINDS]
    name_zh: Optional[str] = None
    name_en: Optional[str] = None


class PointsParameters(Model):
    earning: dict[ItemCode, Points]
    catalogue: list[Item] = Field(min_length=1)

    @field_validator("catalogue")
    @classmethod
    def _unique(cls, v):
        problems = [p.replace(".code:", ".item:") for p in duplicates([x.item for x in v], "catalogue")]
        if problems:
            raise ValueError("; ".join(problems))
        return v


class Event(Model):
    date: dt.date
    kind: Literal["earn", "redeem", "filial"]
    activity: Optional[ItemCode] = None
    item: Optional[ItemCode] = None
    quantity: Annotated[int, Field(ge=1)] = 1

    @model_validator(mode="after")
    def _names_one(self):
        if self.kind == "earn" and (self.activity is None or self.item is not None):
            raise ValueError("an earn event names an `activity` and no `item`")
        if self.kind != "earn" and (self.item is None or self.activity is not None):
            raise ValueError(f"a {self.kind} event names an `item` and no `activity`")
        return self


class Account(Model):
    code: Pseudonym
    opening: Points = 0
    events: list[Event] = Field(default_factory=list)


class PointsInputs(Model):
    accounts: list[Account]


def _unknown(e: Event, params: PointsParameters, catalogue: dict[str, Item]) -> Optional[str]:
    """What is wrong with an event under the parameters (`.field: reason`), or None."""
    if e.kind == "earn" and e.activity not in params.earning:
        return f".activity: no activity {e.activity!r} earns points"
    if e.kind != "earn" and e.item not in catalogue:
        return f".item: no item {e.item!r} in the catalogue"
    if e.kind == "filial" and catalogue[e.item].kind != "filial_care":
        return f".item: a filial spend must name a filial_care item, {e.item!r} is {catalogue[e.item].kind} (R25)"
    return None


def _check(inputs: PointsInputs, params: PointsParameters, catalogue: dict[str, Item]) -> None:
    problems = duplicates([a.code for a in inputs.accounts], "accounts")
    for i, a in enumerate(inputs.accounts):
        problems += [f"accounts[{i}].events[{j}]{p}" for j, e in enumerate(a.events)
                     if (p := _unknown(e, params, catalogue))]
    refuse(problems)


def ledger(opening: int, events: list[Event], params: PointsParameters,
           catalogue: dict[str, Item]) -> tuple[int, list[dict], list[dict], list[dict]]:
    """Replay `events` from `opening` in date order, then list order: (closing, earned, redeemed,
    refused), each event as a trace entry; what would overdraw is refused whole."""
    balance, earned, redeemed, refused = opening, [], [], []
    for j in sorted(range(len(events)), key=lambda j: (events[j].date, j)):
        e = events[j]
        if e.kind == "earn":
            points = params.earning[e.activity] * e.quantity
            balance += points
            earned.append({"event": j, "date": e.date.isoformat(), "activity": e.activity,
                           "quantity": e.quantity, "points": points})
            continue
        item = catalogue[e.item]
        points = item.points * e.quantity
        entry = {"event": j, "date": e.date.isoformat(), "kind": e.kind, "item": e.item,
                 "quantity": e.quantity, "points": points, "balance": balance}
        if points > balance:
            refused.append(entry)
            continue
        balance -= points
        redeemed.append({**entry, "cost": item.cost * e.quantity})
    return balance, earned, redeemed, refused


def settle(inputs: PointsInputs, params: PointsParameters, period: Period) -> Outcome:
    """§7.3: replay each account's events, refusing what would overdraw; the county's points
    issued, redeemed and outstanding, and the cost of what was redeemed, by kind."""
    catalogue = {x.item: x for x in params.catalogue}
    _check(inputs, params, catalogue)
    out = Outcome()
    cost = {k: ZERO for k in KINDS}
    cost_total = ZERO
    totals = {"opening": 0, "earned": 0, "redeemed": 0, "refused": 0}
    for i, a in enumerate(inputs.accounts):
        balance, earned, redeemed, refused = ledger(a.opening, a.events, params, catalogue)
        for x in refused:
            out.flag(a.code, "refused", f"accounts[{i}].events[{x['event']}]: {x['kind']} {x['item']} × "
                     f"{x['quantity']} needs {x['points']} points, the balance is {x['balance']}: refused")
        for x in redeemed:
            cost[catalogue[x["item"]].kind] += x["cost"]
            cost_total += x["cost"]
        e_sum, r_sum = sum(x["points"] for x in earned), sum(x["points"] for x in redeemed)
        step = "§7.3 ledger"
        out.add(a.code, "opening", Decimal(a.opening), trace(
            step, "the account's points at the start", {"opening": a.opening}), unit="points")
        out.add(a.code, "earned", Decimal(e_sum), trace(
            step, "Σ earning[activity] × quantity over the earn events",
            {"events": earned}, {"earning": {x["activity"]: params.earning[x["activity"]] for x in earned}}),
            unit="points")
        out.add(a.code, "redeemed", Decimal(r_sum), trace(
            step, "Σ item points × quantity over the applied redemptions and filial spends",
            {"events": redeemed}), unit="points")
        out.add(a.code, "refused", Decimal(len(refused)), trace(
            step, "the redemptions and filial spends refused whole because they would take the "
            "balance below 0 (date order, then list order)", {"events": refused}), unit="count")
        out.add(a.code, "closing", Decimal(balance), trace(
            step, "opening + earned − redeemed, the balance after the last event",
            {"opening": a.opening, "earned": e_sum, "redeemed": r_sum}), unit="points")
        out.pool(f"{a.code} points", Decimal(a.opening + e_sum), [(a.code, "closing"), (a.code, "redeemed")])
        totals["opening"] += a.opening
        totals["earned"] += e_sum
        totals["redeemed"] += r_sum
        totals["refused"] += len(refused)

    codes = [a.code for a in inputs.accounts]
    outstanding = sum(out.value(c, "closing") for c in codes)
    n = {"accounts": len(codes)}
    out.add("county", "accounts", Decimal(len(codes)), trace("§7.3 county", "the number of accounts", n), unit="count")
    out.add("county", "points.opening", Decimal(totals["opening"]), trace(
        "§7.3 county", "Σ opening", n), unit="points")
    out.add("county", "points.issued", Decimal(totals["earned"]), trace(
        "§7.3 county", "Σ earned", n), unit="points")
    out.add("county", "points.redeemed", Decimal(totals["redeemed"]), trace(
        "§7.3 county", "Σ redeemed (filial spends included)", n), unit="points")
    out.add("county", "points.outstanding", Decimal(outstanding), trace(
        "§7.3 county", "Σ closing; conservation: Σ opening + issued − redeemed = outstanding", n,
        opening=totals["opening"], issued=totals["earned"], redeemed=totals["redeemed"]), unit="points")
    out.add("county", "refused", Decimal(totals["refused"]), trace(
        "§7.3 county", "Σ refused events", n), unit="count")
    out.add("county", "cost", cost_total, trace(
        "§7.3 county", "Σ over the applied redemptions and filial spends of quantity × item cost (yuan, exact)",
        n, {"catalogue": {x.item: {"cost": x.cost, "kind": x.kind} for x in params.catalogue}}))
    for kind in KINDS:
        out.add("county", f"cost.{kind}", cost[kind], trace(
            "§7.3 county", f"Σ quantity × item cost over the applied redemptions of {kind} items (0.00 when none, R25)",
            n, {"kind": kind}))
    out.pool("points.opening", Decimal(totals["opening"]), [(c, "opening") for c in codes])
    out.pool("points.issued", Decimal(totals["earned"]), [(c, "earned") for c in codes])
    out.pool("points.redeemed", Decimal(totals["redeemed"]), [(c, "redeemed") for c in codes])
    out.pool("points.outstanding", Decimal(outstanding), [(c, "closing") for c in codes])
    out.pool("points conservation", Decimal(totals["opening"] + totals["earned"]),
             [("county", "points.outstanding"), ("county", "points.redeemed")])
    out.pool("cost", cost_total, [("county", f"cost.{kind}") for kind in KINDS])
    return out


def gather(facts: Facts, params: PointsParameters, period: Period) -> dict:
    """Each household's account: its opening for the period replayed from the stored opening and
    the events before the period, and the period's events."""
    catalogue = {x.item: x for x in params.catalogue}
    accounts, problems = [], []
    for code, a in facts.points.items():
        events = [Event(date=e["date"], kind=e["kind"], activity=e["activity"], item=e["item"],
                        quantity=e["quantity"]) for e in a["events"]]
        earlier = [e for e in events if e.date < period.start]
        problems += [f"points_events of {code} on {e.date}{p}" for e in earlier
                     if (p := _unknown(e, params, catalogue))]
        opening = a["opening"]["points"] if a["opening"] else 0
        if earlier and not problems:
            opening = ledger(opening, earlier, params, catalogue)[0]
        accounts.append({"code": code, "opening": opening, "events": [
            e.model_dump(exclude_none=True) for e in events if e.date >= period.start]})
    refuse(problems)
    return {"accounts": accounts}


COMPONENT = Component.declare(__file__, "health_points", inputs=PointsInputs, parameters=PointsParameters,
                              settle=settle, gather=gather)
