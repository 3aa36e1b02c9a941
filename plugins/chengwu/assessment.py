"""Chengwu `assessment`: each assessed level's values against the year's targets, met or not,
points, a score out of the weights and a grade (POLICIES.md §6.1, Readings R9-R15).

Values and targets are text as the seed writes them ("36.70%", "8.1:1", "是", "92%、95%",
"逐年提高"); each indicator's type says how to read it (the toolkit's `read_value`, the same reading
the import checks stored texts by), so a cell that does not read as its type is refused, naming
the indicator and the text.

The entities assessed are institutions of one level (general hospital, branches or central
village clinics, POLICIES.md §6.1): those the parameter `entities` names, else those with stored
values of the indicators the parameter `indicators` names. `gather` reads these stored facts
(Y = the settlement year; an indicator `iNN` is stored as `chengwu_NN`, one outside the
catalogue under its own code):

| source | code | entity | period | becomes |
| --- | --- | --- | --- | --- |
| value (text) | each assessed indicator | institution | Y | `entities[].values`; without `entities`, the entities are the institutions with any such text |
| value (text) | each assessed `trend` indicator | institution | Y − 1 | `entities[].previous` |
| target (text) | each assessed indicator | | Y | `targets` (the county's, else the general one; else the catalogue's for Y) |

The county's own figures (entity `county`) are not an assessed level and are not read.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Annotated, Any, Literal, Optional

from pydantic import BeforeValidator, Field, field_validator, model_validator

from countypay.period import Period
from countypay.policy import Facts, Model, Outcome, trace
from countypay.toolkit import (TRENDS, VALUE_TYPES, EntityCode, ItemCode, Part, Weight, duplicates, exact,
                               read_value, refuse, round_half_up, show)

from .catalogue import stored_code

Kind = Literal[VALUE_TYPES]  # type: ignore[valid-type]
Direction = Literal["higher", "lower"]


def _text(v: Any) -> Any:
    """A cell or a year written as a bare number in YAML or JSON is the same text ("0.90", 2024)."""
    if isinstance(v, (int, Decimal)) and not isinstance(v, bool):
        return str(v)
    return v


Text = Annotated[str, BeforeValidator(_text)]
Year = Annotated[str, BeforeValidator(_text), Field(pattern=r"^\d{4}$")]


# ---------------------------------------------------------------- judging a cell

def _same_units(value: tuple[Part, ...], other: tuple[Part, ...], what: str) -> None:
    if len(value) != len(other):
        raise ValueError(f"has {len(value)} part(s), the {what} {len(other)}")
    for k, (v, o) in enumerate(zip(value, other), start=1):
        if v.unit != o.unit:
            raise ValueError(f"part {k} is {v}, the {what} {o}: not the same unit")


def judge(kind: str, direction: str, proportional: bool, value: Any, target: Any,
          previous: Optional[tuple[Part, ...]]) -> tuple[bool, Fraction, dict]:
    """(met, attainment 0..1, what was compared) of one value (R9, R11, R12)."""
    if kind == "yesno":
        met = value == target
        return met, Fraction(int(met)), {"value": value, "target": target}
    if kind == "trend":
        if previous is None:
            return False, Fraction(0), {"value": str(value[0]), "previous": None}
        _same_units(value, previous, "previous value")
        v, p = value[0].value, previous[0].value
        met = v > p if TRENDS[target] == "higher" else v < p
        return met, Fraction(int(met)), {"value": str(value[0]), "previous": str(previous[0]), "trend": target}
    _same_units(value, target, "target")
    parts = []
    for v, t in zip(value, target):
        met = v.value >= t.value if direction == "higher" else v.value <= t.value
        if not proportional or v.value <= 0 or t.value <= 0:
            att = Fraction(int(met))  # all-or-nothing, and a target or value ≤ 0 (R12)
        elif direction == "higher":
            att = min(Fraction(1), v.value / t.value)
        else:
            att = min(Fraction(1), t.value / v.value)
        parts.append({"value": str(v), "target": str(t), "met": met, "attainment": att})
    met = all(p["met"] for p in parts)
    attainment = sum((p["attainment"] for p in parts), Fraction(0)) / len(parts) if proportional \
        else Fraction(int(met))
    return met, attainment, {"parts": parts}


# ---------------------------------------------------------------- shapes

class Row(Model):
    """One indicator of the catalogue, its cells as printed."""

    code: ItemCode
    n: int = Field(ge=1)
    level1: str
    level2: str
    name_zh: str
    name_en: str
    type: Kind
    direction: Direction
    why: str
    value_2023: Text
    targets: dict[Year, Text] = Field(default_factory=dict)
    remark: Optional[str] = None
    unit: Optional[str] = None


class AssessmentParameters(Model):
    catalogue: list[Row] = Field(default_factory=list)
    indicators: Optional[list[ItemCode]] = None
    """The codes assessed, in order; all of the catalogue when not given."""
    types: Optional[dict[ItemCode, Kind]] = None
    direction: Optional[dict[ItemCode, Direction]] = None
    weights: Optional[dict[ItemCode, Weight]] = None
    """Points per indicator; equal, 100 / n over the n assessed, when not given (R15)."""
    scoring: Literal["all_or_nothing", "proportional"] = "all_or_nothing"
    grades: list[tuple[Decimal, str]] = Field(min_length=1)
    entities: Optional[list[EntityCode]] = None
    """The institutions assessed from the store (one level: the general hospital, its branches or
    the central village clinics), in order; when not given, every institution with a stored value
    of an assessed indicator for the year. One named without values is assessed as missing them."""

    @field_validator("grades")
    @classmethod
    def _grades(cls, v):
        thresholds = [t for t, _ in v]
        if any(t < 0 or t != t.quantize(Decimal("0.01")) for t in thresholds):
            raise ValueError("a threshold is a score of 0 or more with at most 2 decimals")
        if len(set(thresholds)) != len(thresholds) or 0 not in thresholds:
            raise ValueError("thresholds must differ and one of them be 0, so every score has a grade")
        if any(not label.strip() for _, label in v):
            raise ValueError("every grade needs a label")
        return sorted(v, key=lambda g: -g[0])

    def codes(self) -> list[str]:
        return list(self.indicators) if self.indicators is not None else [r.code for r in self.catalogue]

    def kind(self, code: str) -> Optional[str]:
        return (self.types if self.types is not None else {r.code: r.type for r in self.catalogue}).get(code)

    def way(self, code: str) -> Optional[str]:
        return (self.direction if self.direction is not None
                else {r.code: r.direction for r in self.catalogue}).get(code)

    def weight(self, code: str) -> Fraction:
        return Fraction(100, len(self.codes())) if self.weights is None else exact(self.weights[code])

    @model_validator(mode="after")
    def _complete(self):
        codes = self.codes()
        problems = [f"indicators[{i}]: {c!r} appears twice" for i, c in enumerate(codes) if c in codes[:i]]
        problems += [f"entities[{i}]: {e!r} appears twice" for i, e in enumerate(self.entities or [])
                     if e in self.entities[:i]]
        if not codes:
            problems.append("indicators: no indicator to assess")
        for c in codes:
            if self.kind(c) is None:
                problems.append(f"types.{c}: no type for an assessed indicator")
            elif self.kind(c) != "yesno" and self.way(c) is None:
                problems.append(f"direction.{c}: no direction for an assessed indicator")
            if self.weights is not None and c not in self.weights:
                problems.append(f"weights.{c}: no weight for an assessed indicator")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Entity(Model):
    code: EntityCode
    values: dict[ItemCode, Text] = Field(default_factory=dict)
    """The period's values by indicator, as written; an indicator not here is missing."""
    previous: dict[ItemCode, Text] = Field(default_factory=dict)
    """The previous period's values, for trend indicators."""


