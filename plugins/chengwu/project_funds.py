"""Chengwu `project_funds`: the project's yearly plan by task and source of money against what was
disbursed (POLICIES.md §6.2, Readings R16-R18).

The seed's plan prints its sources' shares wrongly (47.78 % and 52.22 % for 2,000 and 2,100 of
4,100 万 yuan); the shares here are always computed from the figures.

`gather` reads these stored facts (Y = the settlement year):

| source | what | becomes |
| --- | --- | --- |
| project_tasks | every task of the county: code, name_zh | `tasks[].code`, `name` |
| project_plan | yuan by task, year and source, every year of the plan | `tasks[].plan` |
| project_disbursements | yuan by task, year and source, the years up to Y (what was disbursed by the period's end) | `tasks[].disbursed` |
"""
from __future__ import annotations

from decimal import Decimal
from typing import Optional

from pydantic import Field, field_validator

from countypay.period import Period
from countypay.policy import Facts, Model, Outcome, trace
from countypay.toolkit import EntityCode, ItemCode, Money, Ratio, duplicates, exact, refuse, round_half_up, show

from .assessment import Year

ZERO = Decimal("0.00")
BySource = dict[ItemCode, Money]


class Task(Model):
    code: EntityCode
    name: Optional[str] = None
    plan: dict[Year, BySource] = Field(min_length=1)
    """Planned yuan by year and source (R16)."""
    disbursed: dict[Year, BySource] = Field(default_factory=dict)
    """Yuan disbursed by year and source; a year or source not given is 0."""


class ProjectInputs(Model):
    tasks: list[Task] = Field(min_length=1)


class ProjectParameters(Model):
    sources: list[ItemCode] = Field(min_length=1)
    stated_shares: dict[ItemCode, Ratio] = Field(default_factory=dict)
    """Shares the plan's text prints, checked against the figures (an info flag where they differ)."""

    @field_validator("sources")
    @classmethod
    def _unique(cls, v):
        if len(set(v)) != len(v):
            raise ValueError("a source appears twice")
        return v


def _ratio(done: Decimal, planned: Decimal) -> Decimal:
    return round_half_up(exact(done) / exact(planned), 4)


def _report(out: Outcome, entity: str, key: str, planned: dict[str, Decimal], disbursed: dict[str, Decimal],
            what: str) -> tuple[Decimal, Decimal]:
    """`planned.<key>` and `disbursed.<key>`, each the sum of its parts, and `execution.<key>`
    where something was planned (R17)."""
    dot = f".{key}" if key else ""
    p = sum(planned.values(), ZERO)
    d = sum(disbursed.values(), ZERO)
    out.add(entity, f"planned{dot}", p, trace("§6.2 planned (R16, R17)", f"Σ planned {what}", planned))
    out.add(entity, f"disbursed{dot}", d, trace("§6.2 disbursed (R16, R17)", f"Σ disbursed {what}", disbursed))
    if p:
        out.add(entity, f"execution{dot}", _ratio(d, p), trace(
            "§6.2 execution (R17)", "disbursed / planned, half-up to 4 decimals",
            {"planned": p, "disbursed": d}, exact=show(exact(d) / exact(p), 10)), unit="ratio")
    return p, d


