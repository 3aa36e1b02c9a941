"""A bundle's map: `geometry.geojson`, one GeoJSON FeatureCollection (RFC 7946: WGS 84 longitude
and latitude in degrees) of a county's towns and grids as polygons and its institutions as points.

Each feature says what it draws in its properties, `county`, `kind` and `code`:

- `unit`: a grid, named by its unit's code; a Polygon or MultiPolygon;
- `town`: a town or subdistrict (镇, 街道), named by the code of the township-tier institution
  that serves it (its township health centre); a Polygon or MultiPolygon;
- `institution`: an institution's code; a Point.

Other properties are allowed and not kept. Every feature is checked (its shape, each position in
range, each ring closed, a code its county has, given once), and a bad one refuses the import like
a bad row: the file, the feature (its place in `features`, from 1, as the row), the field and the
reason. A feature whose county, kind and code are stored already replaces that one.
"""
from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import insert, select, update
from sqlmodel import Session

from ..models import Institution, MapFeature, Unit
from . import jsontext
from .problems import ImportFailed, Problem, Problems
from .references import Lookups
from .rows import Table

FILE = "geometry.geojson"
DEPTH = 16  # a MultiPolygon's positions sit 8 deep; properties may nest a little more
POLYGONS = ("Polygon", "MultiPolygon")
SHAPES = {"town": POLYGONS, "unit": POLYGONS, "institution": ("Point",)}
WGS84 = ("CRS84", "4326")  # how an old-style `crs` member may name WGS 84 longitude/latitude
TABLE = Table("geometry", None, MapFeature, ("county_id", "kind", "code"))
"""The map as an import counts it beside the tables: a row is a feature."""


def file_in(path: Path) -> Optional[Path]:
    """The map of a bundle: `geometry.geojson` in a bundle folder, or the path when it is that file."""
    path = Path(path)
    if path.is_dir():
        path = path / FILE
    return path if path.name == FILE and path.is_file() else None


def refuse(file: Path, reason: str, row: Optional[int] = None, field: Optional[str] = None):
    raise ImportFailed(file.name, [Problem(file.name, row, field, reason)])


def read(file: Path) -> list:
    """The features of the file, or the import refused with why the file is no FeatureCollection."""
    try:
        data = jsontext.loads(file.read_bytes().decode("utf-8-sig"), DEPTH)
    except UnicodeDecodeError as e:
        refuse(file, f"not UTF-8 text (byte {e.start} cannot be read): GeoJSON is UTF-8")
    except jsontext.TooDeep as e:
        refuse(file, f"{e}: a GeoJSON FeatureCollection of towns, grids and institutions nests less")
    except json.JSONDecodeError as e:
        refuse(file, f"line {e.lineno} column {e.colno}: not JSON: {e.msg}")
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection" or not isinstance(data.get("features"), list):
        refuse(file, 'expected a GeoJSON FeatureCollection: {"type": "FeatureCollection", "features": [...]}')
    crs = json.dumps(data.get("crs"), default=str)
    if "crs" in data and not any(name in crs for name in WGS84):
        refuse(file, f"its crs {crs} is not WGS 84: give longitude and latitude in degrees (EPSG:4326)", field="crs")
    return data["features"]


def position_problem(p: Any) -> Optional[str]:
    if not isinstance(p, list) or len(p) not in (2, 3) or \
            not all(isinstance(x, (int, Decimal)) and not isinstance(x, bool) and Decimal(x).is_finite() for x in p):
        return f"{shown(p)} is not a position: [longitude, latitude] in degrees"
    if not -180 <= p[0] <= 180:
        return f"longitude {p[0]} is outside -180..180"
    if not -90 <= p[1] <= 90:
        return f"latitude {p[1]} is outside -90..90"
    return None


def shown(value: Any) -> str:
    """A value as the file wrote it (numbers read exactly are numbers again), cut short when long."""
    text = json.dumps(value, default=lambda d: float(d) if isinstance(d, Decimal) else str(d))
    return text if len(text) <= 60 else text[:57] + "..."


def rings_problem(polygon: Any, at: str) -> Optional[tuple[str, str]]:
    """(where, why) of the first fault of a polygon's rings, or None."""
    if not isinstance(polygon, list) or not polygon:
        return at, "a polygon is a list of rings (the outline, then any holes)"
    for i, ring in enumerate(polygon):
        where = f"{at}[{i}]"
        if not isinstance(ring, list) or len(ring) < 4:
            return where, "a ring needs at least 4 positions, the first repeated last"
        for j, p in enumerate(ring):
            if why := position_problem(p):
                return f"{where}[{j}]", why
        if ring[0] != ring[-1]:
            return where, f"the ring is not closed: it ends at {shown(ring[-1])}, not at its first position {shown(ring[0])}"
    return None


