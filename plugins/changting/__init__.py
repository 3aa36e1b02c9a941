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

from countypay.hookspecs import hookimpl
from countypay.policy import Policy

from . import bonus, grid_index, health_points, teams
from .demo import countypay_demo  # noqa: F401  (hook implementation: the demo county, demo.py)

POLICY = Policy.declare(__file__, components=(teams.COMPONENT, grid_index.COMPONENT, health_points.COMPONENT,
                                              bonus.COMPONENT), indicators=grid_index.INDICATORS)


@hookimpl
def countypay_policies():
    return [POLICY]