def settle(inputs: ProjectInputs, params: ProjectParameters, period: Period) -> Outcome:
    """POLICIES.md §6.2: per task, year and source planned, disbursed and execution; the county's
    totals and shares; flags for money behind or beyond the plan."""
    sources = params.sources
    problems = duplicates([t.code for t in inputs.tasks], "tasks")
    for i, t in enumerate(inputs.tasks):
        for field in ("plan", "disbursed"):
            problems += [f"tasks[{i}].{field}.{y}.{s}: {s!r} is not a source of the plan ({', '.join(sources)})"
                         for y, by in getattr(t, field).items() for s in by if s not in sources]
    refuse(problems)

    years = sorted({y for t in inputs.tasks for y in (*t.plan, *t.disbursed)})
    codes = [t.code for t in inputs.tasks]
    kinds = (("planned", "plan"), ("disbursed", "disbursed"))
    # (kind, task, year, source) → yuan; a year or source not given is 0.
    amount = {(kind, t.code, y, s): getattr(t, field).get(y, {}).get(s, ZERO)
              for t in inputs.tasks for kind, field in kinds for y in years for s in sources}
    out = Outcome()
    for c in codes:
        for y in years:
            _report(out, c, y, {s: amount["planned", c, y, s] for s in sources},
                    {s: amount["disbursed", c, y, s] for s in sources}, f"in {y} over the sources")
            _check(out, c, y, period)
            for s in sources:
                _report(out, c, f"{y}.{s}", {f"plan.{y}.{s}": amount["planned", c, y, s]},
                        {f"disbursed.{y}.{s}": amount["disbursed", c, y, s]}, f"in {y} from {s}, as given")
                _check(out, c, f"{y}.{s}", period)
            for kind, _ in kinds:
                out.pool(f"{c} {kind} {y}", out.value(c, f"{kind}.{y}"), [(c, f"{kind}.{y}.{s}") for s in sources])
        _report(out, c, "", {y: out.value(c, f"planned.{y}") for y in years},
                {y: out.value(c, f"disbursed.{y}") for y in years}, "over the years")
        for kind, _ in kinds:
            out.pool(f"{c} {kind}", out.value(c, kind), [(c, f"{kind}.{y}") for y in years])

    # County: by year and source, by year, by source, in all.
    for y in years:
        for s in sources:
            _report(out, "county", f"{y}.{s}", {c: amount["planned", c, y, s] for c in codes},
                    {c: amount["disbursed", c, y, s] for c in codes}, f"in {y} from {s} over the tasks")
            for kind, _ in kinds:
                out.pool(f"county {kind} {y} {s}", out.value("county", f"{kind}.{y}.{s}"),
                         [(c, f"{kind}.{y}.{s}") for c in codes])
        _report(out, "county", y, {s: out.value("county", f"planned.{y}.{s}") for s in sources},
                {s: out.value("county", f"disbursed.{y}.{s}") for s in sources}, f"in {y} over the sources")
        for kind, _ in kinds:
            out.pool(f"county {kind} {y}", out.value("county", f"{kind}.{y}"),
                     [("county", f"{kind}.{y}.{s}") for s in sources])
    for s in sources:
        _report(out, "county", s, {y: out.value("county", f"planned.{y}.{s}") for y in years},
                {y: out.value("county", f"disbursed.{y}.{s}") for y in years}, f"from {s} over the years")
        for kind, _ in kinds:
            out.pool(f"county {kind} {s}", out.value("county", f"{kind}.{s}"),
                     [("county", f"{kind}.{y}.{s}") for y in years])
    planned, _ = _report(out, "county", "", {s: out.value("county", f"planned.{s}") for s in sources},
                         {s: out.value("county", f"disbursed.{s}") for s in sources}, "over the sources")
    for kind, _ in kinds:
        out.pool(f"county {kind}", out.value("county", kind), [("county", f"{kind}.{s}") for s in sources])
        out.pool(f"county {kind} by task", out.value("county", kind), [(c, kind) for c in codes])

    # The sources' shares of the whole plan, computed (R18).
    if planned:
        for s in sources:
            share = exact(out.value("county", f"planned.{s}")) / exact(planned)
            stated = params.stated_shares.get(s)
            out.add("county", f"share.{s}", round_half_up(share, 4), trace(
                "§6.2 share (R18)", "the source's planned total / the whole plan, half-up to 4 decimals "
                "(computed, never the printed share)", {"planned": out.value("county", f"planned.{s}"),
                                                        "plan": planned},
                {"stated_share": stated}, exact=show(share, 10)), unit="ratio")
            if stated is not None and round_half_up(share, 4) != round_half_up(exact(stated), 4):
                out.flag("county", f"share.{s}.stated", f"share of {s}: the plan states {stated}, its figures "
                                                        f"give {round_half_up(share, 4)}", "info")
    return out


def gather(facts: Facts, params: ProjectParameters, period: Period) -> dict:
    """Each stored task with its whole plan and what was disbursed for the years up to the period's."""
    return {"tasks": [
        {"code": t["code"], **({"name": t["name_zh"]} if t["name_zh"] else {}),
         "plan": {str(y): dict(by) for y, by in t["plan"].items()},
         "disbursed": {str(y): dict(by) for y, by in t["disbursed"].items() if y <= period.year}}
        for t in facts.project_tasks]}


def _check(out: Outcome, task: str, key: str, period: Period) -> None:
    """An error where more was disbursed than planned; a warning where a year up to the period's
    has less disbursed than planned (R18)."""
    planned, disbursed = out.value(task, f"planned.{key}"), out.value(task, f"disbursed.{key}")
    if disbursed > planned:
        out.flag(task, f"disbursed.{key}.over_plan",
                 f"{task} {key}: disbursed {disbursed} is more than the {planned} planned", "error")
    elif disbursed < planned and int(key[:4]) <= period.year:
        out.flag(task, f"disbursed.{key}.below_plan",
                 f"{task} {key}: disbursed {disbursed} of the {planned} planned by the end of {period}", "warning")
