"""A county's map (POLICIES.md §8): its grids or towns as a GeoJSON FeatureCollection, each area
with an indicator's value for a period, and its institutions as points on top. The console's map
page reads this same field, so the page and the API cannot tell different stories."""
from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import strawberry
from sqlalchemy import func, select

from countypay import models

from .context import Context, error


@strawberry.enum(description="What a county's map is drawn by.")
class MapLevel(Enum):
    GRID = strawberry.enum_value("unit", description="Its grids: the health management units (网格).")
    TOWN = strawberry.enum_value("town", description="Its towns and subdistricts (镇, 街道), each named by the "
                                                     "code of the township health centre that serves it.")


ENTITY = {"unit": "unit", "town": "institution"}
"""The entity an area's values are stored for: a grid's unit, a town's township health centre."""

MAP = ("The county's map as a GeoJSON FeatureCollection (WGS 84): its grids (level GRID) or towns (TOWN) "
       "as polygons, each with `properties` {kind, code, name, nameEn, value, text}: the value of `indicator` "
       "in `period` as an exact decimal string (null where none is stored; `text` as written for indicators "
       "kept as text); then its institutions as points {kind: institution, code, name, nameEn, "
       "institutionKind}. Beside `features`: `indicators`, those with values for the level's areas and their "
       "periods, and the `indicator` and `period` drawn (by default the first indicator and its latest "
       "period). An unknown indicator is NOT_FOUND; a county without a map has no features.")
Geometry = Annotated[bool, strawberry.argument(
    description="Whether features carry their shapes; false: every geometry null, for the values of another "
                "month on a map drawn already.")]
FEATURES = "How many shapes the county's map holds (towns, grids, institutions): 0 when it has no map."


def county_map(c: Context, county: models.County, indicator: Optional[str], period: Optional[str],
               level: MapLevel, geometry: bool = True) -> dict:
    c.require_read(county.id)
    F, V, I = models.MapFeature, models.IndicatorValue, models.Indicator
    kind, entity = level.value, ENTITY[level.value]
    chosen = None
    if indicator is not None:
        chosen = c.session.exec(select(I).where(I.code == indicator)).scalars().first()
        if chosen is None:
            raise error("NOT_FOUND", f"no indicator {indicator!r}")
    shapes = c.session.execute(select(F.kind, F.code, F.geometry).where(
        F.county_id == county.id, F.kind.in_((kind, "institution"))).order_by(F.kind.desc(), F.code)).all()
    on_areas = (F.county_id == V.county_id) & (F.code == V.entity) & (F.kind == kind)
    periods: dict[int, list[str]] = {}
    for iid, p in c.session.execute(select(V.indicator_id, V.period).join(F, on_areas).join(I, I.id == V.indicator_id)
                                    .where(V.county_id == county.id, I.entity == entity)
                                    .group_by(V.indicator_id, V.period).order_by(V.period)):
        periods.setdefault(iid, []).append(p)
    available = sorted(c.session.exec(select(I).where(I.id.in_(list(periods) or [-1]))).scalars(),
                       key=lambda i: i.code)
    chosen = chosen or (available[0] if available else None)
    if chosen is not None and period is None:
        period = (periods.get(chosen.id) or [None])[-1]
    values = {}
    if chosen is not None and period is not None:
        values = {e: (v, t) for e, v, t in c.session.execute(select(V.entity, V.value, V.text).where(
            V.county_id == county.id, V.indicator_id == chosen.id, V.period == str(period)))}
    names = places(c, county.id)
    features = []
    for k, code, shape in shapes:
        name_zh, name_en, institution_kind = names.get(("unit" if k == "unit" else "institution", code), (code, "", None))
        props = {"kind": k, "code": code, "name": name_zh, "nameEn": name_en}
        if k == "institution":
            props["institutionKind"] = institution_kind
        else:
            value, text = values.get(code, (None, None))
            props.update(value=None if value is None else str(value), text=text)
        features.append({"type": "Feature", "properties": props, "geometry": shape if geometry else None})
    return {"type": "FeatureCollection", "county": county.code, "level": level.name,
            "indicator": described(chosen), "period": None if period is None else str(period),
            "indicators": [{**described(i), "periods": periods[i.id]} for i in available],
            "features": features}


def described(ind: Optional[models.Indicator]) -> Optional[dict]:
    if ind is None:
        return None
    return {"code": ind.code, "nameZh": ind.name_zh, "nameEn": ind.name_en, "unit": ind.unit,
            "direction": ind.direction}


def places(c: Context, county_id: int) -> dict[tuple[str, str], tuple[str, str, Optional[str]]]:
    """(unit or institution, code) → (Chinese name, English name, institution kind) of a county."""
    U, Inst = models.Unit, models.Institution
    found = {("unit", code): (zh, en, None) for code, zh, en in c.session.execute(
        select(U.code, U.name_zh, U.name_en).where(U.county_id == county_id))}
    found.update({("institution", code): (zh, en, kind) for code, zh, en, kind in c.session.execute(
        select(Inst.code, Inst.name_zh, Inst.name_en, Inst.kind).where(Inst.county_id == county_id))})
    return found


async def feature_count(c: Context, county: models.County) -> int:
    """Counted for every county of a request at once (a province page lists many)."""
    if not c.viewer.may_read(county.id):
        return 0
    F = models.MapFeature

    def load(ids: list[int]) -> dict[int, int]:
        found = dict(c.session.execute(select(F.county_id, func.count()).where(F.county_id.in_(ids))
                                       .group_by(F.county_id)).all())
        return {i: found.get(i, 0) for i in ids}
    return await c.pages(("County.mapFeatures",), load).load(county.id)
