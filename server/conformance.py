"""Conformance kit: what every policy component must do, checkable from any plugin's tests.

    from countypay import conformance
    conformance.check_component("haiyan", "work_equivalent", "2024", my_inputs_strategy)
    conformance.check_rejects_malformed("haiyan", "work_equivalent", "2024", one_valid_input)

On random inputs a component balances to the fen (every pool it declares), is deterministic
(same inputs → same lines and input hash), gives every line a trace with no float in it, and
refuses malformed input with an error that names the field.
"""
from __future__ import annotations

import copy
from typing import Any, Iterator, Mapping

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .compute import compute
from .errors import InputError, field_path
from .host import registry
from .period import Period
from .policy import trace

TRACE_KEYS = set(trace("", ""))


def _run(policy: str, component: str, period: str, inputs: Any, overrides: Mapping | None):
    p = registry().policy(policy)
    return compute(p, p.component(component), inputs, Period.parse(period), run_overrides=overrides)


def assert_conforms(policy: str, component: str, period: str, inputs: Any,
                    overrides: Mapping | None = None) -> None:
    """One input: balances (compute checks every pool), traced in the one trace shape,
    deterministic, and a component that produces money lines declares a pool."""
    first = _run(policy, component, period, copy.deepcopy(inputs), overrides)
    again = _run(policy, component, period, copy.deepcopy(inputs), overrides)
    if any(line.unit == "yuan" for line in first.outcome.lines):
        assert first.outcome.pools, f"{policy}.{component} declares no pool, so nothing proves it balances"
    shapes = [(line.entity, line.code) for line in first.outcome.lines if set(line.trace) != TRACE_KEYS]
    assert not shapes, f"traces not in the shape {sorted(TRACE_KEYS)}: {shapes[:5]}"
    floats = [(line.entity, line.code) for line in first.outcome.lines if _has_float(line.trace)]
    assert not floats, f"traces hold floats, which are not exact: {floats[:5]}"
    assert first.input_hash == again.input_hash
    assert [(l.entity, l.code, l.value) for l in first.outcome.lines] == \
           [(l.entity, l.code, l.value) for l in again.outcome.lines]


def check_component(policy: str, component: str, period: str, inputs: st.SearchStrategy,
                    overrides: Mapping | None = None, max_examples: int = 60) -> None:
    """`assert_conforms` on `max_examples` inputs drawn from a hypothesis strategy."""

    @settings(max_examples=max_examples, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(inputs)
    def run(raw):
        assert_conforms(policy, component, period, raw, overrides)

    run()


def _has_float(data: Any) -> bool:
    if isinstance(data, float):
        return True
    if isinstance(data, dict):
        return any(_has_float(v) for v in data.values())
    if isinstance(data, (list, tuple)):
        return any(_has_float(v) for v in data)
    return False


def _leaves(data: Any, path: tuple = ()) -> Iterator[tuple]:
    """The path (a tuple of keys and indexes) of every scalar in nested dicts and lists."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _leaves(v, path + (i,))
    else:
        yield path


def _replace(data: Any, path: tuple, value: Any) -> Any:
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def check_rejects_malformed(policy: str, component: str, period: str, inputs: Mapping,
                            overrides: Mapping | None = None) -> int:
    """Put a nonsense value in place of each leaf of a valid input in turn: each must be refused
    with an InputError that names that leaf's path. Returns how many leaves were tried."""
    tried = 0
    for path in _leaves(inputs):
        bad = _replace(inputs, path, [["?"]])
        name = field_path(path)
        try:
            _run(policy, component, period, bad, overrides)
        except InputError as e:
            assert name in str(e), f"error for a bad {name} does not name it: {e}"
        else:
            raise AssertionError(f"{policy}.{component} accepted nonsense at {name}")
        tried += 1
    return tried
