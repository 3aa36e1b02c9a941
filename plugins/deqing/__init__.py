"""Deqing (德清), Zhejiang: insurance global budget per medical community, and purchase of
primary-care services by standardized work equivalents.

POLICIES.md §4. `global_budget` is this plugin's own rule (global_budget.py); `work_equivalent`
is the core's shared equivalents engine with Deqing's catalogue (parameters.yaml). The recorded
budget outcomes 2018-2023 are in history.yaml (history.py). Its demo county and its part in
synthetic counties come from demo.py.
"""
from __future__ import annotations

from countypay.hookspecs import hookimpl
from countypay.policy import Component, Policy
from countypay.toolkit import WORK_EQUIVALENT, WORK_EQUIVALENT_INDICATORS

from . import global_budget, history
from .demo import countypay_demo, countypay_synth  # noqa: F401  (hook implementations)

GLOBAL_BUDGET = Component.declare(__file__, "global_budget", inputs=global_budget.GlobalBudgetInputs,
                                  parameters=global_budget.GlobalBudgetParameters, settle=global_budget.settle,
                                  gather=global_budget.gather)


POLICY = Policy.declare(__file__, components=(GLOBAL_BUDGET, WORK_EQUIVALENT),
                        indicators=global_budget.INDICATORS + WORK_EQUIVALENT_INDICATORS)


@hookimpl
def countypay_policies():
    return [POLICY]


@hookimpl
def countypay_indicators():
    return list(history.INDICATORS)
