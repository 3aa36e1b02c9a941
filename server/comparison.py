"""Two runs of the same county, policy, component and period side by side: the lines that changed
and by how much, the lines only one has, and which parameters and inputs differ. The API and the
spreadsheet export both read it from here.

Parameters are stored whole on each run, so each differing value is shown. Inputs are stored as
a hash, and (from schema 0008 on) a digest of each top-level input: the comparison names the
inputs that differ, not their values, which are the county's stored facts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Optional

from sqlmodel import Session

from .models import SettlementRun
from .settle import run_lines


@dataclass(frozen=True)
class LineChange:
    entity: str
    code: str
    unit: str
    a: Optional[Decimal]  # None: the line is only in b
    b: Optional[Decimal]  # None: the line is only in a

    @property
    def difference(self) -> Optional[Decimal]:
        return None if self.a is None or self.b is None else self.b - self.a

    @property
    def kind(self) -> str:
        return "only_a" if self.b is None else "only_b" if self.a is None else "changed"


@dataclass(frozen=True)
class ParameterChange:
    name: str
    a: Any
    b: Any
    source_a: Optional[str]
    source_b: Optional[str]


@dataclass
class Comparison:
    a: SettlementRun
    b: SettlementRun
    lines: list[LineChange] = field(default_factory=list)  # changed, then only in a, then only in b
    unchanged: int = 0
    parameters: list[ParameterChange] = field(default_factory=list)
    inputs_differ: bool = False
    changed_inputs: Optional[list[str]] = None  # None: a run stored before per-input digests


class NotComparable(ValueError):
    """The two runs do not settle the same county, policy, component and period."""


def compare(session: Session, a: SettlementRun, b: SettlementRun, entity: Optional[str] = None) -> Comparison:
    """Run `b` against run `a`, line by line (only `entity`'s lines when given)."""
    keys = ("county_id", "policy", "component", "period")
    if any(getattr(a, k) != getattr(b, k) for k in keys):
        raise NotComparable(f"runs {a.id} and {b.id} do not settle the same county, policy, component and period")
    out = Comparison(a, b, inputs_differ=a.input_hash != b.input_hash)
    left = {(l.entity, l.code): l for l in run_lines(session, a.id) if entity is None or l.entity == entity}
    right = {(l.entity, l.code): l for l in run_lines(session, b.id) if entity is None or l.entity == entity}
    changed, only_a = [], []
    for key, line in left.items():
        other = right.get(key)
        if other is None:
            only_a.append(LineChange(*key, line.unit, line.value, None))
        elif other.value != line.value:
            changed.append(LineChange(*key, line.unit, line.value, other.value))
        else:
            out.unchanged += 1
    only_b = [LineChange(*key, line.unit, None, line.value) for key, line in right.items() if key not in left]
    out.lines = changed + only_a + only_b
    pa, pb = a.parameters or {}, b.parameters or {}
    sa, sb = a.parameter_sources or {}, b.parameter_sources or {}
    out.parameters = [ParameterChange(n, pa.get(n), pb.get(n), sa.get(n), sb.get(n))
                      for n in sorted({*pa, *pb}) if pa.get(n) != pb.get(n)]
    if a.input_digests is not None and b.input_digests is not None:
        da, db = a.input_digests, b.input_digests
        out.changed_inputs = sorted(k for k in {*da, *db} if da.get(k) != db.get(k))
    elif not out.inputs_differ:
        out.changed_inputs = []
    return out
