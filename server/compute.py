"""Run one component on validated inputs and resolved parameters, and check that it balances.

The one path every settlement takes: a case file, `countypay settle`, the API and a what-if
simulation all come through `compute`, so the checks here hold for all of them.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Mapping, Optional

from pydantic import BaseModel

from .canonical import digest, dumps
from .errors import validate
from .money import check_balance
from .params import Resolved, resolve
from .period import Period
from .policy import Component, Outcome, Policy


@dataclass(frozen=True)
class Computation:
    policy: Policy
    component: Component
    period: Period
    inputs: Any
    parameters: Resolved
    outcome: Outcome

    @cached_property
    def input_parts(self) -> Optional[dict[str, str]]:
        """Each top-level input (`institutions`, `fund`, …) as canonical JSON, written once: the
        run's input hash and its per-input digests are both taken from these."""
        inputs = self.inputs.model_dump(exclude_none=True) if isinstance(self.inputs, BaseModel) else self.inputs
        return {str(k): dumps(v) for k, v in inputs.items()} if isinstance(inputs, Mapping) else None

    @cached_property
    def input_hash(self) -> str:
        """SHA-256 of the canonical JSON of {component, inputs, period, policy}, joined from the
        inputs' parts byte for byte as `dumps` writes the whole, so a run stored before keeps its hash."""
        key = {"policy": self.policy.code, "component": self.component.code, "period": str(self.period)}
        if self.input_parts is None:
            return digest({**key, "inputs": self.inputs})
        parts = {k: dumps(v) for k, v in key.items()} | {"inputs": joined(self.input_parts)}
        return hashlib.sha256(joined(parts).encode()).hexdigest()


def joined(parts: Mapping[str, str]) -> str:
    """A JSON object of values already written as canonical JSON, keys sorted as `dumps` sorts them."""
    return "{" + ",".join(f"{dumps(k)}:{parts[k]}" for k in sorted(parts)) + "}"


def check(outcome: Outcome) -> None:
    """Every pool adds up to the fen, every line has a trace, no (entity, code) twice."""
    index = {}
    for line in outcome.lines:
        key = (line.entity, line.code)
        if key in index:
            raise ValueError(f"line {line.code!r} of {line.entity!r} appears twice")
        if not line.trace:
            raise ValueError(f"line {line.code!r} of {line.entity!r} has no trace")
        index[key] = line.value
    for pool in outcome.pools:
        missing = [p for p in pool.parts if p not in index]
        if missing:
            raise ValueError(f"pool {pool.name!r} names lines that do not exist: {missing}")
        check_balance(pool.name, pool.total, (index[p] for p in pool.parts))


def compute(policy: Policy, component: Component, inputs: Mapping[str, Any] | Any, period: Period,
            county_overrides: Mapping[str, Any] | None = None,
            run_overrides: Mapping[str, Any] | None = None, params: Resolved | None = None) -> Computation:
    params = params or resolve(policy, component, period, county_overrides, run_overrides)
    model = inputs if isinstance(inputs, component.inputs) else validate(component.inputs, inputs, "inputs")
    outcome = component.settle(model, params.model, period)
    check(outcome)
    return Computation(policy, component, period, model, params, outcome)
