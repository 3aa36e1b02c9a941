"""How a value stands against its indicator's benchmark and the year's target: one answer for
the API, the exports and the console."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Optional

from sqlalchemy import select
from sqlmodel import Session

from .host import registry
from .models import County, Indicator, IndicatorTarget
from .overrides import in_force
from .params import resolve
from .period import Period
from .policy import meets


@dataclass(frozen=True)
class Standing:
    benchmark: Optional[Decimal]
    target: Optional[Decimal]
    direction: Optional[str]
    meets_benchmark: Optional[bool]
    meets_target: Optional[bool]


def target(targets: Iterable[IndicatorTarget], county_id: int, year: int) -> Optional[Decimal]:
    """The target that applies: the county's own for the year, else the general one."""
    general = None
    for t in targets:
        if t.year == year:
            if t.county_id == county_id:
                return t.value
            if t.county_id is None:
                general = t.value
    return general


class Goals:
    """Benchmarks and targets for one session's reads, each looked up once. A benchmark that a
    component's parameters hold is the one in force for the county and year (its override,
    else the default), so a report judges by the figure the payment used; other benchmarks are
    the indicator definition's."""

    def __init__(self, session: Session):
        self.session = session
        self._targets: dict[int, list] = {}
        self._benchmarks: dict[tuple[int, int], dict[str, Decimal]] = {}

    def targets(self, indicator_id: int) -> list:
        if indicator_id not in self._targets:
            self._targets[indicator_id] = list(self.session.execute(select(
                IndicatorTarget.county_id, IndicatorTarget.year, IndicatorTarget.value)
                .where(IndicatorTarget.indicator_id == indicator_id)))
        return self._targets[indicator_id]

    def benchmark(self, indicator: Indicator, county_id: int, year: int) -> Optional[Decimal]:
        key = (county_id, year)
        if key not in self._benchmarks:
            county = self.session.get(County, county_id)
            period, found = Period.parse(str(year)), {}
            for policy in registry().policies.values():
                if policy.county != county.code:
                    continue
                for comp in policy.components:
                    if comp.benchmarks is not None:
                        overrides = in_force(self.session, county_id, policy.code, comp.code, period.start)
                        found.update(comp.benchmarks(resolve(policy, comp, period, overrides).model))
            self._benchmarks[key] = found
        return self._benchmarks[key].get(indicator.code, indicator.benchmark)

    def standing(self, indicator: Indicator, county_id: int, period: str, value: Optional[Decimal]) -> Standing:
        year = Period.parse(period).year
        bench = self.benchmark(indicator, county_id, year)
        goal = target(self.targets(indicator.id), county_id, year)
        return Standing(bench, goal, indicator.direction, meets(value, bench, indicator.direction),
                        meets(value, goal, indicator.direction))
