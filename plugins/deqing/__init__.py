"""Deqing (德清), Zhejiang: insurance global budget per medical community, and purchase of
primary-care services by standardized work equivalents.

POLICIES.md §4. `global_budget` is this plugin's own rule (global_budget.py); `work_equivalent`
is the core's shared equivalents engine with Deqing's catalogue (parameters.yaml). The recorded
budget outcomes 2018-2023 are in history.yaml (history.py).
"""
from __future__ import annotations

from pathlib import Path

from countypay.hookspecs import hookimpl
from countypay.policy import Component, LineSpec, Policy
from countypay.toolkit import (WORK_EQUIVALENT_INDICATORS, WorkEquivalentInputs, WorkEquivalentParameters,
                               gather_work_equivalents, work_equivalents)

from . import global_budget

GLOBAL_BUDGET = Component(
    code="global_budget",
    name_zh="医共体医保基金总额预算",
    name_en="Insurance global budget per medical community",
    inputs=global_budget.GlobalBudgetInputs,
    parameters=global_budget.GlobalBudgetParameters,
    settle=global_budget.settle,
    gather=global_budget.gather,
    lines=global_budget.LINES,
)

WORK_EQUIVALENT = Component(
    code="work_equivalent",
    name_zh="标化工作当量购买服务",
    name_en="Purchase of services by standardized work equivalents",
    inputs=WorkEquivalentInputs,
    parameters=WorkEquivalentParameters,
    settle=work_equivalents,
    gather=gather_work_equivalents,
    lines=(
        LineSpec("county", "fund", "年度购买服务资金 F"),
        LineSpec("county", "risk_fund.opening", "风险调节金 R0 = F × risk_fund_rate"),
        LineSpec("county", "distributable", "可分配资金 D = F − R0"),
        LineSpec("county", "price", "当量价格 p = D / ΣQ (4 decimals)"),
        LineSpec("county", "risk_fund.closing", "F − Σ paid, carried to next year"),
        LineSpec("institution", "equivalents", "标化工作当量 Q"),
        LineSpec("institution", "raw", "Q × p × performance / 100"),
        LineSpec("institution", "cap_clawback", "above cap_rate × previous payment"),
        LineSpec("institution", "floor_topup", "below floor_rate × previous payment (托底)"),
        LineSpec("institution", "paid", "raw − cap_clawback + floor_topup"),
    ),
)

POLICY = Policy(
    code="deqing",
    county="deqing",
    name_zh="德清县医共体医保总额预算与基层补偿机制",
    name_en="Deqing insurance global budget and primary-care compensation",
    version="0.1.0",
    components=(GLOBAL_BUDGET, WORK_EQUIVALENT),
    parameter_file=Path(__file__).with_name("parameters.yaml"),
    indicators=global_budget.INDICATORS + WORK_EQUIVALENT_INDICATORS,
    reference="seeds/003 促进三医协同发展; 落实政府投入保障机制",
)


@hookimpl
def countypay_policies():
    return [POLICY]
