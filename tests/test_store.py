"""The store on SQLite and PostgreSQL: migrations, exact money, import, settlement."""
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from countypay import cases, models
from countypay.load import ImportFailed, import_bundle
from countypay.settle import line_values, settle

HERE = Path(__file__).parent
BUNDLE = HERE / "data" / "haiyan-bundle"
CASE = HERE.parent / "plugins" / "haiyan" / "cases" / "floors-pro-rata.case.yaml"


def test_migrations_build_exactly_the_model(engine):
    with engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": False}), SQLModel.metadata)
    assert diff == []


def test_money_and_exact_numbers_round_trip(engine):
    big = Decimal("9999999999999999.99")
    with Session(engine) as s:
        s.add(models.Province(code="p", name_zh="省"))
        s.flush()
        county = models.County(code="c", province_id=1, name_zh="县")
        s.add(county)
        s.flush()
        s.add(models.Fund(county_id=county.id, code="f", entity="county", period="2024", amount=big))
        s.add(models.Indicator(code="r", name_zh="比", unit="ratio", benchmark=Decimal("0.123456789")))
        s.commit()
    with Session(engine) as s:
        assert s.exec(select(models.Fund.amount)).scalar_one() == big
        assert str(s.exec(select(models.Indicator.benchmark).where(models.Indicator.code == "r")).scalar_one()) == "0.123456789"


def test_settlement_from_the_store_matches_the_case_file(engine):
    import_bundle(engine, BUNDLE)
    case = cases.load(CASE)
    with Session(engine) as s:
        run = settle(s, "haiyan", "haiyan", "work_equivalent", "2024")
        s.commit()
        got = line_values(s, run.id)
    for e in case.expected:
        assert got[(e.entity, e.line)] == e.value, (e.entity, e.line)
    # the same inputs and parameters give the same hash and the same run, not a second one
    expected_hash = cases.run(case).computation.input_hash
    with Session(engine) as s:
        again = settle(s, "haiyan", "haiyan", "work_equivalent", "2024")
        s.commit()
        assert (again.id, again.input_hash) == (run.id, expected_hash)
        assert line_values(s, again.id) == got
        assert s.execute(select(func.count()).select_from(models.SettlementRun)).scalar_one() == 1


def test_a_new_input_makes_a_new_run_that_supersedes(engine):
    import_bundle(engine, BUNDLE)
    with Session(engine) as s:
        first = settle(s, "haiyan", "haiyan", "work_equivalent", "2024")
        second = settle(s, "haiyan", "haiyan", "work_equivalent", "2024", run_overrides={"risk_fund_rate": "0.2"})
        s.commit()
        assert second.id != first.id and second.supersedes_id == first.id
        assert line_values(s, second.id)[("county", "risk_fund.opening")] == Decimal("2000.00")


def broken_bundle(tmp_path, table: str, line: int, new: str) -> Path:
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLE, bundle)
    path = bundle / f"{table}.csv"
    lines = path.read_text().splitlines()
    lines[line - 1] = new
    path.write_text("\n".join(lines) + "\n")
    return bundle


@pytest.mark.parametrize("table,line,new,message", [
    ("service_counts", 3, "haiyan,B,2024-01,outpatient_visit,-5",
     "service_counts.csv row 3, field count: Input should be greater than or equal to 0"),
    ("service_counts", 4, "haiyan,B,2024-01,no_such_item,5",
     "service_counts.csv row 4, field item: unknown service item 'no_such_item'"),
    ("service_counts", 5, "haiyan,Z,2024-03,outpatient_visit,700",
     "service_counts.csv row 5, field institution: unknown institution 'Z'"),
    ("service_counts", 5, "haiyan,B,2024-01,elderly_checkup,100",
     "service_counts.csv row 5: repeats the row at service_counts.csv row 4"),
    ("indicator_values", 4, "haiyan,noncompliant_ratio,D,2024-03,1.5",
     "indicator_values.csv row 4, field value: 1.5 is outside [0, 1]"),
    ("indicator_values", 3, "haiyan,performance_score,B,2024,101",
     "indicator_values.csv row 3, field value: 101 is outside [0, 100]"),
    ("funds", 2, "haiyan,work_equivalent_fund,county,2024,10000.001",
     "funds.csv row 2, field amount: Decimal input should have no more than 2 decimal places"),
    ("institutions", 2, "haiyan,A,township_health_centre,city,甲卫生院,Centre A",
     "institutions.csv row 2, field tier: Input should be 'county', 'township' or 'village'"),
    # Overrides take the one checked path of the mutation: shape, policy, component and name.
    ("parameter_overrides", 2, 'haiyan,haiyan,work_equivalent,risk_fund_rate,2024-01-01,"""lots""",x',
     "parameter_overrides.csv row 2, field value: work_equivalent.risk_fund_rate: Input should be a valid decimal"),
    ("parameter_overrides", 2, 'haiyan,nopolicy,nocomp,noname,2024-01-01,1,x',
     "parameter_overrides.csv row 2, field policy: no policy 'nopolicy' is installed"),
    ("parameter_overrides", 2, 'haiyan,haiyan,nocomp,noname,2024-01-01,1,x',
     "parameter_overrides.csv row 2, field component: policy 'haiyan' has no component 'nocomp'"),
    ("parameter_overrides", 2, 'haiyan,haiyan,work_equivalent,noname,2024-01-01,1,x',
     "parameter_overrides.csv row 2, field name: haiyan.work_equivalent has no parameter 'noname'"),
    ("parameter_overrides", 3, 'haiyan,haiyan,work_equivalent,risk_fund_rate,2024-01-01,"""0.2""",x',
     "parameter_overrides.csv row 3: repeats the row at parameter_overrides.csv row 2"),
])
def test_a_bad_row_is_named_and_changes_nothing(engine, store, tmp_path, table, line, new, message):
    import_bundle(engine, BUNDLE)  # a county already stored ...
    before = store.row_counts()
    with pytest.raises(ImportFailed) as err:  # ... and a bundle whose one row is bad
        import_bundle(engine, broken_bundle(tmp_path, table, line, new))
    assert any(p.startswith(message) for p in err.value.problems), err.value.problems
    assert store.row_counts() == before


