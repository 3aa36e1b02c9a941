"""The closed sets of values as GraphQL enums, each made from the list the code keeps, so a value
added there appears here (and a missing description fails the schema's test). A value's GraphQL
name is the stored value in upper case, `/` read as `_PER_` (`yuan/equivalent` →
`YUAN_PER_EQUIVALENT`); resolvers return the stored value and arguments hand it back."""
from __future__ import annotations

from enum import Enum
from typing import Iterable, Mapping

import strawberry

from countypay import approval, audit, period
from countypay.models import INSTITUTION_KINDS
from countypay.policy import DIRECTIONS, ENTITY_KINDS, ROLES, SEVERITIES, TIERS, UNITS

ROLE_NAMES = dict(zip(ROLES, ("单元长", "指导员", "村医", "管理员", "卫健专干")))
KIND_NAMES = {"county_hospital": "县级医院", "township_health_centre": "乡镇卫生院",
              "community_health_centre": "社区卫生服务中心", "community_health_station": "社区卫生服务站",
              "village_clinic": "村卫生室", "public_health_institution": "专业公共卫生机构",
              "private": "民营医疗机构"}


def graphql_name(value: str) -> str:
    return value.upper().replace("/", "_PER_")


def closed(name: str, values: Iterable[str], described: Mapping[str, str], description: str) -> type[Enum]:
    """An enum of `values` (the code's own list); each value described by `described`."""
    members = {graphql_name(v): strawberry.enum_value(v, description=described.get(v)) for v in values}
    return strawberry.enum(Enum(name, members), description=description)


RunStatus = closed("RunStatus", approval.STATUSES, {status: f"{words} ({approval.STATUS_ZH[status]})." for status, words in {
    "draft": "Settled, not yet approved by the county",
    "approved": "Approved by the county, which locks it, and on its way up the chain",
    "accepted": "Accepted by the chain's last level: its period is closed",
    "sent_back": "Sent back to the county with a reason",
    "reopened": "Its accepted period was opened again",
}.items()}, "Where a settlement stands in the approval chain.")

ApprovalLevel = closed("ApprovalLevel", approval.LEVELS, {
    level: f"The {level} ({approval.LEVEL_ZH[level]})." for level in approval.LEVEL_ZH},
    "A level of the approval chain, lowest first: county, prefecture, province.")

ApprovalAction = closed("ApprovalAction", approval.AFTER, {
    "approve": "Approve: the county's approval locks the run; a prefecture's sends it on (approveSettlement).",
    "accept": "The chain's last level approves: the period closes (approveSettlement).",
    "send_back": "Send it back to the county with a reason (sendBackSettlement).",
    "reopen": "Reopen an accepted period with a reason (reopenPeriod).",
}, "A step of the approval chain.")

InstitutionKind = closed("InstitutionKind", INSTITUTION_KINDS, {
    k: f"{KIND_NAMES[k]} ({k.replace('_', ' ')})." for k in KIND_NAMES},
    "What an institution is (机构类别).")

Tier = closed("Tier", TIERS, {
    "county": "The county tier (县级).", "township": "The township tier (乡镇级).", "village": "The village tier (村级).",
}, "The tier of an institution, which splits such as 1:2:7 refer to (县/镇/村).")

UnitRole = closed("UnitRole", ROLES, {
    r: f"{ROLE_NAMES[r]} ({r.replace('_', ' ')})." for r in ROLE_NAMES},
    "A role of a health management unit's five-role team.")

Severity = closed("Severity", SEVERITIES, {
    "info": "For information: nothing is wrong.",
    "warning": "Worth a look: the settlement stands, something in its facts does not.",
    "error": "A rule was broken (money passed on late, a task overdue).",
}, "How serious a settlement's finding is.")

Direction = closed("Direction", DIRECTIONS, {
    "higher": "Higher is better (越高越好).", "lower": "Lower is better (越低越好).",
}, "Which way an indicator's values are better.")

EntityKind = closed("EntityKind", ENTITY_KINDS, {
    "unit": "A health management unit (健康管理单元).", "institution": "An institution (医疗卫生机构).",
    "community": "A medical community (医共体).", "county": "The county as a whole (县).",
}, "What an indicator's values are kept for.")

PeriodKind = closed("PeriodKind", period.KINDS, {
    "year": "A year (年), e.g. `2024`.", "half": "A half year (半年), e.g. `2024H1`.",
    "quarter": "A quarter (季度), e.g. `2024Q3`.", "month": "A month (月), e.g. `2024-07`.",
}, "How long a period is.")

UNIT_WORDS = {"yuan": "Yuan (元)", "yuan/equivalent": "Yuan per work equivalent (元/当量)",
              "equivalent": "Work equivalents (当量)", "ratio": "A ratio: 0.9 is 90 %", "score": "Points of a score (分)",
              "index": "An index", "flag": "1 when a condition holds, else 0", "day": "Days", "month": "Months",
              "rank": "A rank: 1 is first", "points": "Health points (积分)", "count": "A count"}
LineUnit = closed("LineUnit", UNITS, {
    u: f"{UNIT_WORDS[u]}; exact to {places} decimal places." for u, places in UNITS.items() if u in UNIT_WORDS},
    "The unit of a settlement line's value, which fixes its decimal places.")

AuditAction = closed("AuditAction", audit.ACTIONS, {
    "import": "A bundle imported (its tables and rows).",
    "parameter_override": "A county's parameter value set.",
    "settlement_run": "A settlement run stored.",
    "settlement_current": "An older run made current again by settling from the same inputs and parameters.",
    "settlement_approve": "A run approved at a level below the last.",
    "settlement_accept": "A run accepted by the last level: its period closed.",
    "settlement_send_back": "A run sent back to its county.",
    "period_reopen": "An accepted period reopened.",
    "approval_levels": "A province's approval levels changed.",
    "token_create": "A token made.",
    "token_revoke": "A token revoked.",
}, "What an audit event records.")
