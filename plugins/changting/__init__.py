"""Changting (长汀), Fujian: family-doctor teams, micro-grids and health points.

POLICIES.md §7 (seed 001, 福建省长汀县). Four components, one module each, none of them paying
an institution:

- `teams` (teams.py): the "3+1+1+X" family-doctor teams checked against the roles they need and
  the specialists' 8 working days a month at the grassroots.
- `grid_index` (grid_index.py): the monthly health index of each micro-grid, and its rank.
- `health_points` (health_points.py): the households' points ledger, redemptions and filial
  spends, and what the redeemed items cost.
- `reimbursement_bonus` (bonus.py): 2 % more reimbursement for households compliant 12
  consecutive months.

Default parameters are in parameters.yaml, each dated and referenced to the seed or marked
illustrative. Each component settles from the store: its module's docstring says what its
`gather` reads (grids are the county's units; households are pseudonymous codes only).
The demo county comes from demo.py (with demo.yaml).
"""
from __future__ import annotations

from pathlib import Path

from countypay.hookspecs import hookimpl
from countypay.policy import Policy

from . import bonus, grid_index, health_points, teams
from .demo import countypay_demo  # noqa: F401  (hook implementation: the demo county, demo.py)

POLICY = Policy(
    code="changting",
    county="changting",
    name_zh="长汀县家庭医生签约服务：团队、网格与健康积分",
    name_en="Changting family-doctor services: teams, grids and health points",
    version="0.1.0",
    components=(teams.COMPONENT, grid_index.COMPONENT, health_points.COMPONENT, bonus.COMPONENT),
    parameter_file=Path(__file__).with_name("parameters.yaml"),
    indicators=grid_index.INDICATORS,
    reference="seeds/001 (福建省长汀县: 五小驱动 三化赋能 让签约服务更有温度)",
)


@hookimpl
def countypay_policies():
    return [POLICY]
