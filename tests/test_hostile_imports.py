"""Bundles built to break the import: each is refused with its file, row, field and reason, nothing
is written, and no traceback ever reaches the operator, on SQLite and PostgreSQL alike. Also: every
problem is counted past the ones kept, columns are checked once per file, the encoding found is
named, and the tables an import wrote are analysed after it commits."""
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from sqlalchemy import Integer, String, event, select
from sqlmodel import Session

from countypay.db import Exact, Money
from countypay.load import BY_NAME, MAX_ERRORS, TABLES, ImportFailed, import_bundle
from countypay.models import ServiceCount

DATA = Path(__file__).parent / "data"
BUNDLE = DATA / "haiyan-bundle"
FOLDER, PIPE = object(), object()
COUNTIES = "code,province,name_zh,name_en,population\n"
COUNTS = "county,institution,month,item,count\n"
OVERRIDES = "county,policy,component,name,effective,value,reference\n"
OVERRIDE = {"county": "haiyan", "policy": "haiyan", "component": "work_equivalent", "name": "risk_fund_rate",
            "effective": "2024-01-01"}


def deep(n: int) -> str:
    return "[" * n + "]" * n


def refused(store, files: dict) -> ImportFailed:
    """The refusal of a bundle of `files` (name → text, bytes, FOLDER or PIPE) imported over a
    stored county; the store is checked to be as it was."""
    import_bundle(store.engine, BUNDLE)
    before = store.row_counts()
    folder = store.folder / "hostile"
    folder.mkdir()
    for name, content in files.items():
        path = folder / name
        if content is FOLDER:
            path.mkdir()
            (path / "rows.csv").write_text(COUNTIES)
        elif content is PIPE:
            os.mkfifo(path)  # opening it would wait for a writer forever
        else:
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ImportFailed) as err:
        import_bundle(store.engine, folder)
    assert store.row_counts() == before
    return err.value


WRITTEN = [(c["name"], c["files"], (c["file"], c["row"], c["field"], c["reason"]))
           for c in yaml.safe_load((DATA / "test_hostile_imports.yaml").read_text(encoding="utf-8"))["hostile bundles"]]
TOO_DEEP = "nested deeper than 100 levels: a bundle's JSON is a list of rows of plain values"
MADE = [  # the files no text in tests/data/test_hostile_imports.yaml could well hold
    ("a population of 5000 digits", {"counties.json": '[{"code": "haiyan", "province": "zhejiang", '
                                                      '"name_zh": "海盐县", "population": 1' + "0" * 5000 + '}]'},
     ("counties.json", 1, "population", "Input should be less than or equal to 2147483647")),
    ("JSON nested 100,000 deep", {"funds.json": deep(100_000)}, ("funds.json", 1, None, TOO_DEEP)),
    ("a parameter value nested 60,000 deep in CSV", {"parameter_overrides.csv": OVERRIDES +
                                                     "haiyan,haiyan,work_equivalent,risk_fund_rate,2024-01-01,"
                                                     f"{deep(60_000)},x\n"},
     ("parameter_overrides.csv", 2, "value", "nested deeper than 32 levels")),
    ("a parameter value nested 60,000 deep in JSON",
     {"parameter_overrides.json": json.dumps([OVERRIDE])[:-2] + f', "value": {deep(60_000)}}}]'},
     ("parameter_overrides.json", 1, "value", TOO_DEEP)),
    ("a parameter value nested 40 deep in JSON",
     {"parameter_overrides.json": json.dumps([OVERRIDE])[:-2] + f', "value": {deep(40)}}}]'},
     ("parameter_overrides.json", 1, "value", "nested deeper than 32 levels")),
    ("a folder named counties.csv", {"counties.csv": FOLDER},
     ("counties.csv", None, None, "a folder, not a file: a bundle holds one file per table")),
    ("a pipe named funds.csv", {"funds.csv": PIPE},
     ("funds.csv", None, None, "not a regular file (a pipe, device or socket): a bundle holds one file per table")),
    ("GBK text behind a UTF-8 byte-order mark",
     {"institutions.csv": b"\xef\xbb\xbf" + "county,code,kind,tier,name_zh\nhaiyan,E,village_clinic,village,戊\n"
      .encode("gbk")},
     ("institutions.csv", None, None, "starts with a UTF-8 byte-order mark, but the text after it is GBK, not "
                                      "UTF-8: save it again as UTF-8 (or as GBK without the mark)")),
]
CASES = WRITTEN + MADE


@pytest.mark.parametrize("name,files,problem", CASES, ids=[c[0] for c in CASES])
def test_a_hostile_bundle_is_refused_with_file_row_field_and_reason(store, name, files, problem):
    err = refused(store, files)
    assert [(p.file, p.row, p.field, p.reason) for p in err.problems] == [problem]
    file, row, field, reason = problem
    where = file + (f" row {row}" if row else "") + (f", {'field' if row else 'column'} {field}" if field else "")
    assert err.problems == [f"{where}: {reason}"]