def test_a_bad_row_in_a_fresh_store_leaves_it_empty(engine, store, tmp_path):
    before = store.row_counts()
    with pytest.raises(ImportFailed):
        import_bundle(engine, broken_bundle(tmp_path, "service_counts", 5, "haiyan,D,2024-13,outpatient_visit,1"))
    assert store.row_counts() == before


def test_a_refused_import_leaves_nothing_behind_for_the_next(engine, store, tmp_path):
    """The staging tables of a refused import are gone for the next import on the same
    connection (SQLite's DDL runs outside the import's transaction, which then rolls back)."""
    for attempt in range(2):  # a key given twice is found in the staged table
        with pytest.raises(ImportFailed, match="institutions.csv row 3"):
            import_bundle(engine, broken_bundle(tmp_path / str(attempt), "institutions", 3,
                                                "haiyan,A,township_health_centre,township,甲卫生院,Centre A"))
    import_bundle(engine, BUNDLE)
    assert store.row_counts()["institution"] == 4


def test_gbk_files_from_excel_are_read(engine, tmp_path):
    bundle = tmp_path / "gbk"
    shutil.copytree(BUNDLE, bundle)
    path = bundle / "institutions.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("gbk"))
    import_bundle(engine, bundle)
    with Session(engine) as s:
        names = set(s.exec(select(models.Institution.name_zh)).scalars())
    assert names == {"甲卫生院", "乙卫生院", "丙卫生院", "丁卫生院"}


@pytest.mark.parametrize("name,content,message", [
    ("institutions.csv", b"county,code\n\xff\xfe\xfa\xfb\xfc,A\n", "not UTF-8 or GBK text"),
    ("funds.json", b'[{"county": "haiyan",', "line 1 column 22: not JSON"),
    ("funds.json", b'{"county": "haiyan"}', "expected a JSON list of objects"),
    ("institutions.csv", b"county,code,kind,tier,name_zh\nhaiyan,A,village_clinic,village,x,extra\n",
     "institutions.csv row 2: more fields than the header names"),
    ("institutions.csv", b"county,code,tier\nhaiyan,A,village\n",
     "institutions.csv, column kind: missing: institutions needs this column"),
    ("nonsense.csv", b"a,b\n1,2\n", "not a table of a bundle"),
])
def test_malformed_files_are_refused_clearly(engine, store, tmp_path, name, content, message):
    import_bundle(engine, BUNDLE)
    before = store.row_counts()
    bundle = tmp_path / "bad"
    bundle.mkdir()
    (bundle / name).write_bytes(content)
    with pytest.raises(ImportFailed) as err:
        import_bundle(engine, bundle)
    assert any(message in p for p in err.value.problems), err.value.problems
    assert store.row_counts() == before


def test_a_settlement_sees_the_years_its_component_reads(engine, tmp_path):
    """The look-back comes from the component and its parameters: Suixi's insurance budgets
    average `history_years` years, and a county that sets five sees five."""
    from countypay.host import registry
    from countypay.params import resolve
    from countypay.period import Period
    from countypay.settle import county_by_code, load_facts

    bundle = tmp_path / "history"
    shutil.copytree(BUNDLE, bundle)
    with open(bundle / "indicator_values.csv", "a") as f:
        f.write("haiyan,performance_score,A,2021,70\nhaiyan,performance_score,A,2019,60\n")
    import_bundle(engine, bundle)
    suixi = registry().policy("suixi")
    insurance = suixi.component("insurance_capitation")
    five = resolve(suixi, insurance, Period.parse("2024"), {"history_years": 5}).model
    assert insurance.lookback(five) == 5
    with Session(engine) as s:
        county = county_by_code(s, "haiyan")
        three = load_facts(s, county, Period.parse("2024"), 3)
        five = load_facts(s, county, Period.parse("2024"), insurance.lookback(five))
    assert three.value("performance_score", "A", "2021") == Decimal(70)
    assert three.value("performance_score", "A", "2019") is None
    assert five.value("performance_score", "A", "2019") == Decimal(60)


def test_an_imported_override_is_audited_like_the_mutations(engine):
    from countypay.models import AuditEvent
    import_bundle(engine, BUNDLE, actor="importer")
    with Session(engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "parameter_override")).scalars().all()
    assert sorted(e.subject for e in events) == [f"haiyan.work_equivalent.{n} from 2024-01-01"
                                                 for n in ("catalog", "floor_rate", "risk_fund_rate")]
    assert {e.actor for e in events} == {"importer"}