class AssessmentInputs(Model):
    targets: dict[ItemCode, Text] = Field(default_factory=dict)
    """The year's targets by indicator, as written; the catalogue's for the year where not given."""
    entities: list[Entity] = Field(min_length=1)


# ---------------------------------------------------------------- the rule

def settle(inputs: AssessmentInputs, params: AssessmentParameters, period: Period) -> Outcome:
    """POLICIES.md §6.1: per entity and indicator met and points, then score and grade; county
    count and mean."""
    year = str(period.year)
    codes = params.codes()
    proportional = params.scoring == "proportional"
    printed = {r.code: r.targets.get(year) for r in params.catalogue}
    problems = duplicates([e.code for e in inputs.entities], "entities")

    # The targets for the year: given, else the catalogue's.
    targets: dict[str, tuple[str, Any, str]] = {}
    for c in codes:
        kind = params.kind(c)
        text, source = inputs.targets.get(c), "inputs"
        if text is None:
            text, source = printed.get(c), f"catalogue, {year}"
        if text is None:
            problems.append(f"targets.{c}: no target for {year}")
            continue
        try:
            target = read_value(text, kind, target=True)
        except ValueError as e:
            problems.append(f"targets.{c}: {text!r} is not a {kind} target for {c} ({e})")
            continue
        if kind == "trend" and TRENDS[target] != params.way(c):
            problems.append(f"targets.{c}: {text!r} says {TRENDS[target]}, the direction is {params.way(c)}")
        targets[c] = (text, target, source)

    # Each entity's values read and judged.
    judged: dict[tuple[str, str], Optional[tuple]] = {}
    for i, e in enumerate(inputs.entities):
        for c in codes:
            if c not in targets:
                continue
            kind = params.kind(c)
            text = e.values.get(c)
            if text is None:
                judged[e.code, c] = None
                continue
            previous = e.previous.get(c) if kind == "trend" else None
            try:
                value = read_value(text, kind)
            except ValueError as err:
                problems.append(f"entities[{i}].values.{c}: {text!r} is not a {kind} value for {c} ({err})")
                continue
            try:
                before = read_value(previous, kind) if previous is not None else None
            except ValueError as err:
                problems.append(f"entities[{i}].previous.{c}: {previous!r} is not a {kind} value for {c} ({err})")
                continue
            try:
                result = judge(kind, params.way(c), proportional, value, targets[c][1], before)
            except ValueError as err:
                problems.append(f"entities[{i}].values.{c}: {text!r} for {c} {err}")
                continue
            judged[e.code, c] = (text, result)
    refuse(problems)

    out = Outcome()
    weights = {c: params.weight(c) for c in codes}
    total_weight = sum(weights.values(), Fraction(0))
    if total_weight != 100:
        out.flag("county", "weights", f"the weights of the assessed indicators add up to {show(total_weight)}, "
                                      "not 100: scores are out of that", "info")
    scores = []
    for e in inputs.entities:
        score = Fraction(0)
        for c in codes:
            kind, w = params.kind(c), weights[c]
            target_text, _, source = targets[c]
            used = {"type": kind, "direction": params.way(c), "scoring": params.scoring, "weight": w}
            got = judged[e.code, c]
            if got is None:
                met, attainment, found = False, Fraction(0), {"reason": "no value: not met, 0 points"}
                out.flag(e.code, f"{c}.missing", f"{c}: no value for {period}, so not met and 0 points")
                value_text = None
            else:
                value_text, (met, attainment, found) = got
                if kind == "trend" and found["previous"] is None:
                    found["reason"] = "no previous value: not met"
                    out.flag(e.code, f"{c}.no_previous",
                             f"{c}: no previous value to compare {value_text!r} with, so not met")
            shown = {"value": value_text, "target": target_text,
                     **({"previous": e.previous.get(c)} if kind == "trend" else {})}
            out.add(e.code, f"{c}.met", Decimal(int(met)), trace(
                "§6.1 met (R9, R11)", _met_formula(kind, params.way(c)), shown, used,
                target_from=source, **found), unit="flag")
            points = w * attainment
            score += points
            out.add(e.code, f"{c}.points", round_half_up(points, 2), trace(
                "§6.1 points (R11, R12)",
                "weight × attainment; attainment 1 when met, else 0" if not proportional else
                "weight × attainment; attainment min(1, value / target) (higher) or min(1, target / value) "
                "(lower), the mean over a pair's parts; all-or-nothing for yes/no, trend and a part whose "
                "target or value is ≤ 0",
                shown, used, attainment=attainment, exact=points, decimal=show(points, 10)), unit="score")
        scores.append(score)
        out.add(e.code, "score", round_half_up(score, 2), trace(
            "§6.1 score", "Σ exact points of the indicators, half-up to 2 decimals",
            {"indicators": codes}, {"weights": weights}, exact=score, decimal=show(score, 10)), unit="score")
        threshold, label = next((t, g) for t, g in params.grades if exact(t) <= score)
        out.add(e.code, "grade", threshold.quantize(Decimal("0.01")), trace(
            "§6.1 grade (R13)", "the grade of the highest threshold at or below the exact score",
            {"score": score}, {"grades": [[t, g] for t, g in params.grades]}, grade=label, threshold=threshold),
            unit="score")
    out.add("county", "entities", Decimal(len(scores)), trace(
        "§6.1 county", "the number of entities assessed", {"entities": [e.code for e in inputs.entities]}),
        unit="count")
    mean = sum(scores, Fraction(0)) / len(scores)
    out.add("county", "mean_score", round_half_up(mean, 2), trace(
        "§6.1 county (R14)", "mean of the exact scores, half-up to 2 decimals",
        {"scores": dict(zip((e.code for e in inputs.entities), scores))}, exact=mean, decimal=show(mean, 10)),
        unit="score")
    return out


