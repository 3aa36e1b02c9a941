"""Qinghai `transfers`: the 30-day rule and full pass-through of the packaged funds, and the
notice's task deadlines (POLICIES.md §5.2). A report: it pays nothing.

The only money figure is a full-pass-through hop's `shortfall`, so the pools say where a hop's
money went: per full-pass-through hop, amount_received + matching = amount_sent + shortfall;
and the county's `shortfall` is the sum of the hops'.

`gather` takes the county's recorded transfers for the period (`facts.transfers`: hop,
received_on, sent_on, amount_received, matching, amount_sent) and its task list
(`facts.tasks`: code, body, due, done_on), hops in the order the money flows.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal, Optional

from pydantic import BeforeValidator, Field

from countypay.period import Period
from countypay.policy import Component, Facts, Model, Outcome, trace
from countypay.toolkit import EntityCode, Money, duplicates, refuse

HOPS = ("province_to_prefecture", "prefecture_to_county", "county_to_hospital")
"""The hops of §5.2, in the order the money flows (省→市州→县→医共体牵头医院)."""
ZERO = Decimal("0.00")


def _iso(v):
    """A date as the notice's tables and the store give it: a date, or text `YYYY-MM-DD`."""
    if isinstance(v, date) and not isinstance(v, datetime):
        return v
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        return v
    raise ValueError("must be a date written YYYY-MM-DD")


IsoDate = Annotated[date, BeforeValidator(_iso)]


class Transfer(Model):
    hop: Literal[HOPS]
    received_on: IsoDate
    sent_on: IsoDate
    amount_received: Money
    matching: Money = ZERO  # R8: absent is 0
    amount_sent: Money


class Task(Model):
    code: EntityCode
    body: str = Field(min_length=1)
    due: IsoDate
    done_on: Optional[IsoDate] = None


class TransfersInputs(Model):
    transfers: list[Transfer] = Field(min_length=1)
    tasks: list[Task] = Field(default_factory=list)


class TransfersParameters(Model):
    deadline_days: int = Field(ge=0)
    deadline_hops: list[Literal[HOPS]]
    full_pass_through: list[Literal[HOPS]]


def _check(inputs: TransfersInputs, params: TransfersParameters) -> None:
    """R8 and the shortfall's sign: what cannot have happened is refused, naming the field."""
    problems, seen = [], set()
    for i, t in enumerate(inputs.transfers):
        where = f"transfers[{i}]"
        if t.hop in seen:
            problems.append(f"{where}.hop: {t.hop!r} appears twice (one transfer per hop)")
        seen.add(t.hop)
        if t.sent_on < t.received_on:
            problems.append(f"{where}.sent_on: {t.sent_on} is before received_on {t.received_on}")
        if t.hop in params.full_pass_through and t.amount_sent > t.amount_received + t.matching:
            problems.append(f"{where}.amount_sent: {t.amount_sent} is more than amount_received + matching "
                            f"({t.amount_received + t.matching}) on a full pass-through hop")
    problems += duplicates([t.code for t in inputs.tasks], "tasks")
    problems += [f"tasks[{j}].code: {t.code!r} is a hop's name" for j, t in enumerate(inputs.tasks)
                 if t.code in HOPS]
    refuse(problems)


