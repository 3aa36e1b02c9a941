"""Suixi `community_surplus`: a medical community's year-end insurance surplus, split 6:3:1 over
its county, township and village institutions, the lead hospital passing 5 % of its share to the
professional public-health institutions (POLICIES.md §2.3).

`gather` reads these stored facts (Y = the settlement year):

| source | code | entity | period | becomes |
| --- | --- | --- | --- | --- |
| fund | `community_surplus` | community | Y | `surplus`; every community with this fund is settled |
| community | `lead` | | | the institution marked `lead` |
| institution | `tier`, `community` | | | `institutions`: the community's county, township and village institutions |
| institution | `kind` = `public_health_institution` | | | `public_health_institutions` (of this community or of none) |
| value | `surplus_weight` | institution | Y | `weight` within the tier; 1 when absent |
"""
from __future__ import annotations

from decimal import Decimal
from typing import Literal, Optional

from pydantic import Field, model_validator

from countypay.period import Period
from countypay.policy import TIERS, Component, Facts, IndicatorDef, Model, Outcome, plain, trace
from countypay.toolkit import (EntityCode, Money, Ratio, Shares, Weight, duplicates, refuse,
                               check_balance, exact, fen, found, split, split_equal)


FUND_SURPLUS = "community_surplus"
SEED = "seeds/001 Suixi §1"
PUBLIC_HEALTH_KIND = "public_health_institution"
NOT_IN_TIERS = {PUBLIC_HEALTH_KIND, "private"}

INDICATORS = (
    IndicatorDef("surplus_weight", "医共体结余分配权重", "Weight in the community surplus split", "weight",
                 entity="institution", reference="illustrative: e.g. assessment score × served population"),
)


class Institution(Model):
    code: EntityCode
    tier: Literal[TIERS]
    weight: Weight = Decimal(1)
    lead: bool = False


class CommunityInputs(Model):
    surplus: Money
    community: Optional[EntityCode] = None
    institutions: list[Institution] = Field(min_length=1)
    public_health_institutions: list[EntityCode] = Field(default_factory=list)


class CountyInputs(CommunityInputs):
    """One community's surplus and institutions, or `communities`: several settled side by side."""

    surplus: Optional[Money] = None
    institutions: list[Institution] = Field(default_factory=list)
    communities: list[CommunityInputs] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_form(self):
        if self.communities:
            if self.surplus is not None or self.institutions:
                raise ValueError("give one community's surplus and institutions, or `communities`, not both")
            if any(not c.community for c in self.communities):
                raise ValueError("communities: each needs its `community` code")
        elif self.surplus is None or not self.institutions:
            raise ValueError("surplus and institutions are needed (or a list of `communities`)")
        return self


class CommunityParameters(Model):
    split: Shares(3)
    public_health_rate: Ratio


def _check(inputs: CommunityInputs, shares: list[Decimal]) -> Institution:
    """Refuse inputs that leave money without an owner; return the lead hospital."""
    problems = duplicates([i.code for i in inputs.institutions], "institutions")
    seen: set[str] = set()
    for j, code in enumerate(inputs.public_health_institutions):
        if code in seen:
            problems.append(f"public_health_institutions[{j}]: {code!r} appears twice")
        seen.add(code)
    leads = [i for i in inputs.institutions if i.lead]
    if len(leads) != 1:
        problems.append(f"institutions: exactly one institution must be the lead, not {len(leads)}")
    elif leads[0].tier != "county":
        problems.append(f"institutions: the lead {leads[0].code!r} must be in the county tier")
    for tier, amount in zip(TIERS, shares):
        members = [i for i in inputs.institutions if i.tier == tier]
        if amount and not any(i.weight for i in members):
            problems.append(f"institutions: the {tier} tier's {amount} has no institution with a weight above 0")
    refuse(problems)
    return leads[0]


def settle(inputs: CountyInputs, params: CommunityParameters, period: Period) -> Outcome:
    """POLICIES.md §2.3 for one community, or for each of `communities`."""
    if not inputs.communities:
        return settle_one(inputs, params)
    return merge([(c.community, settle_one(c, params)) for c in inputs.communities])


def merge(parts: list[tuple[str, Outcome]]) -> Outcome:
    """Communities settled side by side: each balances on its own first; its county lines go on
    the community's code; an institution paid by two communities (a public-health institution
    serving both) gets the sum, its trace keeping each part."""
    out, index = Outcome(), {}
    for community, o in parts:
        values = {(l.entity, l.code): l.value for l in o.lines}
        for pool in o.pools:
            check_balance(f"{community}: {pool.name}", pool.total, (values[p] for p in pool.parts))
        for line in o.lines:
            entity = community if line.entity == "county" else line.entity
            key = (entity, line.code)
            if key in index:
                value, traces = index[key]
                index[key] = (value + line.value, {**traces, community: line.trace})
            else:
                index[key] = (line.value, {community: line.trace})
    for (entity, code), (value, traces) in index.items():
        out.add(entity, code, value, next(iter(traces.values())) if len(traces) == 1 else {"by_community": traces})
    surplus = sum((o.value("county", "surplus") for _, o in parts), Decimal("0.00"))
    out.pool("surplus", surplus, [k for k in index if k[1] == "paid"])
    return out


