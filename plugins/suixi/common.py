"""Field types and small helpers the three Suixi components share."""
from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Sequence

from pydantic import AfterValidator, Field

from countypay.toolkit import InputError

Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]
"""A non-negative amount in yuan with at most 2 decimals."""
Ratio = Annotated[Decimal, Field(ge=0, le=1)]
Score = Annotated[Decimal, Field(ge=0, le=100)]
Weight = Annotated[Decimal, Field(ge=0)]
Amount = Annotated[Decimal, Field(ge=0)]
"""A non-negative exact figure that is not paid out (credits, per-capita spending)."""
ItemCode = Annotated[str, Field(pattern=r"^[A-Za-z0-9_\-]+$")]
"""A code that becomes part of a line code, so no dots or spaces."""


def _not_county(v: str) -> str:
    if v == "county":
        raise ValueError("'county' is the county's own entity code")
    return v


EntityCode = Annotated[str, Field(min_length=1), AfterValidator(_not_county)]
"""A unit, institution or community code: lines are booked on it beside `county`."""


def positive_sum(values: Sequence[Decimal], what: str) -> None:
    """Weights that split money must not all be zero."""
    if not any(values):
        raise ValueError(f"{what} must not all be zero")


def duplicates(codes: Sequence[str], where: str) -> list[str]:
    """Problems naming each repeated code by its position in `where`."""
    seen: set[str] = set()
    out = []
    for i, code in enumerate(codes):
        if code in seen:
            out.append(f"{where}[{i}].code: {code!r} appears twice")
        seen.add(code)
    return out


def refuse(problems: list[str]) -> None:
    if problems:
        raise InputError("inputs", problems)


def trace(step: str, formula: str, inputs: dict[str, Any] | None = None,
          parameters: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    """A line's explanation: the POLICIES.md step, the formula, the inputs and parameters used."""
    out: dict[str, Any] = {"step": step, "formula": formula}
    if inputs:
        out["inputs"] = inputs
    if parameters:
        out["parameters"] = parameters
    out.update(more)
    return out


def s(x: Any) -> Any:
    """A trace value: Decimals as strings, lists and dicts element-wise."""
    if isinstance(x, dict):
        return {str(k): s(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [s(v) for v in x]
    if isinstance(x, Decimal):
        return str(x)
    return x