def test_no_row_shape_lets_a_value_past_its_column():
    """Each field stored in a column of its own name refuses what the column cannot hold on
    PostgreSQL: text longer than its varchar, integers beyond 32 bits, decimals beyond their
    precision; so the database never has to refuse it."""
    checked = 0
    for table in TABLES:
        columns = table.model.__table__.c
        for name in table.row.model_fields:
            kind = columns[name].type if name in columns else None
            if isinstance(kind, String) and kind.length:
                too_big = "a" * (kind.length + 1)
            elif isinstance(kind, Integer):
                too_big = 2**31
            elif isinstance(kind, (Exact, Money)):
                too_big = "1" * 19
            else:
                continue
            with pytest.raises(ValidationError) as err:
                table.row.model_validate({name: too_big})
            assert name in {e["loc"][0] for e in err.value.errors()}, (table.name, name, too_big)
            checked += 1
    assert checked > 10  # (the loop did look at the columns)


def test_no_row_shape_takes_a_nul_byte_in_any_field():
    """PostgreSQL keeps no NUL byte in text: every field of every table refuses one, free text by
    its check, codes, months and the rest by their patterns and types."""
    for table in TABLES:
        for name in table.row.model_fields:
            with pytest.raises(ValidationError) as err:
                table.row.model_validate({name: "a\x00b"})
            assert name in {e["loc"][0] for e in err.value.errors()}, (table.name, name)


def test_a_month_is_kept_as_the_store_writes_it(engine, tmp_path):
    """A JSON month with spaces or a line end around it is 2024-07, never `2024-07\\n` (which
    PostgreSQL's 7-character column refused with a traceback)."""
    folder = tmp_path / "months"
    folder.mkdir()
    rows = [{"county": "haiyan", "institution": "A", "month": month, "item": "outpatient_visit", "count": 1}
            for month in (" 2024-07", "2024-08\n")]
    (folder / "service_counts.json").write_text(json.dumps(rows))
    import_bundle(engine, BUNDLE)
    import_bundle(engine, folder)
    with Session(engine) as s:
        months = s.execute(select(ServiceCount.month).where(ServiceCount.count == 1)).scalars().all()
    assert sorted(months) == ["2024-07", "2024-08"]


def test_every_problem_is_counted_past_the_ones_kept(store):
    rows = [f"haiyan,A,2024-{m:02d},outpatient_visit,-1" for m in range(1, 13)] * 10
    err = refused(store, {"service_counts.csv": COUNTS + "\n".join(rows) + "\n"})
    assert len(err.problems) == MAX_ERRORS and err.total == 120
    assert err.summary() == ["service_counts.csv, field count: Input should be greater than or equal to 0 "
                             "(rows 2, 3, 4 and 117 more)"]


def test_a_misspelt_column_is_named_once_with_the_column_it_stands_for(store):
    rows = [f"haiyan,A,2024-{m:02d},outpatient_visit,{m}" for m in range(1, 13)]
    err = refused(store, {"service_counts.csv": COUNTS.replace("count\n", "cuont\n") + "\n".join(rows)})
    assert [(p.file, p.row, p.field, p.reason) for p in err.problems] == [
        ("service_counts.csv", None, "cuont", "not a column of service_counts; did you mean count?")]


def test_a_misspelt_json_key_is_one_problem_per_row_not_two(store):
    rows = [{"county": "haiyan", "institution": "A", "month": f"2024-{m:02d}", "item": "outpatient_visit", "cuont": m}
            for m in range(1, 5)]
    err = refused(store, {"service_counts.json": json.dumps(rows)})
    assert err.summary() == ["service_counts.json, field cuont: not a column of service_counts; did you mean count? "
                             "(rows 1, 2, 3 and 1 more)"]


def test_the_encoding_found_is_named(engine, tmp_path):
    folder = tmp_path / "gbk"
    folder.mkdir()
    (folder / "institutions.csv").write_bytes(
        "county,code,kind,tier,name_zh\nhaiyan,E,village_clinic,village,戊卫生室\n".encode("gbk"))
    (folder / "service_items.csv").write_bytes(b"\xef\xbb\xbfcode,name_zh\nx,\xe5\x85\xb6\xe5\xae\x83\n")
    import_bundle(engine, BUNDLE)
    imported = import_bundle(engine, folder)
    assert imported == {"institutions": 1, "service_items": 1}
    assert imported.files == {"institutions": ("institutions.csv", "GBK"), "service_items": ("service_items.csv", "UTF-8")}


def test_the_tables_an_import_wrote_are_analysed_after_it_commits(engine):
    statements = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, sql, params, context, many: statements.append(sql))
    event.listen(engine, "commit", lambda conn: statements.append("COMMIT"))
    counts = import_bundle(engine, BUNDLE)
    analysed = [(i, m[1]) for i, sql in enumerate(statements) if (m := re.fullmatch(r'ANALYZE "(\w+)"', sql))]
    assert sorted(t for _, t in analysed) == sorted(BY_NAME[t].model.__tablename__ for t in counts)
    assert "servicecount" in {t for _, t in analysed}
    assert statements.index("COMMIT") < min(i for i, _ in analysed)
