"""A county's map (POLICIES.md §8) on SQLite and PostgreSQL: geometry.geojson imported with its
bundle, checked feature by feature and all or nothing; the map served over GraphQL as a GeoJSON
FeatureCollection of an indicator's exact values by grid or town, within the caller's counties and
the cost limit."""
import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from countypay.importer.geometry import FILE
from countypay.load import ImportFailed, import_bundle
from countypay.models import MapFeature, Unit

TABLES = {
    "provinces.csv": "code,name_zh\nshandong,山东省\n",
    "counties.csv": "code,province,name_zh,population\nmapland,shandong,地图县,3000\nother,shandong,他县,1000\n",
    "institutions.csv": "county,code,kind,tier,name_zh,name_en,parent\n"
                        "mapland,H1,county_hospital,county,县医院,County hospital,\n"
                        "mapland,T1,township_health_centre,township,东镇卫生院,East health centre,\n"
                        "mapland,V1,village_clinic,village,东镇第1村卫生室,Clinic V1,T1\n"
                        "other,T1,township_health_centre,township,他镇卫生院,,\n",
    "units.csv": "county,code,name_zh,name_en\nmapland,G1,东镇第1网格,Grid G1\nmapland,G2,东镇第2网格,Grid G2\n"
                 "other,G1,他镇第1网格,\n",
    "indicators.csv": "code,name_zh,name_en,unit,entity,period_kind,direction\n"
                      "town_visits_share,镇级诊疗占比,Share of visits in towns,ratio,institution,month,higher\n",
    "indicator_values.csv": "county,indicator,entity,period,value\n"
                            "mapland,hypertension_control_rate,G1,2024-05,0.61\n"
                            "mapland,hypertension_control_rate,G1,2024-06,0.7312\n"
                            "mapland,hypertension_control_rate,G2,2024-06,0.5\n"
                            "mapland,diabetes_control_rate,G2,2024-06,0.4409\n"
                            "mapland,town_visits_share,T1,2024-06,0.773\n"
                            "other,hypertension_control_rate,G1,2024-06,0.9\n",
}
SQUARE = [[118.5, 36.7], [118.6, 36.7], [118.6, 36.8], [118.5, 36.8], [118.5, 36.7]]


def feature(county, kind, code, geometry):
    return {"type": "Feature", "properties": {"county": county, "kind": kind, "code": code}, "geometry": geometry}


def polygon(ring=SQUARE):
    return {"type": "Polygon", "coordinates": [[list(p) for p in ring]]}


def point(lon=118.55, lat=36.75):
    return {"type": "Point", "coordinates": [lon, lat]}


FEATURES = [
    feature("mapland", "unit", "G1", polygon()),
    feature("mapland", "unit", "G2", {"type": "MultiPolygon", "coordinates": [
        [[[118.6, 36.7], [118.7, 36.7], [118.7, 36.8], [118.6, 36.8], [118.6, 36.7]]],
        [[[118.71, 36.7], [118.72, 36.7], [118.72, 36.71], [118.71, 36.7]]]]}),
    feature("mapland", "town", "T1", polygon([[118.5, 36.7], [118.72, 36.7], [118.72, 36.8], [118.5, 36.8], [118.5, 36.7]])),
    feature("mapland", "institution", "T1", point(118.65, 36.75)),
    feature("mapland", "institution", "V1", point()),
    feature("other", "unit", "G1", polygon()),
]


def bundle(folder: Path, features=FEATURES, tables=TABLES, collection=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / name).write_text(text, encoding="utf-8")
    body = collection if collection is not None else {"type": "FeatureCollection", "features": features}
    (folder / FILE).write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    return folder


def stored(engine) -> dict:
    with Session(engine) as s:
        return {(f.kind, f.code, f.county_id): f.geometry for f in s.exec(select(MapFeature)).scalars()}


def refused(engine, folder) -> list[str]:
    with pytest.raises(ImportFailed) as e:
        import_bundle(engine, folder)
    return [str(p) for p in e.value.problems]


# ---- the import


