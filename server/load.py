"""Import of a county bundle: one CSV or JSON file per table, all or nothing.

Every row is validated (shape, ranges, references to codes stored or loaded earlier in the same
bundle); any problem refuses the whole import and nothing is written. Problems name the file,
the row, the field and the reason. Rows whose key exists already replace it. The parts, by job,
are in countypay.importer; this module runs them.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Callable, Iterator, Optional

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session

from . import overrides
from .audit import record, record_import
from .errors import InputError, field_path
from .importer import bulk, geometry, jsontext
from .importer.files import Encoding, bundle_files, csv_header, csv_rows, encoding, json_rows, raw_row
from .importer.problems import MAX_ERRORS, ImportFailed, Problem, Problems
from .importer.references import References
from .importer.rows import BY_NAME, TABLES, Table, column_problems, personal_columns
from .importer.staging import Stage
from .models import County

__all__ = ["BY_NAME", "CHUNK", "MAX_ERRORS", "TABLES", "Encoding", "ImportFailed", "Imported", "Loader", "Problem",
           "bundle_files", "encoding", "import_bundle", "load"]

CHUNK = 20000  # rows validated and staged at a time: the memory an import needs, however large the file


class Imported(dict):
    """Rows written per table; `files` names the file and the encoding each table was read from."""

    def __init__(self, counts: dict[str, int], files: dict[str, tuple[str, str]]):
        super().__init__(counts)
        self.files = files


class Loader:
    """One import: validates and writes tables in order inside the caller's transaction."""

    def __init__(self, session: Session, progress: Callable[[str, int], None] | None = None):
        self.session = session
        self.progress = progress or (lambda table, n: None)
        self.problems = Problems()
        self.refs = References(session, self.problems)
        self.counts: dict[str, int] = {}
        self.by_county: dict[Optional[int], dict[str, int]] = {}  # county id (None: no one county) → rows per table
        self.tally: Counter = Counter()  # the table's valid rows by county id (counties: by code)
        self.files: dict[str, tuple[str, str]] = {}  # table → (file name, encoding name)

    def load(self, path: Path, actor: str = "") -> Imported:
        self.actor = actor
        try:
            files = bundle_files(path)
            for table, file in files:
                self.load_table(table, file)
            if shapes := geometry.file_in(path):  # the bundle's map, after the codes it names
                files.append((geometry.TABLE, shapes))
                self.files["geometry"] = (shapes.name, "UTF-8")
                self.tally = geometry.load(self.session, shapes, self.problems, self.refs.known)
                if not self.problems:
                    self.written(geometry.TABLE, sum(self.tally.values()))
        except ImportFailed as e:  # a file that cannot be read as a table ends the check
            self.problems.extend(e.problems)
        except OSError as e:
            self.problems.add(Path(e.filename or path).name, None, None, f"cannot be read: {e.strerror}")
        if self.problems:
            raise self.problems.refused(str(path))
        digest = hashlib.sha256()
        for _, file in files:
            digest.update(file.name.encode() + b"\0")
            with open(file, "rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
        record_import(self.session, actor, Path(path).name, self.by_county or {None: self.counts}, digest.hexdigest())
        for province, before, levels in self.refs.levels:
            record(self.session, "approval_levels", actor, None, f"province {province}",
                   {"province": province, "levels": levels, "before": before})
        return Imported(self.counts, self.files)

    def load_table(self, table: Table, file: Path) -> None:
        """Check the file's columns once; then validate its rows in chunks into a staging table,
        find repeated keys and merge the rows into the table with set-based SQL, so memory stays
        bounded by one chunk. Service counts try the bulk path first."""
        enc = encoding(file)
        self.files[table.name] = (file.name, enc.name)
        self.tally = Counter()
        keys = None
        if file.suffix == ".csv":
            keys = csv_header(file, enc)
            if keys and not self.columns_fit(table, file.name, keys):  # (an empty file has no rows)
                return  # the file is refused whole; its rows are not read
        if table.name == "parameter_overrides":
            self.load_parameter_overrides(file, enc, keys)
        elif table.name == "service_counts" and keys is not None and not self.problems and \
                (rows := self.bulk_service_counts(file, enc, keys)) is not None:
            self.written(table, rows)
        else:
            self.stage(table, file, enc, keys)
        self.refs.next_file()

    def stage(self, table: Table, file: Path, enc: Encoding, keys: Optional[list[str]]) -> None:
        stage = Stage(self.session, table)
        chunk: list[tuple[int, dict]] = []
        for n, row in self.records(table, file, enc, keys):
            chunk.append((n, row))
            if len(chunk) >= CHUNK:
                stage.add(chunk)
                chunk = []
        stage.add(chunk)
        for row, first, key in stage.repeats():
            self.problems.add(file.name, row, None, f"repeats the row at {file.name} row {first} "
                                                    f"({', '.join(map(str, key))})")
        if not self.problems:
            stage.merge()
            self.written(table, stage.rows)
        stage.drop()
        if table.name == "institutions":
            self.refs.check_parents()

    def written(self, table: Table, rows: int) -> None:
        """Count the rows written, in all and per county (the tally of the rows staged)."""
        self.counts[table.name] = rows
        tally = self.tally
        if table.name == "counties":  # a county's own row: its id is known once written
            ids = dict(self.session.execute(select(County.code, County.id).where(County.code.in_(list(tally)))).all())
            tally = Counter({ids[code]: n for code, n in tally.items()})
        for county_id, n in tally.items():
            self.by_county.setdefault(county_id, {})[table.name] = n
        self.progress(table.name, rows)

    def bulk_service_counts(self, file: Path, enc: Encoding, keys: list[str]) -> Optional[int]:
        """Rows written by the bulk path (importer.bulk), or None: then the full path decides."""
        per_county = bulk.write_service_counts(self.session, file, enc, keys)
        if per_county is None:
            return None
        self.tally = Counter(per_county)
        return sum(per_county.values())

    def columns_fit(self, table: Table, file: str, names: list[str], row: Optional[int] = None) -> bool:
        """Whether a file's columns (a CSV header; a JSON row's keys, with `row`) are the table's;
        each mistake is named once. Household tables refuse a column that looks personal."""
        personal = personal_columns(table, names)
        for k, why in personal:
            self.problems.add(file, None, k, why)
        if personal:
            return False
        wrong = column_problems(table, names)
        for k, why in wrong:
            self.problems.add(file, row, k, why)
        return not wrong

    def records(self, table: Table, file: Path, enc: Encoding, keys: Optional[list[str]]) -> Iterator[tuple[int, dict]]:
        """(row number, database values) of each valid row; problems are added to self.problems."""
        name = file.name
        if keys is not None:
            rows = ((n, raw_row(keys, fields)) for n, fields in csv_rows(file, enc))
        else:
            rows = json_rows(file, enc)
        fit: dict[tuple, bool] = {}  # a JSON row's keys → whether they are the table's
        values_of = self.refs.converter(table)
        for n, raw in rows:
            if keys is not None:
                if raw is None:
                    self.problems.add(name, n, None, "more fields than the header names")
                    continue
            else:  # JSON: each row names its own columns
                if not isinstance(raw, dict):
                    self.problems.add(name, n, None, "not an object of column names and values")
                    continue
                if isinstance(raw, jsontext.Repeated):
                    for k in raw.repeated:
                        self.problems.add(name, n, k, "named twice in the row")
                    continue
                names = tuple(raw)
                if names not in fit:
                    if personal_columns(table, names):
                        self.columns_fit(table, name, list(names))
                        return  # the file is refused whole; its rows are not read
                    fit[names] = not column_problems(table, list(names))
                if not fit[names]:
                    self.columns_fit(table, name, list(names), n)
                    continue
            try:
                row = table.row.model_validate(raw)
            except ValidationError as e:
                for err in e.errors(include_url=False):
                    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
                    self.problems.add(name, n, field_path(loc) if loc else None, err["msg"])
                continue
            self.refs.row_county = None
            values = values_of(row, (name, n))
            if values is not None:
                self.tally[row.code if table.name == "counties" else self.refs.row_county] += 1
                yield n, values

    def load_parameter_overrides(self, file: Path, enc: Encoding, keys: Optional[list[str]]) -> None:
        """Each row through the one override path (checked against the component's parameter
        shape, audited), in file order, so a row is checked beside the rows before it."""
        seen: dict[tuple, int] = {}
        for n, r in self.records(BY_NAME["parameter_overrides"], file, enc, keys):
            key = (r["county_id"], r["policy"], r["component"], r["name"], r["effective"])
            if key in seen:
                self.problems.add(file.name, n, None, f"repeats the row at {file.name} row {seen[key]}")
                continue
            seen[key] = n
            try:
                overrides.put(self.session, actor=self.actor, **r)
            except InputError as e:
                for p in e.problems:
                    self.problems.add(file.name, n, e.where, p)
        self.written(BY_NAME["parameter_overrides"], len(seen))


def load(session: Session, path: str | Path, progress: Callable[[str, int], None] | None = None,
         actor: str = "") -> Imported:
    """Import a bundle into the session's transaction; raises ImportFailed, having written nothing
    that the caller's rollback would not undo. Returns rows written per table."""
    return Loader(session, progress).load(Path(path), actor)


def import_bundle(engine, path: str | Path, progress: Callable[[str, int], None] | None = None,
                  actor: str = "") -> Imported:
    """Import a bundle in one transaction of its own: committed whole, or not at all. Then the
    tables it wrote are analysed, so the planner knows their new sizes (autovacuum may be off)."""
    with Session(engine) as session:
        try:
            counts = load(session, path, progress, actor)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    analyze(engine, [BY_NAME.get(t, geometry.TABLE).model.__tablename__ for t in counts])
    return counts


def analyze(engine, tables: list[str]) -> None:
    """Refresh the planner's statistics of the tables (PostgreSQL and SQLite alike)."""
    if tables:
        with engine.begin() as c:
            for t in dict.fromkeys(tables):
                c.exec_driver_sql(f'ANALYZE "{t}"')
