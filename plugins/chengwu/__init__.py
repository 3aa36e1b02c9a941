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
from .catalogue import INDICATORS, PARAMETER_FILE, catalogue
from .demo import countypay_demo  # noqa: F401  (hook implementation: the demo county, demo.py)

__all__ = ["POLICY", "ASSESSMENT", "PROJECT_FUNDS", "catalogue"]

ASSESSMENT = Component(
    code="assessment",
    name_zh="县域医疗卫生高质量发展绩效目标考核",
    name_en="Graded assessment on the project's performance targets",
    inputs=assessment.AssessmentInputs,
    parameters=assessment.AssessmentParameters,
    settle=assessment.settle,
    gather=assessment.gather,
    lookback=assessment.lookback,
    lines=assessment.LINES,
)

PROJECT_FUNDS = Component(
    code="project_funds",
    name_zh="县域医疗卫生高质量发展提升项目资金执行",
    name_en="Project funds: plan by task, year and source against disbursement",
    inputs=project_funds.ProjectInputs,
    parameters=project_funds.ProjectParameters,
    settle=project_funds.settle,
    gather=project_funds.gather,
    lines=project_funds.LINES,
)

POLICY = Policy(
    code="chengwu",
    county="chengwu",
    name_zh="成武县县域医疗卫生高质量发展提升项目",
    name_en="Chengwu county health care high-quality development project",
    version="0.1.0",
    components=(ASSESSMENT, PROJECT_FUNDS),
    parameter_file=PARAMETER_FILE,
    indicators=INDICATORS,
    reference="seeds/004 成政办字〔2024〕11号 县域医疗卫生高质量发展提升项目实施方案",
)


@hookimpl
def countypay_policies():
    return [POLICY]
