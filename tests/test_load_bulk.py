"""Service counts take a bulk path (the database checks and writes the whole file by SQL): for any
file it must end exactly as the row-by-row path does, with the same rows or the same errors."""
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from countypay.load import ImportFailed, Loader, import_bundle, load
from countypay.models import County, ServiceCount

BUNDLE = Path(__file__).parent / "data" / "haiyan-bundle"
HEADER = "county,institution,month,item,count"
GOOD = ["haiyan,A,2024-01,outpatient_visit,1000", "haiyan,B,2024-01,outpatient_visit,500",
        "haiyan,B,2024-01,elderly_checkup,100", "haiyan,D,2024-03,outpatient_visit,700"]


def lines(*rows: str, header: str = HEADER) -> bytes:
    return "\n".join([header, *rows, ""]).encode()


# (name, file bytes, whether the bulk path takes it: None for only on SQLite, whose rows are
# read by Python's csv; PostgreSQL's COPY reads quotes otherwise, so it is given no file with any)
CASES = [
    ("plain", lines(*GOOD), True),
    ("columns in another order", lines("A,haiyan,1000,2024-01,outpatient_visit",
                                        header="institution,county,count,month,item"), True),
    ("CRLF and a BOM", b"\xef\xbb\xbf" + lines(*GOOD).replace(b"\n", b"\r\n"), True),
    ("leading zeros", lines("haiyan,A,2024-01,outpatient_visit,007"), True),
    ("quoted fields", lines('"haiyan","A","2024-01","outpatient_visit","7"'), None),
    ("quotes inside a field", lines('haiyan,A"",2024-01,outpatient_visit,5'), False),  # COPY would read A
    ("a stored key gets a new count", lines("haiyan,A,2024-01,outpatient_visit,1",
                                            "haiyan,B,2024-02,elderly_checkup,2"), True),
    ("header only", lines(), True),
    ("spaces around values", lines(" haiyan , A ,2024-01, outpatient_visit , 5 "), False),
    ("a blank line", lines(GOOD[0], "", GOOD[1]), False),
    ("an end-of-data marker", lines(GOOD[0], "\\.", GOOD[1]), False),
    ("a negative count", lines(GOOD[0], "haiyan,B,2024-01,outpatient_visit,-5"), False),
    ("a decimal count", lines("haiyan,B,2024-01,outpatient_visit,5.0"), False),
    ("an empty count", lines("haiyan,B,2024-01,outpatient_visit,"), False),
    ("a bad month", lines("haiyan,B,2024-13,outpatient_visit,5", "haiyan,B,2024-1,outpatient_visit,5",
                          "haiyan,B,0000-01,outpatient_visit,5"), False),
    ("a quarter for a month", lines("haiyan,B,2024Q1,outpatient_visit,5"), False),
    ("unknown codes", lines("haiyan,Z,2024-01,outpatient_visit,5", "haiyan,B,2024-01,no_such_item,5",
                            "nowhere,B,2024-01,outpatient_visit,5"), False),
    ("an institution of another name", lines("haiyan,甲,2024-01,outpatient_visit,5"), False),
    ("a repeated key", lines(*GOOD, GOOD[2].replace("100", "7")), False),
    ("more fields than the header", lines("haiyan,B,2024-01,outpatient_visit,5,6"), False),
    ("fewer fields than the header", lines("haiyan,B,2024-01,outpatient_visit"), False),
    ("a column too many", lines("haiyan,B,2024-01,outpatient_visit,5,x", header=HEADER + ",note"), False),
    ("a column missing", lines("haiyan,B,2024-01,outpatient_visit", header="county,institution,month,item"), False),
    ("GBK text", lines("haiyan,乙,2024-01,outpatient_visit,5").decode().encode("gbk"), False),
]


def base(tmp_path) -> Path:
    """The bundle without its service counts but with one stored count, to be replaced."""
    folder = tmp_path / "base"
    shutil.copytree(BUNDLE, folder)
    (folder / "service_counts.csv").write_bytes(lines(GOOD[0]))
    return folder


def outcome(engine, folder: Path):
    """The rows stored or the problems named by importing `folder`; rolled back afterwards."""
    with Session(engine) as s:
        try:
            counts = load(s, folder)
            rows = s.execute(select(County.code, ServiceCount.institution, ServiceCount.month, ServiceCount.item,
                                    ServiceCount.count).join(County)).all()
            return counts, sorted(map(tuple, rows))
        except ImportFailed as e:
            return e.problems
        finally:
            s.rollback()


@pytest.mark.parametrize("name,content,bulk", CASES, ids=[c[0] for c in CASES])
def test_the_bulk_path_ends_as_the_row_path(engine, tmp_path, monkeypatch, name, content, bulk):
    import_bundle(engine, base(tmp_path))
    folder = tmp_path / "counts"
    folder.mkdir()
    (folder / "service_counts.csv").write_bytes(content)
    taken, real = [], Loader.bulk_service_counts
    monkeypatch.setattr(Loader, "bulk_service_counts", lambda self, *file: taken.append(real(self, *file)) or taken[-1])
    got = outcome(engine, folder)
    if bulk is None:
        bulk = engine.dialect.name == "sqlite"
    assert (bool(taken) and taken[0] is not None) == bulk, got  # (a wrong header is refused before it)
    monkeypatch.setattr(Loader, "bulk_service_counts", lambda self, *file: None)
    assert got == outcome(engine, folder)


def test_a_bad_file_after_the_counts_leaves_them_unwritten(engine, tmp_path):
    """All or nothing, also when the counts are the first rows the import writes."""
    folder = tmp_path / "counts"
    folder.mkdir()
    (folder / "service_counts.csv").write_bytes(lines(*GOOD))
    (folder / "parameter_overrides.csv").write_text(
        "county,policy,component,name,effective,value\nnowhere,haiyan,work_equivalent,floor_rate,2024-01-01,1\n")
    shutil.copytree(BUNDLE, tmp_path / "base", ignore=shutil.ignore_patterns("service_counts.csv"))
    import_bundle(engine, tmp_path / "base")
    with pytest.raises(ImportFailed, match="unknown county 'nowhere'"):
        import_bundle(engine, folder)
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(ServiceCount)).scalar_one() == 0
