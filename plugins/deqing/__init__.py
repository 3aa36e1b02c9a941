"""Deqing (德清), Zhejiang: insurance global budget per medical community, and purchase of
primary-care services by standardized work equivalents.

POLICIES.md §4. `global_budget` is this plugin's own rule (global_budget.py); `work_equivalent`
is the core's shared equivalents engine with Deqing's catalogue (parameters.yaml). The recorded
budget outcomes 2018-2023 are in history.yaml (history.py). Its demo county and its part in
synthetic counties come from demo.py.
"""
from __future__ import annotations

from pathlib import Path

from countypay.hookspecs import hookimpl
from countypay.policy import Component, Policy
from countypay.toolkit import WORK_EQUIVALENT, WORK_EQUIVALENT_INDICATORS

from . import global_budget, history
from .demo import countypay_demo, countypay_synth  # noqa: F401  (hook implementations)

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


@hookimpl
def countypay_indicators():
    return list(history.INDICATORS)
