"""Changting `teams`: the family-doctor teams "3+1+1+X" checked against the roles they need, and
the specialists' working days at the grassroots (POLICIES.md §7.1). A report, no money.

Only members of role `specialist` (the county-hospital specialist of "3+1+1") are held to
`specialist_days`, in each month of the period (a month with no days recorded counts as none);
the X members (`other`) may record days but are not checked.

`gather` reads these stored facts (P = the settlement period):

| source | what | becomes |
| --- | --- | --- |
| teams | every team of the county, by code | `teams[].code` |
| team_grids | the units (grids) each team serves | `teams[].grids` |
| team_members | each member's role and staff code, in role order then by staff code | `teams[].members` |
| staff_days | a member's working days at the grassroots in each month of P, by staff code | `members[].days_at_grassroots` |
"""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field

from countypay.period import Month, Period
from countypay.policy import TEAM_ROLES, Component, Facts, Model, Outcome, trace
from countypay.toolkit import EntityCode, ItemCode, duplicates, refuse

ROLES = TEAM_ROLES
Role = Literal[ROLES]
Days = Annotated[int, Field(ge=0, le=31)]
Count = Annotated[int, Field(ge=0)]


class Member(Model):
    role: Role
    person: ItemCode  # a staff code
    days_at_grassroots: dict[Month, Days] = Field(default_factory=dict)


class Team(Model):
    code: EntityCode
    grids: list[ItemCode] = Field(default_factory=list)
    members: list[Member] = Field(default_factory=list)


class TeamsInputs(Model):
    teams: list[Team]


class TeamsParameters(Model):
    required_roles: dict[Role, Count]
    specialist_days: Count


def _check(inputs: TeamsInputs) -> None:
    problems = duplicates([t.code for t in inputs.teams], "teams")
    for i, t in enumerate(inputs.teams):
        seen: set = set()
        for j, g in enumerate(t.grids):
            if g in seen:
                problems.append(f"teams[{i}].grids[{j}]: {g!r} appears twice")
            seen.add(g)
        seen = set()
        for j, m in enumerate(t.members):
            if (m.role, m.person) in seen:
                problems.append(f"teams[{i}].members[{j}].person: {m.person!r} is listed twice as {m.role}")
            seen.add((m.role, m.person))
    refuse(problems)


def settle(inputs: TeamsInputs, params: TeamsParameters, period: Period) -> Outcome:
    """§7.1: each team's roles against `required_roles` (at least, R21); each specialist's days
    in each month of the period against `specialist_days` (a warning, not a conformance test)."""
    _check(inputs)
    out = Outcome()
    required = dict(params.required_roles)
    months = [str(m) for m in period.months()]
    conformant = 0
    for i, t in enumerate(inputs.teams):
        counts = Counter(m.role for m in t.members)
        missing = {r: n - counts[r] for r, n in required.items() if counts[r] < n}
        conformant += not missing
        out.add(t.code, "conformant", Decimal(int(not missing)), trace(
            "§7.1 conformant", "1 when the team has at least required_roles[r] members of every role r (R21), else 0",
            {"roles": dict(counts), "grids": list(t.grids)}, {"required_roles": required},
            missing=missing), unit="flag")
        out.add(t.code, "members", Decimal(len(t.members)), trace(
            "§7.1 members", "the number of member entries (R21)",
            {"members": [f"{m.role}:{m.person}" for m in t.members]}), unit="count")
        if missing:
            out.flag(t.code, "not_conformant", f"teams[{i}]: short of " + ", ".join(
                f"{n} {r}" for r, n in missing.items()))
        for j, m in enumerate(t.members):
            if m.role != "specialist":
                continue
            for month in months:
                days = m.days_at_grassroots.get(month)
                if days is None or days < params.specialist_days:
                    got = "no days recorded" if days is None else f"{days} working days"
                    out.flag(t.code, "specialist_days",
                             f"teams[{i}].members[{j}]: specialist {m.person} has {got} at the "
                             f"grassroots in {month}, below {params.specialist_days}")
    out.add("county", "teams", Decimal(len(inputs.teams)), trace(
        "§7.1 county", "the number of teams", {"teams": [t.code for t in inputs.teams]}), unit="count")
    out.add("county", "conformant_teams", Decimal(conformant), trace(
        "§7.1 county", "the number of teams whose `conformant` is 1", {"teams": len(inputs.teams)},
        {"required_roles": required}), unit="count")
    return out


def gather(facts: Facts, params: TeamsParameters, period: Period) -> dict:
    """The county's teams as stored, members in the order of the roles, then by staff code."""
    order = {r: i for i, r in enumerate(ROLES)}
    return {"teams": [
        {"code": t["code"], "grids": list(t["grids"]),
         "members": [{"role": m["role"], "person": m["staff"], "days_at_grassroots": dict(m["days"])}
                     for m in sorted(t["members"], key=lambda m: (order.get(m["role"], len(order)), m["staff"]))]}
        for t in facts.teams]}


COMPONENT = Component.declare(__file__, "teams", inputs=TeamsInputs, parameters=TeamsParameters, settle=settle,
                              gather=gather)
