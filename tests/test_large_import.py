"""A large file streams through the import in bounded memory, and one bad row in its middle
leaves the store as it was. The file is written here: 600,000 service counts (about 18 MB) of
250 institutions, 12 months and 200 service items."""
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from countypay.load import ImportFailed, import_bundle
from countypay.models import ServiceCount

BUNDLE = Path(__file__).parent / "data" / "haiyan-bundle"
INSTITUTIONS, ITEMS = 250, [f"item{k:03d}" for k in range(200)]
ROWS = INSTITUTIONS * 12 * len(ITEMS)


def write_counts(path: Path, bad_row: int | None = None) -> Path:
    """Institutions and items added to the bundle, and a count for each institution, month and
    item; `bad_row` (a CSV row number) gets a negative count."""
    with open(path / "institutions.csv", "a") as f:
        f.writelines(f"haiyan,X{i:03d},village_clinic,village,村卫生室{i},Clinic {i}\n" for i in range(INSTITUTIONS))
    with open(path / "service_items.csv", "a") as f:
        f.writelines(f"{item},服务{item},Service {item}\n" for item in ITEMS)
    with open(path / "service_counts.csv", "w") as f:
        f.write("county,institution,month,item,count\n")
        row = 1
        for i in range(INSTITUTIONS):
            for m in range(1, 13):
                for k, item in enumerate(ITEMS):
                    row += 1
                    count = -1 if row == bad_row else (i * 7 + m + k) % 500
                    f.write(f"haiyan,X{i:03d},2024-{m:02d},{item},{count}\n")
    return path


def bundle(tmp_path, bad_row=None) -> Path:
    folder = tmp_path / "big"
    folder.mkdir()
    for name in ("provinces.csv", "counties.csv", "institutions.csv", "service_items.csv"):
        (folder / name).write_bytes((BUNDLE / name).read_bytes())
    return write_counts(folder, bad_row)


def counts(engine) -> int:
    with Session(engine) as s:
        return s.execute(select(func.count()).select_from(ServiceCount)).scalar_one()


def test_a_bad_row_halfway_through_a_large_file_writes_nothing(engine, tmp_path):
    import_bundle(engine, BUNDLE)
    before = counts(engine)
    with pytest.raises(ImportFailed) as err:
        import_bundle(engine, bundle(tmp_path, bad_row=ROWS // 2))
    assert err.value.problems == [f"service_counts.csv row {ROWS // 2}, field count: "
                                  "Input should be greater than or equal to 0"]
    assert counts(engine) == before


MEASURE = """
import resource, sys
from countypay.db import make_engine
from countypay.load import import_bundle
from countypay.store import upgrade
engine = make_engine(sys.argv[1]); upgrade(engine)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = import_bundle(engine, sys.argv[2])["service_counts"]
print(n, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
"""


def test_a_large_file_imports_in_bounded_memory(tmp_path):
    """In a process of its own, so the peak resident memory is the import's: it must stay far
    below the file's size, since rows are read, checked and staged a chunk at a time."""
    folder = bundle(tmp_path)
    size_mb = (folder / "service_counts.csv").stat().st_size // 2**20
    done = subprocess.run([sys.executable, "-c", MEASURE, f"sqlite:///{tmp_path / 'big.db'}", str(folder)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows, grew_mb = map(int, done.stdout.split())
    assert rows == ROWS and size_mb >= 15
    assert grew_mb < 40, f"the import grew by {grew_mb} MB for a {size_mb} MB file"
