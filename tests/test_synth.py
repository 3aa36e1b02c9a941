"""The synthetic province: deterministic for a seed, its counties shaped by the core and their
facts added by the plugins that take part, imported through the normal import and settled."""
import csv
import filecmp

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

import countypay.host as host
import countypay.load as load
from countypay.load import ImportFailed, import_bundle
from countypay.models import Institution, ServiceCount, SettlementRun, Unit, UnitMember
from countypay.policy import ROLES
from countypay.settle import settle
from countypay.synth import components, shape, write_province

SMALL = dict(counties=2, units=8, institutions=20, months=2)


def small(folder, seed=1):
    return write_province(folder, SMALL["counties"], SMALL["units"], SMALL["institutions"], SMALL["months"], seed)


def test_the_same_seed_writes_the_same_files_and_another_seed_others(tmp_path):
    a, b, c = small(tmp_path / "a"), small(tmp_path / "b"), small(tmp_path / "c", seed=2)
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    assert all(filecmp.cmp(a / n, b / n, shallow=False) for n in names)
    assert not filecmp.cmp(a / "service_counts.csv", c / "service_counts.csv", shallow=False)


def test_an_impossible_shape_is_refused():
    with pytest.raises(ValueError, match="at least"):
        shape(200, 50)


def test_the_province_imports_and_every_component_settles(engine, tmp_path):
    counts = import_bundle(engine, small(tmp_path / "p"))
    assert counts["counties"] == 2 and counts["units"] == 16 and counts["institutions"] == 40
    assert counts["parameter_overrides"] == 2  # each county settles the chronic fund per township centre
    with Session(engine) as s:
        for unit in s.exec(select(Unit)).scalars():
            roles = {m.role for m in s.exec(select(UnitMember).where(UnitMember.unit_id == unit.id)).scalars()}
            assert roles == set(ROLES)
        kinds = {(i.county_id, i.code): i.kind for i in s.exec(select(Institution)).scalars()}
        assert all(kinds[i.county_id, i.parent] == "township_health_centre"
                   for i in s.exec(select(Institution).where(Institution.tier == "village")).scalars())
        assert s.execute(select(func.count()).select_from(ServiceCount)).scalar_one() == counts["service_counts"] > 0
        for county, policy, component in components(2):
            settle(s, county, policy, component, "2024", user="test")
        s.commit()
        assert s.execute(select(func.count()).select_from(SettlementRun)).scalar_one() == len(components(2)) == 12


def test_the_plugins_choose_their_counties():
    """Every county is settled by Suixi's four components and Deqing's global budget; its services
    are bought on one catalogue, Haiyan's in two counties of three, Deqing's in the third."""
    settles = components(3)
    for county in ("c001", "c002", "c003"):
        mine = {(p, k) for c, p, k in settles if c == county}
        assert {("suixi", k) for k in ("public_health", "insurance_capitation", "community_surplus",
                                        "chronic_package")} | {("deqing", "global_budget")} <= mine
        assert [p for p, k in mine if k == "work_equivalent"] == (["deqing"] if county == "c003" else ["haiyan"])


def test_a_plugin_left_out_adds_nothing(tmp_path, monkeypatch):
    pm = host.plugin_manager()
    pm.unregister(name="haiyan")
    monkeypatch.setattr(host, "plugin_manager", lambda load_entry_points=True: pm)
    host.registry.cache_clear()
    try:
        assert [c for c, p, _ in components(3) if p == "haiyan"] == []
        folder = write_province(tmp_path / "p", 6, 4, 11, 1, 1)
        with open(folder / "service_items.csv", encoding="utf-8") as f:
            items = [row["code"] for row in csv.DictReader(f)]
        assert len(items) == len(set(items)) == 11  # Deqing's catalogue, once, though c003 and c006 use it
        with open(folder / "service_counts.csv", encoding="utf-8") as f:
            assert {row["county"] for row in csv.DictReader(f)} == {"c003", "c006"}
        with open(folder / "units.csv", encoding="utf-8") as f:
            assert len(list(csv.DictReader(f))) == 6 * 4
    finally:
        host.registry.cache_clear()


def test_a_repeat_across_chunks_is_named(engine, tmp_path, monkeypatch):
    folder = small(tmp_path / "p")
    lines = (folder / "service_counts.csv").read_text().splitlines()
    lines.append(lines[1])  # the first row again, far beyond the first chunk
    (folder / "service_counts.csv").write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(load, "CHUNK", 7)
    with pytest.raises(ImportFailed) as err:
        import_bundle(engine, folder)
    assert f"service_counts.csv row {len(lines)}: repeats the row at service_counts.csv row 2" in \
        " ".join(err.value.problems)
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(ServiceCount)).scalar_one() == 0