def lookback(params: AssessmentParameters) -> int:
    """The year before: trend indicators compare with it."""
    return 1


def gather(facts: Facts, params: AssessmentParameters, period: Period) -> dict:
    """The stored texts of the assessed indicators for the year (and the year before, for trends),
    each institution that has any, and the stored targets for the year."""
    year, before = str(period.year), str(period.year - 1)
    numbers = {r.code: stored_code(r.n) for r in params.catalogue}
    codes = {c: numbers.get(c, c) for c in params.codes()}
    stored = set(codes.values())
    entities = params.entities if params.entities is not None else sorted(
        {e for (ind, e, per) in facts.texts if ind in stored and per == year and e != "county"})
    trends = [c for c in codes if params.kind(c) == "trend"]
    return {
        "targets": {c: t for c, s in codes.items() if (t := facts.target(s, period.year)) is not None},
        "entities": [
            {"code": e,
             "values": {c: t for c, s in codes.items() if (t := facts.text(s, e, year)) is not None},
             "previous": {c: t for c in trends if (t := facts.text(codes[c], e, before)) is not None}}
            for e in entities]}


def _met_formula(kind: str, direction: Optional[str]) -> str:
    if kind == "yesno":
        return "met when the value equals the target (是/否)"
    if kind == "trend":
        return "met when the value is strictly " + ("above" if direction == "higher" else "below") + \
            " the same entity's previous value; not met without one"
    compare = "value ≥ target" if direction == "higher" else "value ≤ target"
    if kind == "pair":
        return f"met when every part is met, each part {compare} (at equality too)"
    if kind == "ratio":
        return f"met when {compare} on the first term of x:1 (at equality too)"
    return f"met when {compare} (at equality too)"