def settle_one(inputs: CommunityInputs, params: CommunityParameters) -> Outcome:
    """POLICIES.md §2.3: tiers by `split`, within a tier by weight, the lead's transfer, paid."""
    out = Outcome()
    S = inputs.surplus
    tier_amounts = split(S, [exact(w) for w in params.split])
    lead = _check(inputs, tier_amounts)
    out.add("county", "surplus", S, trace("§2.3", "the medical community's year-end surplus",
                                          {"surplus": plain(S)}, community=inputs.community))
    share: dict[str, Decimal] = {}
    for tier, amount in zip(TIERS, tier_amounts):
        members = sorted((i for i in inputs.institutions if i.tier == tier), key=lambda i: i.code)
        out.add("county", f"tier.{tier}", amount, trace(
            "§2.3", "surplus split by `split` (6:3:1), largest remainder", {"surplus": plain(S)},
            {"split": plain(params.split)}))
        parts = split(amount, [exact(i.weight) for i in members]) if members else []
        for i, p in zip(members, parts):
            share[i.code] = p
            out.add(i.code, "share", p, trace(
                "§2.3", "the tier's amount by weight within the tier, largest remainder (smaller code first)",
                {"tier": tier, "tier_amount": plain(amount), "weight": plain(i.weight),
                 "tier_weights": {m.code: plain(m.weight) for m in members}}))
        out.pool(f"tier {tier}", amount, [(i.code, "share") for i in members])
    out.pool("surplus by tier", S, [("county", f"tier.{t}") for t in TIERS])

    transfer = fen(exact(share[lead.code]) * exact(params.public_health_rate))
    if transfer and not inputs.public_health_institutions:
        refuse([f"public_health_institutions: the lead's transfer of {transfer} needs at least one"])
    out.add(lead.code, "public_health_transfer", transfer, trace(
        "§2.3", "the lead hospital's share × public_health_rate, half-up",
        {"share": plain(share[lead.code])}, {"public_health_rate": plain(params.public_health_rate)}))
    ph = sorted(inputs.public_health_institutions)
    received = dict(zip(ph, split_equal(transfer, len(ph))))
    for code in ph:
        out.add(code, "public_health_received", received[code], trace(
            "§2.3", "the lead's transfer in equal parts, largest remainder (smaller code first)",
            {"public_health_transfer": plain(transfer), "public_health_institutions": ph}))
    out.pool("public_health_transfer", transfer, [(code, "public_health_received") for code in ph])

    payees = sorted(set(share) | set(ph))
    for code in payees:
        paid = share.get(code, Decimal("0.00")) - (transfer if code == lead.code else 0) + received.get(code, 0)
        out.add(code, "paid", paid, trace(
            "§2.3", "share − public_health_transfer (lead) + public_health_received (public-health institutions)",
            {"share": plain(share.get(code)), "public_health_transfer": plain(transfer) if code == lead.code else None,
             "public_health_received": plain(received.get(code))}))
    out.pool("surplus", S, [(code, "paid") for code in payees])
    return out


def gather(facts: Facts, params: CommunityParameters, period: Period) -> dict:
    """The inputs of `settle` for every community that has a surplus fund for the period."""
    year = str(period)
    communities = []
    for community in facts.communities:
        code = community["code"]
        surplus = facts.fund(FUND_SURPLUS, code, year)
        if surplus is None:
            continue
        institutions, public_health = [], []
        for inst in sorted(facts.institutions, key=lambda i: i["code"]):
            if inst.get("kind") == PUBLIC_HEALTH_KIND and inst.get("community") in (code, None, ""):
                public_health.append(inst["code"])
            elif inst.get("community") == code and inst.get("kind") not in NOT_IN_TIERS:
                institutions.append({"code": inst["code"], "tier": inst["tier"],
                                     **found(weight=facts.value("surplus_weight", inst["code"], year),
                                             lead=True if inst["code"] == community.get("lead") else None)})
        communities.append({"surplus": surplus, "community": code, "institutions": institutions,
                            "public_health_institutions": public_health})
    if len(communities) == 1:
        return communities[0]
    return {"communities": communities}


COMPONENT = Component.declare(__file__, "community_surplus", inputs=CountyInputs, parameters=CommunityParameters,
                              settle=settle, gather=gather)
