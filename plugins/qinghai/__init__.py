"""Qinghai (青海): BPHS funds packaged to a county's close-knit medical community.

POLICIES.md §5, from 青卫健〔2021〕16号 (seeds/002, 2021-01-27). The notice is the province's,
for its eight pilot counties; the policy is registered for the pilot the demo uses, Huangyuan
(湟源县, a pilot since 2020), and any other pilot county runs the same rules. Two components:

- `package` (package.py): the BPHS and 65+ health-check funds summed into one package, earned
  by the county's half-year evaluation, paid to members by the quarterly evaluation.
- `transfers` (transfers.py): the 30-day rule and full pass-through of the funds down the
  province → prefecture → county → lead hospital chain, and the notice's task deadlines.

Default parameters are in parameters.yaml, each dated and referenced to the seed or the Reading.
The demo county, Huangyuan, comes from demo.py (with demo.yaml).
"""
from __future__ import annotations

from countypay.hookspecs import hookimpl
from countypay.policy import Policy

from . import package, transfers
from .demo import countypay_demo  # noqa: F401  (hook implementation)

POLICY = Policy.declare(__file__, components=(package.COMPONENT, transfers.COMPONENT), indicators=package.INDICATORS)


@hookimpl
def countypay_policies():
    return [POLICY]
