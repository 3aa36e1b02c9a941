"""Haiyan (海盐), Zhejiang: purchasing primary-care services by standardized work equivalents.

POLICIES.md §3. The rule itself is the core's shared equivalents engine; this plugin brings
Haiyan's dated catalogue and parameters. From the store it reads (see
`countypay.toolkit.gather_work_equivalents`): service counts per institution, month and item;
fund `work_equivalent_fund` on the county for the year; fund `work_equivalent_paid` per
institution for the previous year; indicators `performance_score` (institution, year),
`noncompliant_ratio` and `service_quality` (institution, month), `served_population`
(institution, year).
"""
from __future__ import annotations

from pathlib import Path

from countypay.hookspecs import hookimpl
from countypay.policy import Component, LineSpec, Policy
from countypay.toolkit import (WORK_EQUIVALENT_INDICATORS, WorkEquivalentInputs, WorkEquivalentParameters,
                               gather_work_equivalents, work_equivalents)

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
        LineSpec("institution", "equivalents.<month>", "equivalents of one month (the monthly trend)"),
        LineSpec("institution", "per_capita", "paid / population served (人均公共卫生经费), when known"),
    ),
)

POLICY = Policy(
    code="haiyan",
    county="haiyan",
    name_zh="海盐县标化工作当量购买服务",
    name_en="Haiyan standardized work equivalents",
    version="0.1.0",
    components=(WORK_EQUIVALENT,),
    parameter_file=Path(__file__).with_name("parameters.yaml"),
    indicators=WORK_EQUIVALENT_INDICATORS,
    reference="seeds/001 Haiyan case",
)


@hookimpl
def countypay_policies():
    return [POLICY]