def settle(inputs: TransfersInputs, params: TransfersParameters, period: Period) -> Outcome:
    """POLICIES.md §5.2: per hop `days`, `late_days`, `shortfall`; per task `late_days`;
    county `compliant`."""
    _check(inputs, params)
    out = Outcome()
    ps = {"deadline_days": params.deadline_days, "deadline_hops": params.deadline_hops,
          "full_pass_through": params.full_pass_through}
    for t in inputs.transfers:
        got = {"received_on": t.received_on.isoformat(), "sent_on": t.sent_on.isoformat()}
        days = (t.sent_on - t.received_on).days
        on_clock = t.hop in params.deadline_hops
        late = max(0, days - params.deadline_days) if on_clock else 0
        full = t.hop in params.full_pass_through
        due = t.amount_received + t.matching
        shortfall = due - t.amount_sent if full else ZERO
        out.add(t.hop, "days", Decimal(days), trace(
            "§5.2 hop", "days = sent_on − received_on, calendar days", got), unit="day")
        out.add(t.hop, "late_days", Decimal(late), trace(
            "§5.2 hop", "late_days = max(0, days − deadline_days) for a hop in deadline_hops, else 0",
            {**got, "days": days}, ps, on_deadline=on_clock), unit="day")
        amounts = {"amount_received": t.amount_received, "matching": t.matching, "amount_sent": t.amount_sent}
        out.add(t.hop, "amount_sent", t.amount_sent, trace("§5.2 hop", "the amount the sender passed on", amounts))
        out.add(t.hop, "shortfall", shortfall, trace(
            "§5.2 hop", "shortfall = amount_received + matching − amount_sent for a full pass-through hop, else 0",
            amounts, ps, full_pass_through=full))
        if full:
            out.pool(f"{t.hop}: received + matching", due, [(t.hop, "amount_sent"), (t.hop, "shortfall")])
        if late:
            out.flag(t.hop, "late", f"{t.hop}: {t.amount_sent} yuan sent after {days} days "
                     f"({t.received_on} → {t.sent_on}), {late} past the {params.deadline_days}-day deadline", "error")
        if shortfall:
            out.flag(t.hop, "shortfall", f"{t.hop}: {shortfall} yuan short of passing on everything: "
                     f"received {t.amount_received} + matching {t.matching}, sent {t.amount_sent} "
                     f"after {days} days", "error")
    given = {t.hop for t in inputs.transfers}
    for hop in HOPS:
        if hop not in given and (hop in params.deadline_hops or hop in params.full_pass_through):
            out.flag(hop, "not_reported", f"{hop}: no transfer given, so its rule is not checked", "warning")

    total = sum((out.value(t.hop, "shortfall") for t in inputs.transfers), ZERO)
    out.add("county", "shortfall", total, trace(
        "§5.2 county", "Σ shortfall over the hops", {t.hop: out.value(t.hop, "shortfall") for t in inputs.transfers}))
    out.pool("shortfall", total, [(t.hop, "shortfall") for t in inputs.transfers])

    for t in inputs.tasks:
        until = t.done_on or period.end
        late = max(0, (until - t.due).days)
        out.add(t.code, "late_days", Decimal(late), trace(
            "§5.2 tasks", "late_days = done_on − due when done late; while not done, the period's last day − due; "
            "0 when on time", {"due": t.due.isoformat(), "done_on": t.done_on and t.done_on.isoformat()},
            body=t.body, counted_to=until.isoformat()), unit="day")
        if late:
            how = f"done on {t.done_on}" if t.done_on else f"not done by {period.end}"
            out.flag(t.code, "late", f"{t.code} ({t.body}): due {t.due}, {how}, {late} days late", "error")
        elif t.done_on is None:
            out.flag(t.code, "open", f"{t.code} ({t.body}): not done yet, due {t.due}", "info")

    errors = [f"{f.entity} {f.code}" for f in out.flags if f.severity == "error"]
    out.add("county", "compliant", Decimal(0 if errors else 1), trace(
        "§5.2 county", "1 when no hop is late or short and no task is late, else 0", {}, ps, errors=errors), unit="flag")
    return out


def gather(facts: Facts, params: TransfersParameters, period: Period) -> dict:
    """The county's recorded transfers (hops in flow order) and, when any, its tasks; an absent
    `matching` is left out (R8: 0)."""
    order = {hop: i for i, hop in enumerate(HOPS)}
    transfers = [{k: v for k, v in t.items() if v is not None}
                 for t in getattr(facts, "transfers", None) or []]
    transfers.sort(key=lambda t: order.get(t.get("hop"), len(HOPS)))
    tasks = [{k: v for k, v in t.items() if k != "done_on" or v is not None}
             for t in getattr(facts, "tasks", None) or []]
    return {"transfers": transfers, **({"tasks": tasks} if tasks else {})}


COMPONENT = Component.declare(__file__, "transfers", inputs=TransfersInputs, parameters=TransfersParameters,
                              settle=settle, gather=gather)