def test_a_bundle_with_its_map_is_imported_and_replaced_by_key(engine, tmp_path):
    counts = import_bundle(engine, bundle(tmp_path / "b"))
    assert counts["geometry"] == 6 and counts.files["geometry"] == (FILE, "UTF-8")
    shapes = stored(engine)
    assert len(shapes) == 6
    assert {k[:2] for k in shapes} == {("unit", "G1"), ("unit", "G2"), ("town", "T1"), ("institution", "T1"),
                                      ("institution", "V1")}
    ((g1, geometry),) = [(k, g) for k, g in shapes.items() if k[:2] == ("unit", "G1") and k[2] == 1]
    assert geometry == {"type": "Polygon", "coordinates": [SQUARE]}
    # A map alone, in a folder or as the file itself, once the codes it names are stored: same keys replaced.
    moved = copy.deepcopy(FEATURES[:1])
    moved[0]["geometry"]["coordinates"][0][2] = [118.61, 36.81]
    alone = bundle(tmp_path / "alone", moved, tables={})
    assert import_bundle(engine, alone)["geometry"] == 1
    assert import_bundle(engine, alone / FILE)["geometry"] == 1
    after = stored(engine)
    assert len(after) == 6 and after[g1]["coordinates"][0][2] == [118.61, 36.81]


BAD = [  # (what is changed, the problem named)
    (lambda f: f[0].update(geometry=point()),
     "geometry.geojson row 1, field geometry.type: a unit is drawn as Polygon or MultiPolygon, not \"Point\""),
    (lambda f: f[3].update(geometry=polygon()),
     "geometry.geojson row 4, field geometry.type: an institution is drawn as Point, not \"Polygon\""),
    (lambda f: f[0]["geometry"]["coordinates"][0].__setitem__(1, [1186.0, 36.7]),
     "geometry.geojson row 1, field geometry.coordinates[0][1]: longitude 1186.0 is outside -180..180"),
    (lambda f: f[4]["geometry"].update(coordinates=[118.5, 96.5]),
     "geometry.geojson row 5, field geometry.coordinates: latitude 96.5 is outside -90..90"),
    (lambda f: f[4]["geometry"].update(coordinates=[118.5]),
     "geometry.geojson row 5, field geometry.coordinates: [118.5] is not a position: [longitude, latitude] in degrees"),
    (lambda f: f[0]["geometry"]["coordinates"][0].__setitem__(4, [118.5, 36.71]),
     "geometry.geojson row 1, field geometry.coordinates[0]: the ring is not closed: it ends at [118.5, 36.71], "
     "not at its first position [118.5, 36.7]"),
    (lambda f: f[1]["geometry"]["coordinates"][1][0].pop(1),
     "geometry.geojson row 2, field geometry.coordinates[1][0]: a ring needs at least 4 positions, the first repeated last"),
    (lambda f: f[1]["properties"].update(code="G9"),
     "geometry.geojson row 2, field properties.code: unknown unit 'G9' in county mapland"),
    (lambda f: f[2]["properties"].update(code="V1"),
     "geometry.geojson row 3, field properties.code: unknown town 'V1' in county mapland: a town is named by the "
     "code of its township-tier institution (its township health centre)"),
    (lambda f: f[4]["properties"].update(code="H9"),
     "geometry.geojson row 5, field properties.code: unknown institution 'H9' in county mapland"),
    (lambda f: f[0]["properties"].update(county="nowhere"),
     "geometry.geojson row 1, field properties.county: unknown county \"nowhere\""),
    (lambda f: f[0]["properties"].update(kind="village"),
     "geometry.geojson row 1, field properties.kind: \"village\" is not a kind of feature (town, unit or institution)"),
    (lambda f: f[0].update(geometry=None),
     "geometry.geojson row 1, field geometry: a feature needs a geometry object"),
    (lambda f: f.append(copy.deepcopy(f[1])),
     "geometry.geojson row 7: repeats the feature at geometry.geojson row 2 (mapland, unit, G2)"),
]


@pytest.mark.parametrize("change, problem", BAD, ids=[p.split(": ")[1][:40] for _, p in BAD])
def test_a_bad_feature_refuses_the_whole_import(engine, tmp_path, change, problem):
    features = copy.deepcopy(FEATURES)
    change(features)
    assert refused(engine, bundle(tmp_path / "b", features)) == [problem]
    with Session(engine) as s:  # nothing written: neither the tables nor the map
        assert s.execute(select(func.count()).select_from(Unit)).scalar_one() == 0
    assert stored(engine) == {}


@pytest.mark.parametrize("collection, problem", [
    ({"type": "Feature", "features": []}, 'geometry.geojson: expected a GeoJSON FeatureCollection: '
                                          '{"type": "FeatureCollection", "features": [...]}'),
    ({"type": "FeatureCollection", "features": [], "crs": {"type": "name", "properties": {"name": "EPSG:4549"}}},
     'geometry.geojson, column crs: its crs {"type": "name", "properties": {"name": "EPSG:4549"}} is not WGS 84: '
     'give longitude and latitude in degrees (EPSG:4326)'),
])
def test_a_file_that_is_no_map_is_refused(engine, tmp_path, collection, problem):
    assert refused(engine, bundle(tmp_path / "b", collection=collection)) == [problem]


