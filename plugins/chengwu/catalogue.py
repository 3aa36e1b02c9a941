"""The seed's 32 performance indicators (seeds/004 四 绩效目标申报表), as kept in parameters.yaml.

The parameter file is the one source: `catalogue()` hands its rows out in a plain form (for the
demo data and reports), and `INDICATORS` declares them to the store, each as `chengwu_<n>`.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

from countypay.policy import IndicatorDef
from countypay.toolkit import VALUE_TYPES, read_yaml

PARAMETER_FILE = Path(__file__).with_name("parameters.yaml")

TYPES = VALUE_TYPES
"""How an indicator's cells are written and read (POLICIES.md §6.1): the toolkit's value types,
so the import checks a stored cell exactly as the assessment reads it."""

UNIT_OF_TYPE = {"percent": "percent", "number": "number", "permille": "per_mille", "ratio": "ratio_to_1",
                "yesno": "yes_no", "pair": "text", "trend": "text"}
"""The store's unit of a type unless a row names its own; `ratio` is "8.1:1", not a share of 0..1."""


def stored_code(n: int) -> str:
    """The indicator's code in the store, from its printed row number."""
    return f"chengwu_{n:02d}"


def catalogue(on: Optional[date] = None) -> list[dict]:
    """The catalogue in force on a date (the latest without one): per indicator its `code`, store
    `indicator` code, `n`, `level1`/`level2` grouping, `name_zh`, `name_en`, `type`, `unit`,
    `direction` and `why`, `value_2023`, `targets` {year: text} and `remark`; texts as printed."""
    entries = read_yaml(PARAMETER_FILE)["assessment"]["catalogue"]
    live = [e for e in sorted(entries, key=lambda e: e["from"]) if on is None or e["from"] <= on]
    if not live:
        return []
    return [{**row, "indicator": stored_code(row["n"]), "unit": row.get("unit") or UNIT_OF_TYPE[row["type"]],
             "targets": {str(y): t for y, t in row["targets"].items()}, "remark": row.get("remark")}
            for row in live[-1]["value"]]


INDICATORS = tuple(
    IndicatorDef(row["indicator"], row["name_zh"], row["name_en"], row["unit"], entity="institution", period="year",
                 direction=row["direction"], value_type=row["type"],
                 reference=f"seeds/004 四 绩效目标申报表 #{row['n']} ({row['level1']}/{row['level2']}); "
                           f"type {row['type']}; direction: {row['why']}"
                           + (f"; 备注: {row['remark']}" if row["remark"] else ""))
    for row in catalogue())
