"""Chengwu (成武), Shandong: the county's high-quality development project, 2024-2026.

POLICIES.md §6. Two components, one module each:

- `assessment` (assessment.py): the levels assessed (general hospital, branches, central village
  clinics) against the year's targets on the seed's 32 indicators, graded 优秀/良好/合格/待改进.
- `project_funds` (project_funds.py): the project's 4,100 万 yuan plan by task, year and source
  against what was disbursed.

The indicator catalogue (names, grouping, types, directions, the 2023 values and the 2024-2026
targets as printed) is in parameters.yaml with the other defaults; `catalogue()` hands it out.

Both settle from the store: each module's docstring says what its `gather` reads (the stored
texts and targets of the indicators; the project plan and disbursements).
"""
from __future__ import annotations

from countypay.hookspecs import hookimpl
from countypay.policy import Component, Policy

from . import assessment, project_funds
from .catalogue import INDICATORS, catalogue
from .demo import countypay_demo  # noqa: F401  (hook implementation: the demo county, demo.py)

__all__ = ["POLICY", "ASSESSMENT", "PROJECT_FUNDS", "catalogue"]

ASSESSMENT = Component.declare(__file__, "assessment", inputs=assessment.AssessmentInputs,
                               parameters=assessment.AssessmentParameters, settle=assessment.settle,
                               gather=assessment.gather, lookback=assessment.lookback)

PROJECT_FUNDS = Component.declare(__file__, "project_funds", inputs=project_funds.ProjectInputs,
                                  parameters=project_funds.ProjectParameters, settle=project_funds.settle,
                                  gather=project_funds.gather)

POLICY = Policy.declare(__file__, components=(ASSESSMENT, PROJECT_FUNDS), indicators=INDICATORS)


@hookimpl
def countypay_policies():
    return [POLICY]