def geometry_problem(kind: str, geometry: Any) -> Optional[tuple[str, str]]:
    """(field, why) of what is wrong with a feature's geometry, or None."""
    if not isinstance(geometry, dict):
        return "geometry", "a feature needs a geometry object"
    shape, coordinates = geometry.get("type"), geometry.get("coordinates")
    if shape not in SHAPES[kind]:
        article = "an" if kind == "institution" else "a"
        return "geometry.type", f"{article} {kind} is drawn as {' or '.join(SHAPES[kind])}, not {shown(shape)}"
    at = "geometry.coordinates"
    if shape == "Point":
        why = position_problem(coordinates)
        return (at, why) if why else None
    if shape == "Polygon":
        return rings_problem(coordinates, at)
    if not isinstance(coordinates, list) or not coordinates:
        return at, "a MultiPolygon is a list of polygons"
    for i, polygon in enumerate(coordinates):
        if found := rings_problem(polygon, f"{at}[{i}]"):
            return found
    return None


def plain(value: Any) -> Any:
    """Coordinates as the store's JSON keeps them (binary numbers: geometry is no money)."""
    if isinstance(value, list):
        return [plain(v) for v in value]
    return float(value) if isinstance(value, Decimal) else value


class Codes:
    """The codes a county's features may name, by kind, each county read once."""

    def __init__(self, session: Session):
        self.session, self.known = session, {}

    def of(self, county_id: int, kind: str) -> set[str]:
        key = (county_id, kind)
        if key not in self.known:
            if kind == "unit":
                stmt = select(Unit.code).where(Unit.county_id == county_id)
            else:
                stmt = select(Institution.code).where(Institution.county_id == county_id)
                if kind == "town":
                    stmt = stmt.where(Institution.tier == "township")
            self.known[key] = set(self.session.exec(stmt).scalars())
        return self.known[key]


UNKNOWN = {"unit": "unknown unit {code!r} in county {county}",
           "institution": "unknown institution {code!r} in county {county}",
           "town": "unknown town {code!r} in county {county}: a town is named by the code of its "
                   "township-tier institution (its township health centre)"}


def load(session: Session, file: Path, problems: Problems, known: Lookups) -> Counter:
    """Check every feature of the file into `problems`; when the import has none, write them
    (replacing features stored under the same county, kind and code). Returns the features
    written per county id."""
    name = file.name
    codes, seen, valid = Codes(session), {}, []
    for n, feature in enumerate(read(file), start=1):
        fail = lambda field, why: problems.add(name, n, field, why)  # noqa: E731
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            fail("type", 'not a GeoJSON Feature: {"type": "Feature", "properties": {...}, "geometry": {...}}')
            continue
        props = feature.get("properties")
        if not isinstance(props, dict):
            fail("properties", "a feature names its county, kind and code in its properties")
            continue
        county, kind, code = (props.get(k) for k in ("county", "kind", "code"))
        if kind not in SHAPES:
            fail("properties.kind", f"{shown(kind)} is not a kind of feature (town, unit or institution)")
            continue
        if not isinstance(code, str) or not code:
            fail("properties.code", f"a {kind} feature names the {kind}'s code")
            continue
        cid = known.county(county) if isinstance(county, str) else None
        if cid is None:
            fail("properties.county", f"unknown county {shown(county)}")
            continue
        if found := geometry_problem(kind, feature.get("geometry")):
            fail(*found)
            continue
        if code not in codes.of(cid, kind):
            fail("properties.code", UNKNOWN[kind].format(code=code, county=county))
            continue
        key = (cid, kind, code)
        if key in seen:
            fail(None, f"repeats the feature at {name} row {seen[key]} ({county}, {kind}, {code})")
            continue
        seen[key] = n
        geometry = feature["geometry"]
        valid.append({"county_id": cid, "kind": kind, "code": code,
                      "geometry": {"type": geometry["type"], "coordinates": plain(geometry["coordinates"])}})
    if problems:
        return Counter()
    write(session, valid)
    return Counter(f["county_id"] for f in valid)


def write(session: Session, features: list[dict]) -> None:
    F = MapFeature
    if not features:
        return
    counties = {f["county_id"] for f in features}
    stored = {(cid, kind, code): id_ for id_, cid, kind, code in session.execute(
        select(F.id, F.county_id, F.kind, F.code).where(F.county_id.in_(counties)))}
    new = [f for f in features if (f["county_id"], f["kind"], f["code"]) not in stored]
    again = [{"id": stored[(f["county_id"], f["kind"], f["code"])], "geometry": f["geometry"]}
             for f in features if (f["county_id"], f["kind"], f["code"]) in stored]
    if new:
        session.execute(insert(F), new)
    if again:
        session.execute(update(F), again)
