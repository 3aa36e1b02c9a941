"""Indicator values written as text, read by the indicator's value type.

Some counties keep an indicator's value and target as printed ("36.70%", "8.1:1", "是",
"92%、95%", "逐年提高"): the store keeps the text exactly as written, and this module reads it.
The import refuses a text that does not read as its indicator's type, and a plugin reads the
same text the same way when it settles, so both sides agree on what a cell means.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Optional

from .money import exact, show

VALUE_TYPES = ("percent", "number", "permille", "ratio", "yesno", "pair", "trend")
"""How a text value is written: percent "36.70%", number "0.88", permille "4.97‰", ratio "8.1:1"
(the first term), yesno 是/否, pair (two values in one cell, "92%、95%"), trend (the target is a
word such as 逐年提高; the value a number with an optional % or ‰)."""

NUMBER = r"[+-]?\d+(?:\.\d+)?"
PART = re.compile(rf"(?P<label>[^\d+\-.]*?)\s*(?P<num>{NUMBER})\s*(?P<unit>%|‰)?")
RATIO = re.compile(rf"(?P<num>{NUMBER})\s*:\s*(?P<per>{NUMBER})")
SEPARATORS = re.compile(r"[、。，,；;]")
YES_NO = ("是", "否")
TRENDS = {"逐年提高": "higher", "逐年上升": "higher", "逐年增加": "higher",
          "逐年降低": "lower", "逐年下降": "lower", "逐年减少": "lower"}
"""Trend targets and the direction each asks for."""
UNIT_OF = {"percent": "%", "permille": "‰", "number": ""}
EXAMPLES = {"percent": "36.70%", "number": "0.88", "permille": "4.97‰", "ratio": "8.1:1", "yesno": "是",
            "pair": "92%、95%", "trend": "63.5%"}
"""A value of each type as written (a trend's value is a number; its target a word)."""


@dataclass(frozen=True)
class Part:
    """One number of a cell: its exact value, its sign of unit (%, ‰, :1 or none), its label."""

    value: Fraction
    unit: str
    label: str = ""

    def __str__(self) -> str:
        return f"{self.label}{show(self.value, 10)}{self.unit}"


def _tidy(text: str) -> str:
    """Full-width signs as half-width, and no stray "。" or spaces at either end (as printed tables have)."""
    return text.replace("％", "%").replace("：", ":").strip().strip("。").strip()


def _part(text: str, labelled: bool) -> Part:
    m = PART.fullmatch(text.strip())
    if not m or (m["label"] and not labelled):
        raise ValueError("expected a number" + (" with an optional label" if labelled else ""))
    return Part(exact(Decimal(m["num"])), m["unit"] or "", m["label"].strip())


def read(text: str, kind: str, target: bool = False) -> tuple[Part, ...] | str:
    """The parts of a cell read as `kind`; a yes/no, or a trend target, is its word. Raises
    ValueError saying what was expected."""
    if kind not in VALUE_TYPES:
        raise ValueError(f"no value type {kind!r} (types: {', '.join(VALUE_TYPES)})")
    t = _tidy(text)
    if kind == "yesno":
        if t not in YES_NO:
            raise ValueError("expected 是 or 否")
        return t
    if kind == "trend" and target:
        if t not in TRENDS:
            raise ValueError(f"expected a trend such as {', '.join(TRENDS)}")
        return t
    if kind == "ratio":
        m = RATIO.fullmatch(t)
        if not m or Decimal(m["per"]) != 1:
            raise ValueError("expected a ratio to 1 such as 8.1:1")
        return (Part(exact(Decimal(m["num"])), ":1"),)
    if kind == "pair":
        parts = tuple(_part(p, labelled=True) for p in SEPARATORS.split(t) if p.strip())
        if len(parts) < 2:
            raise ValueError("expected two values in one cell such as 92%、95%")
        return parts
    part = _part(t, labelled=False)
    if kind in UNIT_OF and part.unit != UNIT_OF[kind]:
        raise ValueError(f"expected a number{' ending in ' + UNIT_OF[kind] if UNIT_OF[kind] else ' with no % or ‰'}")
    return (part,)  # a trend value: a number with an optional % or ‰


def problem(text: str, kind: str, target: bool = False) -> Optional[str]:
    """Why a text does not read as `kind` (None when it does)."""
    try:
        read(text, kind, target)
    except ValueError as e:
        return str(e)
    return None
