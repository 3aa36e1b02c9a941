"""Haiyan (海盐), Zhejiang: purchasing primary-care services by standardized work equivalents.

POLICIES.md §3. The rule itself is the core's shared equivalents engine; this plugin brings
Haiyan's dated catalogue and parameters. From the store it reads (see
`countypay.toolkit.gather_work_equivalents`): service counts per institution, month and item;
fund `work_equivalent_fund` on the county for the year; fund `work_equivalent_paid` per
institution for the previous year; indicators `performance_score` (institution, year),
`noncompliant_ratio` and `service_quality` (institution, month), `served_population`
(institution, year). Its demo county and its part in synthetic counties come from demo.py.
"""
from __future__ import annotations

from countypay.hookspecs import hookimpl
from countypay.policy import Policy
from countypay.toolkit import WORK_EQUIVALENT, WORK_EQUIVALENT_INDICATORS

from .demo import countypay_demo, countypay_synth  # noqa: F401  (hook implementations)

POLICY = Policy.declare(__file__, components=(WORK_EQUIVALENT,), indicators=WORK_EQUIVALENT_INDICATORS)


@hookimpl
def countypay_policies():
    return [POLICY]
