"""Shouguang (寿光), Shandong: the health map (智慧健康地图), a report with no money.

POLICIES.md §8 (seed 001, 山东省寿光市"智慧健康地图"): indicators by grid on a map of the
county's towns, grids and institutions, so a supervisor sees where control rates are low and
where the institutions are. Shouguang pays no one by a rule countypay settles, so this plugin
declares no policy: it declares the indicators its map shows (`countypay_indicators`) and
contributes a demo county (`countypay_demo`, demo.py with demo.yaml) whose map is schematic
(shapes.py). The map itself is served by the core for any county whose bundle carries one.
"""
from __future__ import annotations

from countypay.hookspecs import hookimpl
from countypay.policy import IndicatorDef

from .demo import countypay_demo  # noqa: F401  (hook implementation: the demo county, demo.py)

REFERENCE = ("seeds/001 寿光 三: 居民高血压、糖尿病规范化管理率和控制率均提高10%以上 "
             "(by grid and month: illustrative)")
INDICATORS = tuple(
    IndicatorDef(code, zh, en, "ratio", entity="unit", period="month", direction="higher", reference=REFERENCE)
    for code, zh, en in (("hypertension_control_rate", "高血压控制率", "Hypertension control rate"),
                         ("diabetes_control_rate", "糖尿病控制率", "Diabetes control rate")))


@hookimpl
def countypay_indicators():
    return list(INDICATORS)