@pytest.mark.parametrize("edit, problem", [
    (lambda text: text.replace("36.75]", "NaN]", 1), "geometry.geojson row 4, field geometry.coordinates: "
                                                    "[118.65, NaN] is not a position: [longitude, latitude] in degrees"),
    (lambda text: "{", "geometry.geojson: line 1 column 2: not JSON: Expecting property name enclosed in double quotes"),
])
def test_numbers_that_are_no_numbers_and_text_that_is_no_json_are_refused(engine, tmp_path, edit, problem):
    folder = bundle(tmp_path / "b")
    (folder / FILE).write_text(edit((folder / FILE).read_text(encoding="utf-8")), encoding="utf-8")
    assert refused(engine, folder) == [problem]


def test_a_bad_map_leaves_the_stored_one_as_it_was(engine, tmp_path):
    import_bundle(engine, bundle(tmp_path / "good"))
    before = stored(engine)
    features = copy.deepcopy(FEATURES)
    features[0]["geometry"]["coordinates"][0][1] = [118.65, 36.7]  # a change, then a fault further on
    features[5]["properties"]["code"] = "G7"
    assert refused(engine, bundle(tmp_path / "bad", features, tables={})) == [
        "geometry.geojson row 6, field properties.code: unknown unit 'G7' in county other"]
    assert stored(engine) == before


# ---- the API


@pytest.fixture
def api(graphql_api, tmp_path):
    return graphql_api(bundle(tmp_path / "b"), supervisor=dict(role="supervisor"),
                       mapland=dict(role="county", county_code="mapland"),
                       other=dict(role="county", county_code="other"),
                       clinic=dict(role="institution", county_code="mapland", institution="V1"))


MAP = """query($c: String!, $i: String, $p: Period, $l: MapLevel!, $g: Boolean!) {
  county(code: $c) { code mapFeatures map(indicator: $i, period: $p, level: $l, geometry: $g) } }"""


def mapped(gql, county="mapland", indicator=None, period=None, level="GRID", geometry=True, as_="mapland"):
    r = gql(MAP, dict(c=county, i=indicator, p=period, l=level, g=geometry), as_=as_)
    assert "errors" not in r, r["errors"]
    return r["data"]["county"]


def props(m):
    return {(f["properties"]["kind"], f["properties"]["code"]): f["properties"] for f in m["features"]}


def test_the_map_carries_exact_values_by_grid_and_the_institutions_as_points(api):
    county = mapped(api, indicator="hypertension_control_rate", period="2024-06")
    m = county["map"]
    assert county["mapFeatures"] == 5 and m["type"] == "FeatureCollection" and m["level"] == "GRID"
    assert m["indicator"]["code"] == "hypertension_control_rate" and m["period"] == "2024-06"
    assert [f["properties"]["kind"] for f in m["features"]] == ["unit", "unit", "institution", "institution"]
    p = props(m)
    assert p[("unit", "G1")] == {"kind": "unit", "code": "G1", "name": "东镇第1网格", "nameEn": "Grid G1",
                                 "value": "0.7312", "text": None}
    assert p[("unit", "G2")]["value"] == "0.5"  # as stored: no float on the way
    assert p[("institution", "V1")] == {"kind": "institution", "code": "V1", "name": "东镇第1村卫生室",
                                        "nameEn": "Clinic V1", "institutionKind": "village_clinic"}
    assert m["features"][0]["geometry"] == {"type": "Polygon", "coordinates": [SQUARE]}
    assert [(i["code"], i["periods"]) for i in m["indicators"]] == [
        ("diabetes_control_rate", ["2024-06"]), ("hypertension_control_rate", ["2024-05", "2024-06"])]
    earlier = props(mapped(api, indicator="hypertension_control_rate", period="2024-05")["map"])
    assert earlier[("unit", "G1")]["value"] == "0.61" and earlier[("unit", "G2")]["value"] is None


def test_by_default_the_first_indicator_in_its_latest_period_and_geometry_on_request(api):
    m = mapped(api)["map"]
    assert m["indicator"]["code"] == "diabetes_control_rate" and m["period"] == "2024-06"
    assert props(m)[("unit", "G2")]["value"] == "0.4409"
    latest = mapped(api, indicator="hypertension_control_rate", geometry=False)["map"]
    assert latest["period"] == "2024-06" and all(f["geometry"] is None for f in latest["features"])


def test_towns_show_their_centres_values(api):
    m = mapped(api, level="TOWN")["map"]
    assert [(i["code"], i["periods"]) for i in m["indicators"]] == [("town_visits_share", ["2024-06"])]
    assert props(m)[("town", "T1")]["value"] == "0.773" and props(m)[("town", "T1")]["name"] == "东镇卫生院"
    assert [f["properties"]["kind"] for f in m["features"]] == ["town", "institution", "institution"]


