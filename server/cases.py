"""Case files (`*.case.yaml`): the executable form of the policy contract (POLICIES.md §6).

    countypay case run FILE...   exit 0: every expected line exact; 1: differences; 2: invalid file
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from . import yamlio
from .compute import Computation, compute
from .errors import InputError
from .host import registry
from .money import ConservationError
from .period import Period


class InvalidCase(ValueError):
    """The case file cannot be run: it says why."""


@dataclass
class Expected:
    entity: str
    line: str
    value: Decimal


@dataclass
class Case:
    path: Path
    policy: str
    component: str
    period: Period
    parameters: dict
    inputs: Any
    expected: list[Expected]


@dataclass
class CaseResult:
    case: Case
    differences: list[str] = field(default_factory=list)
    computation: Computation | None = None

    @property
    def ok(self) -> bool:
        return not self.differences


def load(path: str | Path) -> Case:
    path = Path(path)
    try:
        data = yamlio.load(path)
    except (OSError, yaml.YAMLError) as e:
        raise InvalidCase(f"{path}: cannot read: {e}") from None
    if not isinstance(data, dict):
        raise InvalidCase(f"{path}: not a mapping of policy, component, period, inputs, expected")
    missing = [k for k in ("policy", "component", "period", "inputs", "expected") if k not in data]
    if missing:
        raise InvalidCase(f"{path}: missing {', '.join(missing)}")
    try:
        period = Period.parse(data["period"])
    except ValueError as e:
        raise InvalidCase(f"{path}: period: {e}") from None
    params = data.get("parameters") or {}
    if not isinstance(params, dict):
        raise InvalidCase(f"{path}: parameters: expected a mapping of component → parameters")
    lines = (data["expected"] or {}).get("lines") if isinstance(data["expected"], dict) else None
    if not isinstance(lines, list):
        raise InvalidCase(f"{path}: expected.lines: expected a list of {{entity, line, value}}")
    expected = []
    for i, e in enumerate(lines):
        try:
            expected.append(Expected(str(e["entity"]), str(e["line"]), Decimal(str(e["value"]))))
        except (KeyError, TypeError, InvalidOperation):
            raise InvalidCase(f"{path}: expected.lines[{i}]: needs entity, line and a decimal value") from None
    return Case(path, str(data["policy"]), str(data["component"]), period, params, data["inputs"], expected)


def run(case: Case) -> CaseResult:
    """Compute the case; raises InvalidCase when its policy, parameters or inputs are invalid."""
    try:
        policy = registry().policy(case.policy)
        component = policy.component(case.component)
    except KeyError as e:
        raise InvalidCase(f"{case.path}: {e.args[0]}") from None
    unknown = set(case.parameters) - {c.code for c in policy.components}
    if unknown:
        raise InvalidCase(f"{case.path}: parameters: no component {', '.join(sorted(unknown))} in {policy.code}")
    result = CaseResult(case)
    try:
        result.computation = compute(policy, component, case.inputs, case.period,
                                     run_overrides=case.parameters.get(case.component))
    except InputError as e:
        raise InvalidCase(f"{case.path}: {e}") from None
    except ConservationError as e:
        result.differences.append(f"does not balance: {e}")
        return result
    got = {(l.entity, l.code): l.value for l in result.computation.outcome.lines}
    for e in case.expected:
        value = got.get((e.entity, e.line))
        if value is None:
            result.differences.append(f"{e.entity} {e.line}: expected {e.value}, no such line")
        elif value != e.value:
            result.differences.append(f"{e.entity} {e.line}: expected {e.value}, got {value}")
    return result
