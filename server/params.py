"""Dated parameters: plugin default in force for the period ← county override ← run override.

A plugin's parameter file maps each component to its parameters, each a list of dated values
with the document they come from (or the word `illustrative`)::

    public_health:
      ratios:
        - {from: 2019-01-01, value: [0.7, 0.2, 0.1], reference: "seed 000 §3: 7:2:1"}

A later `from` replaces an earlier one from that date. An override replaces a value whole.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

from . import yamlio
from .canonical import digest, jsonable
from .errors import InputError, validate
from .period import Period
from .policy import Component, Policy


@dataclass(frozen=True)
class Dated:
    since: date
    value: Any
    reference: str


@lru_cache(maxsize=None)
def load_defaults(path: Path) -> dict[str, dict[str, list[Dated]]]:
    """Read and check a parameter file: every value dated and referenced."""
    data = yamlio.load(path) or {}
    out: dict[str, dict[str, list[Dated]]] = {}
    bad = []
    for comp, names in data.items():
        for name, entries in (names or {}).items():
            if not isinstance(entries, list):
                bad.append(f"{comp}.{name}: expected a list of {{from, value, reference}}")
                continue
            for i, e in enumerate(entries):
                if not (isinstance(e, dict) and isinstance(e.get("from"), date) and "value" in e
                        and isinstance(e.get("reference"), str) and e["reference"].strip()):
                    bad.append(f"{comp}.{name}[{i}]: needs a `from` date, a `value` and a `reference`")
                    continue
                out.setdefault(comp, {}).setdefault(name, []).append(
                    Dated(e["from"], e["value"], e["reference"]))
            if name in out.get(comp, {}):
                out[comp][name].sort(key=lambda d: d.since)
    if bad:
        raise InputError(str(path), bad)
    return out


def in_force(policy: Policy, component: str, on: date) -> dict[str, Dated]:
    """Each default parameter's value in force on a date."""
    chosen = {}
    for name, entries in load_defaults(policy.parameter_file).get(component, {}).items():
        live = [d for d in entries if d.since <= on]
        if live:
            chosen[name] = live[-1]
    return chosen


@dataclass(frozen=True)
class Resolved:
    """Parameters for one run: the validated model, the plain values, where each came from."""

    model: Any
    values: dict
    sources: dict[str, str]

    @property
    def version(self) -> str:
        return digest(self.values)[:16]


def resolve(policy: Policy, component: Component, period: Period,
            county: Mapping[str, Any] | None = None, run: Mapping[str, Any] | None = None,
            where: str = "parameters") -> Resolved:
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, d in in_force(policy, component.code, period.start).items():
        values[name] = d.value
        sources[name] = f"default from {d.since.isoformat()} ({d.reference})"
    for label, layer in (("county override", county), ("run override", run)):
        for name, value in (layer or {}).items():
            values[name] = value
            sources[name] = label
    model = validate(component.parameters, values, where, f"{component.code}")
    return Resolved(model, jsonable(model), sources)