def test_an_unknown_indicator_is_a_coded_error_and_the_rest_of_the_answer_stands(api):
    r = api('{ county(code: "mapland") { code map(indicator: "no_such") } }', as_="mapland")
    assert r["data"]["county"] == {"code": "mapland", "map": None}
    assert [e["extensions"]["code"] for e in r["errors"]] == ["NOT_FOUND"] and "no_such" in r["errors"][0]["message"]


def test_a_county_without_a_map_has_no_features(api, engine):
    with Session(engine) as s:
        s.exec(MapFeature.__table__.delete().where(MapFeature.county_id == 2))
        s.commit()
    county = mapped(api, county="other", as_="other")
    assert county["mapFeatures"] == 0 and county["map"]["features"] == [] and county["map"]["indicator"] is None


def test_the_map_is_read_within_the_callers_counties(api):
    assert mapped(api, as_="supervisor")["mapFeatures"] == 5
    for as_, code in (("other", "NOT_FOUND"), ("clinic", "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        r = api(MAP, dict(c="mapland", i=None, p=None, l="GRID", g=True), as_=as_)
        assert r["data"]["county"] is None and [e["extensions"]["code"] for e in r["errors"]] == [code], as_
    other = mapped(api, county="other", as_="other")  # its own county: its own grid and value only
    assert [(f["properties"]["code"], f["properties"]["value"]) for f in other["map"]["features"]] == [("G1", "0.9")]


def test_a_map_costs_what_it_draws(api):
    many = "{ county(code: \"mapland\") { %s } }" % " ".join(f"m{i}: map" for i in range(13))
    r = api(many, as_="clinic")
    assert [e["extensions"]["code"] for e in r["errors"]] == ["TOO_COSTLY"] and r["errors"][0]["extensions"]["cost"] > 25_000
    assert "errors" not in api(many, as_="mapland")


# ---- the demo county shaped like Shouguang


def inside(p, ring) -> bool:
    odd = False
    for (x0, y0), (x1, y1) in zip(ring, ring[1:]):
        if (y0 > p[1]) != (y1 > p[1]) and p[0] < (x1 - x0) * (p[1] - y0) / (y1 - y0) + x0:
            odd = not odd
    return odd


def test_the_demo_county_has_the_seeds_figures_and_a_schematic_map():
    from decimal import Decimal

    from countypay.plugins.shouguang.demo import countypay_demo

    rows = countypay_demo(20240101, 2024).rows
    t, shapes = rows.tables, {(f["properties"]["kind"], f["properties"]["code"]): f["geometry"] for f in rows.features}
    assert t["counties"] == [{"code": "shouguang", "province": "shandong", "prefecture": "weifang", "name_zh": "寿光市",
                              "name_en": "Shouguang", "population": 1000000}]
    kinds = [i["kind"] for i in t["institutions"]]
    assert len(t["units"]) == 620 and kinds.count("village_clinic") == 488
    assert sum(k in ("township_health_centre", "community_health_centre") for k in kinds) == 16
    assert sum(p["count"] for p in t["unit_populations"]) == 1_000_000
    assert len(shapes) == len(rows.features) == 16 + 620 + 505  # each shape once
    towns = [code for kind, code in shapes if kind == "town"]
    assert sorted(towns) == sorted(i["code"] for i in t["institutions"] if i["tier"] == "township")
    for (kind, code), g in shapes.items():
        coordinates = g["coordinates"] if g["type"] == "Polygon" else [g["coordinates"]]
        assert all(118.5 <= lon <= 119.1 and 36.6 <= lat <= 37.3 for ring in coordinates
                   for lon, lat in (ring if g["type"] == "Polygon" else [ring]))
    grid_of = {}
    for clinic in (i for i in t["institutions"] if i["kind"] == "village_clinic"):
        p = shapes[("institution", clinic["code"])]["coordinates"]
        (grid,) = [code for (kind, code), g in shapes.items() if kind == "unit" and inside(p, g["coordinates"][0])]
        grid_of[clinic["code"]] = grid
    assert len(set(grid_of.values())) == 488  # a clinic in each of 488 grids, never two in one
    rates = [Decimal(v["value"]) for v in t["indicator_values"]]
    assert len(rates) == 620 * 12 * 2 and all(0 < r < 1 and r == round(r, 4) for r in rates)
    assert min(rates) < Decimal("0.45") < Decimal("0.65") < max(rates)  # low areas stand out
    assert countypay_demo(20240101, 2024).rows == rows and countypay_demo(7, 2024).rows != rows
