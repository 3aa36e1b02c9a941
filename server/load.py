"""Import of a county bundle: one CSV or JSON file per table, all or nothing.

Every row is validated (shape, ranges, references to codes stored or loaded earlier in the same
bundle); any error aborts the whole import and nothing is written. Errors name the file, the
row, the field and the reason. Rows whose key exists already replace it.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Optional

from pydantic import Field, ValidationError, field_validator
from sqlalchemy import Column, Integer, MetaData, String, func, select, text, true
from sqlalchemy import Table as SqlTable
from sqlalchemy.exc import DBAPIError, IntegrityError, ProgrammingError
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel
from sqlmodel.sql.sqltypes import AutoString

from . import overrides, values
from .audit import record
from .errors import InputError, problems
from .fields import Pseudonym, personal_column
from .models import (INSTITUTION_KINDS, Community, County, Fund, Household, HouseholdMonth,
                     HouseholdReimbursement, Indicator, IndicatorTarget, IndicatorValue, Institution,
                     ParameterOverride, PointsEvent, PointsOpening, ProjectDisbursement, ProjectPlan,
                     ProjectTask, Province, ServiceCount, ServiceItem, StaffDay, Task, Team, TeamGrid,
                     TeamMember, Transfer, Unit, UnitMember, UnitPopulation)
from .period import Month, Period, _month
from .policy import POINTS_EVENTS, ROLES, TEAM_ROLES, TIERS, Model

def _period(v: str) -> str:
    return str(Period.parse(v))


Code = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
MAX_ERRORS = 50
CHUNK = 20000  # rows validated and staged at a time: the memory an import needs, however large the file
CODE = re.compile(r"^[A-Za-z0-9_.\-]+$")


class Row(Model):
    pass


class ProvinceRow(Row):
    code: str = Code
    name_zh: str = Field(min_length=1)
    name_en: str = ""


class CountyRow(Row):
    code: str = Code
    province: str = Code
    name_zh: str = Field(min_length=1)
    name_en: str = ""
    population: Optional[int] = Field(default=None, ge=0)


class CommunityRow(Row):
    county: str = Code
    code: str = Code
    name_zh: str = Field(min_length=1)
    name_en: str = ""
    lead: Optional[str] = None


class InstitutionRow(Row):
    county: str = Code
    code: str = Code
    community: Optional[str] = None
    kind: Literal[INSTITUTION_KINDS]  # type: ignore[valid-type]
    tier: Literal[TIERS]  # type: ignore[valid-type]
    name_zh: str = Field(min_length=1)
    name_en: str = ""
    parent: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")


class UnitRow(Row):
    county: str = Code
    code: str = Code
    community: Optional[str] = None
    name_zh: str = Field(min_length=1)
    name_en: str = ""


class UnitMemberRow(Row):
    county: str = Code
    unit: str = Code
    role: Literal[ROLES]  # type: ignore[valid-type]
    institution: str = Code


class UnitPopulationRow(Row):
    county: str = Code
    unit: str = Code
    group: str = Code
    count: int = Field(ge=0)


class IndicatorRow(Row):
    code: str = Field(min_length=1, max_length=96)
    name_zh: str = Field(min_length=1)
    name_en: str = ""
    unit: str = Field(min_length=1)
    entity: Literal["unit", "institution", "community", "county"] = "county"
    period_kind: Literal["year", "half", "quarter", "month"] = "year"
    direction: Optional[Literal["higher", "lower"]] = None
    benchmark: Optional[Decimal] = None
    per_capita: bool = False
    reference: str = ""
    value_type: Optional[Literal[values.VALUE_TYPES]] = None  # type: ignore[valid-type]


class IndicatorTargetRow(Row):
    indicator: str = Field(min_length=1)
    county: Optional[str] = None
    year: int = Field(ge=1900, le=2200)
    value: Optional[Decimal] = None
    text: Optional[str] = None


class IndicatorValueRow(Row):
    county: str = Code
    indicator: str = Field(min_length=1)
    entity: str = Code
    period: str
    value: Optional[Decimal] = None
    text: Optional[str] = None

    _period = field_validator("period")(lambda v: _period(v))


class FundRow(Row):
    county: str = Code
    code: str = Code
    entity: str = Code
    period: str
    amount: Decimal = Field(ge=0, decimal_places=2, max_digits=18)

    _period = field_validator("period")(lambda v: _period(v))


class TransferRow(Row):
    county: str = Code
    period: str
    hop: str = Code
    received_on: date
    sent_on: date
    amount_received: Decimal = Field(ge=0, decimal_places=2, max_digits=18)
    matching: Decimal = Field(default=Decimal("0.00"), ge=0, decimal_places=2, max_digits=18)
    amount_sent: Decimal = Field(ge=0, decimal_places=2, max_digits=18)

    _period = field_validator("period")(lambda v: _period(v))

    @field_validator("sent_on")
    @classmethod
    def _sent_after_received(cls, v: date, info) -> date:
        received = info.data.get("received_on")
        if received is not None and v < received:
            raise ValueError(f"{v} is before received_on {received}: money is sent on after it arrives")
        return v


class TaskRow(Row):
    county: str = Code
    period: str
    code: str = Code
    body: str = ""
    due: date
    done_on: Optional[date] = None

    _period = field_validator("period")(lambda v: _period(v))


class TeamRow(Row):
    county: str = Code
    code: str = Code
    name_zh: Optional[str] = None


class TeamGridRow(Row):
    county: str = Code
    team: str = Code
    grid: str = Code  # a unit's code: a unit is a grid and its health management unit


class TeamMemberRow(Row):
    county: str = Code
    team: str = Code
    role: Literal[TEAM_ROLES]  # type: ignore[valid-type]
    staff: str = Code


class StaffDayRow(Row):
    county: str = Code
    staff: str = Code
    month: Month
    days: int = Field(ge=0, le=31)


class HouseholdRow(Row):
    county: str = Code
    code: Pseudonym


class HouseholdComplianceRow(Row):
    county: str = Code
    household: Pseudonym
    month: Month
    compliant: bool


class HouseholdReimbursementRow(Row):
    county: str = Code
    household: Pseudonym
    period: str
    reimbursable: Decimal = Field(ge=0, decimal_places=2, max_digits=18)
    base_rate: Optional[Decimal] = Field(default=None, ge=0, le=1)

    _period = field_validator("period")(lambda v: _period(v))


class PointsOpeningRow(Row):
    county: str = Code
    household: Pseudonym
    date: dt.date
    points: int = Field(ge=0)


class PointsEventRow(Row):
    county: str = Code
    household: Pseudonym
    date: dt.date
    seq: int = Field(ge=1)  # the event's place among the household's events of the day
    kind: Literal[POINTS_EVENTS]  # type: ignore[valid-type]
    activity: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$",
                                    validate_default=True)
    item: Optional[str] = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_\-]+$",
                                validate_default=True)
    quantity: int = Field(default=1, ge=1)

    @field_validator("activity", "item")
    @classmethod
    def _names_one(cls, v: Optional[str], info) -> Optional[str]:
        kind = info.data.get("kind")
        wanted = "activity" if kind == "earn" else "item"
        if kind is None:
            return v
        if info.field_name == wanted and v is None:
            raise ValueError(f"{kind} events name the {wanted}")
        if info.field_name != wanted and v is not None:
            raise ValueError(f"{kind} events name the {wanted}, not the {info.field_name}")
        return v

    @field_validator("quantity", mode="before")
    @classmethod
    def _one(cls, v: Any) -> Any:
        return 1 if v is None else v  # a blank quantity is one


class ProjectTaskRow(Row):
    county: str = Code
    code: str = Code
    name_zh: Optional[str] = None
    name_en: Optional[str] = None


class ProjectAmountRow(Row):
    """A planned or a disbursed amount of a task for a year from a source."""

    county: str = Code
    task: str = Code
    year: int = Field(ge=1900, le=2200)
    source: str = Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_\-]+$")
    amount: Decimal = Field(ge=0, decimal_places=2, max_digits=18)


class ServiceItemRow(Row):
    code: str = Code
    name_zh: str = Field(min_length=1)
    name_en: str = ""


class ServiceCountRow(Row):
    county: str = Code
    institution: str = Code
    month: Month
    item: str = Code
    count: int = Field(ge=0)


class ParameterOverrideRow(Row):
    county: str = Code
    policy: str = Code
    component: str = Code
    name: str = Code
    effective: date
    value: Any
    reference: str = ""

    @field_validator("value", mode="before")
    @classmethod
    def _json(cls, v: Any) -> Any:
        if isinstance(v, str):
            try:
                return json.loads(v, parse_float=Decimal)
            except json.JSONDecodeError as e:
                raise ValueError(f"not JSON: {e.msg}") from None
        return v


# Value ranges that an indicator's unit implies.
UNIT_RANGES = {"ratio": (Decimal(0), Decimal(1)), "score": (Decimal(0), Decimal(100)),
               "share": (Decimal(0), None), "count": (Decimal(0), None), "event": (Decimal(0), None), "yuan": (Decimal(0), None)}


@dataclass(frozen=True)
class Table:
    name: str
    row: type[Row]
    model: type[SQLModel]
    key: tuple[str, ...]  # natural key columns in the database table


TABLES = (
    Table("provinces", ProvinceRow, Province, ("code",)),
    Table("counties", CountyRow, County, ("code",)),
    Table("communities", CommunityRow, Community, ("county_id", "code")),
    Table("institutions", InstitutionRow, Institution, ("county_id", "code")),
    Table("units", UnitRow, Unit, ("county_id", "code")),
    Table("unit_members", UnitMemberRow, UnitMember, ("unit_id", "role")),
    Table("unit_populations", UnitPopulationRow, UnitPopulation, ("unit_id", "group")),
    Table("indicators", IndicatorRow, Indicator, ("code",)),
    Table("indicator_targets", IndicatorTargetRow, IndicatorTarget, ("indicator_id", "county_id", "year")),
    Table("indicator_values", IndicatorValueRow, IndicatorValue, ("county_id", "indicator_id", "entity", "period")),
    Table("funds", FundRow, Fund, ("county_id", "code", "entity", "period")),
    Table("transfers", TransferRow, Transfer, ("county_id", "period", "hop")),
    Table("tasks", TaskRow, Task, ("county_id", "period", "code")),
    Table("teams", TeamRow, Team, ("county_id", "code")),
    Table("team_grids", TeamGridRow, TeamGrid, ("team_id", "unit_id")),
    Table("team_members", TeamMemberRow, TeamMember, ("team_id", "role", "staff")),
    Table("staff_days", StaffDayRow, StaffDay, ("county_id", "staff", "month")),
    Table("households", HouseholdRow, Household, ("county_id", "code")),
    Table("household_compliance", HouseholdComplianceRow, HouseholdMonth, ("household_id", "month")),
    Table("household_reimbursements", HouseholdReimbursementRow, HouseholdReimbursement, ("household_id", "period")),
    Table("points_openings", PointsOpeningRow, PointsOpening, ("household_id", "date")),
    Table("points_events", PointsEventRow, PointsEvent, ("household_id", "date", "seq")),
    Table("project_tasks", ProjectTaskRow, ProjectTask, ("county_id", "code")),
    Table("project_plan", ProjectAmountRow, ProjectPlan, ("task_id", "year", "source")),
    Table("project_disbursements", ProjectAmountRow, ProjectDisbursement, ("task_id", "year", "source")),
    Table("service_items", ServiceItemRow, ServiceItem, ("code",)),
    Table("service_counts", ServiceCountRow, ServiceCount, ("county_id", "institution", "month", "item")),
    Table("parameter_overrides", ParameterOverrideRow, ParameterOverride,
          ("county_id", "policy", "component", "name", "effective")),
)
BY_NAME = {t.name: t for t in TABLES}
PSEUDONYMOUS = ("households", "household_compliance", "household_reimbursements", "points_openings", "points_events")
"""Tables about households: pseudonymous codes only, so a column that looks like a name or an ID
number refuses the file."""


class ImportFailed(InputError):
    """The import was refused; nothing was written."""


def encoding(path: Path) -> str:
    """The encoding of a table file: UTF-8 (with or without BOM), else GBK/GB18030 as Excel saves
    it in China; anything else is refused with the byte where it fails. Read in blocks, so a large
    file is never held whole."""
    first = None
    for enc in ("utf-8-sig", "gb18030"):
        decoder, offset, block = codecs.getincrementaldecoder(enc)(), 0, b""
        try:
            with open(path, "rb") as f:
                while block := f.read(1 << 20):
                    decoder.decode(block)
                    offset += len(block)
                decoder.decode(b"", final=True)
            return enc
        except UnicodeDecodeError as e:
            if first is None:  # the error's object is the undecoded tail of earlier blocks, then this one
                first = max(0, offset - (len(e.object) - len(block)) + e.start)
    raise ImportFailed(str(path), [f"not UTF-8 or GBK text (byte {first} cannot be read)"])


def read_text(path: Path) -> str:
    """A table file's whole text (JSON files, which are parsed whole)."""
    return path.read_bytes().decode(encoding(path))


def read_fields(path: Path) -> Iterator[tuple[int, list[str], list[str]]]:
    """(row number, header, fields) of each CSV row after the header (row 1), streamed."""
    with open(path, encoding=encoding(path), newline="") as f:
        reader = csv.reader(f)
        try:
            header = next(reader, None)
            if header is None:
                return
            keys = [k.strip() for k in header]
            for fields in reader:
                if fields:  # blank lines are no rows
                    yield reader.line_num, keys, fields
        except csv.Error as e:
            raise ImportFailed(str(path), [f"row {reader.line_num}: not CSV: {e}"]) from None


def raw_row(keys: list[str], fields: list[str]) -> dict:
    """A CSV row as fields by name: blanks are None, more fields than names are marked."""
    if len(fields) > len(keys):
        return {"__extra__": fields[len(keys):]}
    row = {k: None for k in keys}
    for k, v in zip(keys, fields):
        v = v.strip()
        row[k] = v if v != "" else None
    return row


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(row number, raw fields) of a CSV (header = row 1) or JSON list (item 1 = row 1)."""
    if path.suffix == ".json":
        text = read_text(path)
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as e:
            raise ImportFailed(str(path), [f"line {e.lineno} column {e.colno}: not JSON: {e.msg}"]) from None
        if not isinstance(data, list):
            raise ImportFailed(str(path), ["expected a JSON list of objects, one per row"])
        for i, item in enumerate(data, start=1):
            yield i, item if isinstance(item, dict) else {"?": item}
        return
    for n, keys, fields in read_fields(path):
        yield n, raw_row(keys, fields)


def bundle_files(path: Path) -> list[tuple[Table, Path]]:
    """The table files of a bundle folder (or a single table file), in dependency order."""
    path = Path(path)
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.suffix in (".csv", ".json"))
    found: dict[str, Path] = {}
    for f in files:
        if f.stem not in BY_NAME:
            raise ImportFailed(str(f), [f"not a table of a bundle (tables: {', '.join(BY_NAME)})"])
        if f.stem in found:
            raise ImportFailed(str(f), [f"{found[f.stem].name} holds the same table"])
        found[f.stem] = f
    if not found:
        raise ImportFailed(str(path), ["no table files (.csv or .json) found"])
    return [(t, found[t.name]) for t in TABLES if t.name in found]


class Loader:
    """One import: validates and writes tables in order inside the caller's transaction."""

    def __init__(self, session: Session, progress: Callable[[str, int], None] | None = None):
        self.session = session
        self.errors: list[str] = []
        self.progress = progress or (lambda table, n: None)
        self.counts: dict[str, int] = {}
        self.touched: set[int] = set()  # counties the import writes to
        self.parents: list[tuple[str, int, str]] = []  # (where, county, parent code) to check

    def fail(self, where: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{where}: {message}")

    # ---- lookups of codes already stored (or written earlier in this import)
    def ids(self, model, *where) -> dict:
        """Code → id of stored rows (plain columns: no ORM objects kept in the session)."""
        return dict(self.session.execute(select(model.code, model.id).where(*where)).all())

    def load(self, path: Path, actor: str = "") -> dict[str, int]:
        self.actor = actor
        files = bundle_files(path)
        for table, file in files:
            self.load_table(table, file)
        if self.errors:
            raise ImportFailed(str(path), self.errors)
        digest = hashlib.sha256()
        for _, file in files:
            digest.update(file.name.encode() + b"\0")
            with open(file, "rb") as f:
                while block := f.read(1 << 20):
                    digest.update(block)
        for county_id in sorted(self.touched) or [None]:
            record(self.session, "import", actor, county_id, Path(path).name,
                   {"tables": self.counts}, after=digest.hexdigest())
        return self.counts

    def load_table(self, table: Table, file: Path) -> None:
        """Validate the file in chunks into a staging table; then find repeated keys and merge
        the rows into the table with set-based SQL, so memory stays bounded by one chunk.
        Service counts try the bulk path first."""
        if table.name == "parameter_overrides":
            return self.load_parameter_overrides(file)
        if table.name == "service_counts" and file.suffix == ".csv" and not self.errors:
            rows = self.bulk_service_counts(file)
            if rows is not None:
                self.counts[table.name] = rows
                self.progress(table.name, rows)
                return
        stage = Stage(self.session, table)
        chunk: list[tuple[int, dict]] = []
        for n, row in self.records(table, file):
            chunk.append((n, row))
            if len(chunk) >= CHUNK:
                stage.add(chunk)
                chunk = []
        stage.add(chunk)
        for row, first, key in stage.repeats():
            self.fail(f"{file.name} row {row}", f"repeats the row at {file.name} row {first} "
                                                f"({', '.join(map(str, key))})")
        if not self.errors:
            stage.merge()
            self.counts[table.name] = stage.rows
            self.progress(table.name, stage.rows)
        stage.drop()
        if table.name == "institutions":
            self.check_parents()

    def bulk_service_counts(self, file: Path) -> Optional[int]:
        """Rows written, when the database could check and write the whole file by set-based SQL
        (PostgreSQL parsing it too, by COPY): several times faster than row by row, and the year
        of counts is the bulk of a bundle. None, with nothing written, when any row is not plainly
        valid or the file not plain CSV: the full path then names each problem as always."""
        enc = encoding(file)
        try:
            with open(file, encoding=enc, newline="") as f:
                keys = [k.strip() for k in next(csv.reader(f), [])]
        except csv.Error:
            return None
        if sorted(keys) != sorted(ServiceCountRow.model_fields):  # each column once, in any order
            return None
        raw = self.session.connection().connection.driver_connection
        if getattr(raw, "in_transaction", True) is False:  # pysqlite begins none for a SAVEPOINT,
            self.session.connection().exec_driver_sql("BEGIN")  # whose release would then commit
        try:
            with self.session.begin_nested():
                conn = self.session.connection()  # in the savepoint
                if conn.exec_driver_sql(BAD_CODES).scalar():
                    raise Refused
                conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {STAGE} ({', '.join(k + ' text' for k in keys)})")
                staged = stage_csv(conn, file, enc)
                try:  # a plain INSERT first: the upsert costs a third more, and mostly no key is stored yet
                    with self.session.begin_nested():
                        rows = self.session.connection().exec_driver_sql(BULK_COUNTS).rowcount
                except IntegrityError as e:
                    if not unique_violation(e) or conn.exec_driver_sql(REPEATS).first():
                        raise Refused  # a bad value, or a key repeated (which SQLite's upsert would let by)
                    rows = conn.exec_driver_sql(BULK_COUNTS + REPLACE_COUNTS).rowcount  # keys stored: replace
                if rows != staged:  # a row names an unknown county, institution or item
                    raise Refused
                self.touched.update(conn.exec_driver_sql(
                    f"SELECT id FROM county WHERE code IN (SELECT county FROM {STAGE})").scalars())
                conn.exec_driver_sql(f"DROP TABLE {STAGE}")
            return rows
        except (Refused, csv.Error, DBAPIError, self.session.get_bind().dialect.dbapi.Error):
            return None

    def records(self, table: Table, file: Path) -> Iterator[tuple[int, dict]]:
        """(row number, database values) of each valid row; problems go to `fail`."""
        fast = getattr(self, f"fast_{table.name}", None) if file.suffix == ".csv" else None
        rows = ((n, keys, fields) for n, keys, fields in read_fields(file)) if fast else \
            ((n, None, raw) for n, raw in read_rows(file))
        convert = getattr(self, f"to_{table.name}")
        columns: set = set()  # of a household's table, checked for names and ID numbers
        for n, keys, raw in rows:
            if fast:
                record = fast(keys, raw)
                if record is not None:
                    yield n, record
                    continue
                raw = raw_row(keys, raw)
            if table.name in PSEUDONYMOUS and not raw.keys() <= columns:
                personal = [(k, why) for k in raw.keys() - columns if (why := personal_column(str(k)))]
                columns.update(raw)
                for k, why in personal:
                    self.fail(f"{file.name}, column {k}", why)
                if personal:
                    return  # the file is refused whole; its rows are not read
            where = f"{file.name} row {n}"
            if "__extra__" in raw:
                self.fail(where, "more fields than the header names")
                continue
            try:
                row = table.row.model_validate(raw)
            except ValidationError as e:
                for p in problems(e):
                    field, _, reason = p.partition(": ")
                    self.fail(f"{where}, field {field}", reason)
                continue
            record = convert(row, where)
            if record is not None:
                yield n, record

    def fast_service_counts(self, keys: list[str], fields: list[str]) -> Optional[dict]:
        """The database values of a plainly valid row, checked without building a model; None
        sends the row down the full path, which names any problem exactly as always."""
        if "_fast" not in self.__dict__:
            self._fast = {"keys": None, "months": {}, "codes": {}}
        fast = self._fast
        if fast["keys"] is not keys:
            fast["keys"] = keys
            fast["at"] = [keys.index(k) if k in keys else None
                          for k in ("county", "institution", "month", "item", "count")]
            fast["ok"] = sorted(keys) == sorted(ServiceCountRow.model_fields) and len(set(keys)) == len(keys)
        if not fast["ok"] or len(fields) != len(keys):
            return None
        ci, ii, mi, ti, ni = fast["at"]
        county, inst, month, item, count = fields[ci], fields[ii], fields[mi], fields[ti], fields[ni]
        codes = fast["codes"]
        cid = codes.get(county)
        if cid is None:
            if not (CODE.match(county) and len(county) <= 64):
                return None
            if "_counties" not in self.__dict__:
                self._counties = self.ids(County)
            cid = self._counties.get(county)
            if cid is None:
                return None  # the full path names it
            codes[county] = cid
            self.touched.add(cid)
            if "_items" not in self.__dict__:
                self._items = set(self.session.exec(select(ServiceItem.code)).scalars())
            self.entity_known(cid, "institution", "")
            fast[cid] = {c for c in self.__dict__["_entities_institution"][cid] if CODE.match(c) and len(c) <= 64}
            fast["items"] = {c for c in self._items if CODE.match(c) and len(c) <= 64}
        good = fast["months"].get(month)
        if good is None:
            try:
                good = fast["months"][month] = _month(month) == month
            except ValueError:
                good = fast["months"][month] = False
        if not (good and inst in fast[cid] and item in fast["items"] and count.isdigit() and count.isascii()):
            return None
        return {"county_id": cid, "institution": inst, "month": month, "item": item, "count": int(count)}

    # ---- per-table: a validated row → database values, references checked
    def county_id(self, code: str, where: str) -> Optional[int]:
        if not hasattr(self, "_counties"):
            self._counties = self.ids(County)
        cid = self._counties.get(code)
        if cid is None:
            self.fail(f"{where}, field county", f"unknown county {code!r}")
        else:
            self.touched.add(cid)
        return cid

    def ref(self, cache: str, model, county_id: int, code: str, where: str, field: str) -> Optional[int]:
        table = self.__dict__.setdefault(cache, {})
        if county_id not in table:
            table[county_id] = self.ids(model, model.county_id == county_id)
        rid = table[county_id].get(code)
        if rid is None:
            self.fail(f"{where}, field {field}", f"unknown {field} {code!r} in county")
        return rid

    def to_provinces(self, r: ProvinceRow, where):
        self.__dict__.pop("_provinces", None)
        return r.model_dump()

    def to_counties(self, r: CountyRow, where):
        if "_provinces" not in self.__dict__:
            self._provinces = self.ids(Province)
        pid = self._provinces.get(r.province)
        if pid is None:
            return self.fail(f"{where}, field province", f"unknown province {r.province!r}")
        self.__dict__.pop("_counties", None)
        return {"code": r.code, "province_id": pid, "name_zh": r.name_zh, "name_en": r.name_en,
                "population": r.population}

    def to_communities(self, r: CommunityRow, where):
        cid = self.county_id(r.county, where)
        return cid and {"county_id": cid, "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en,
                        "lead": r.lead}

    def to_institutions(self, r: InstitutionRow, where):
        cid = self.county_id(r.county, where)
        if cid is None:
            return None
        community = r.community and self.ref("_communities", Community, cid, r.community, where, "community")
        if r.community and community is None:
            return None
        if r.parent is not None:
            self.parents.append((where, cid, r.parent))
        return {"county_id": cid, "code": r.code, "community_id": community, "kind": r.kind, "tier": r.tier,
                "name_zh": r.name_zh, "name_en": r.name_en, "parent": r.parent}

    def to_units(self, r: UnitRow, where):
        cid = self.county_id(r.county, where)
        if cid is None:
            return None
        community = r.community and self.ref("_communities", Community, cid, r.community, where, "community")
        if r.community and community is None:
            return None
        return {"county_id": cid, "code": r.code, "community_id": community, "name_zh": r.name_zh,
                "name_en": r.name_en}

    def to_unit_members(self, r: UnitMemberRow, where):
        cid = self.county_id(r.county, where)
        uid = cid and self.ref("_units", Unit, cid, r.unit, where, "unit")
        iid = cid and self.ref("_institutions", Institution, cid, r.institution, where, "institution")
        return uid and iid and {"unit_id": uid, "role": r.role, "institution_id": iid}

    def to_unit_populations(self, r: UnitPopulationRow, where):
        cid = self.county_id(r.county, where)
        uid = cid and self.ref("_units", Unit, cid, r.unit, where, "unit")
        return uid and {"unit_id": uid, "group": r.group, "count": r.count}

    def to_indicators(self, r: IndicatorRow, where):
        self.__dict__.pop("_indicators", None)
        return {"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "unit": r.unit,
                "entity": r.entity, "period_kind": r.period_kind, "direction": r.direction,
                "benchmark": r.benchmark, "per_capita": r.per_capita, "reference": r.reference,
                "value_type": r.value_type}

    def indicator(self, code: str, where: str) -> Optional[Indicator]:
        if "_indicators" not in self.__dict__:
            self._indicators = {i.code: i for i in self.session.exec(select(Indicator)).scalars()}
        ind = self._indicators.get(code)
        if ind is None:
            self.fail(f"{where}, field indicator", f"unknown indicator {code!r}")
        return ind

    def to_indicator_targets(self, r: IndicatorTargetRow, where):
        ind = self.indicator(r.indicator, where)
        cid = self.county_id(r.county, where) if r.county else None
        if ind is None or (r.county and cid is None):
            return None
        if ind.value_type and r.text is not None and not self.text_reads(ind, r.text, where, target=True):
            return None
        return {"indicator_id": ind.id, "county_id": cid, "year": r.year, "value": r.value, "text": r.text}

    def to_indicator_values(self, r: IndicatorValueRow, where):
        cid = self.county_id(r.county, where)
        ind = self.indicator(r.indicator, where)
        if cid is None or ind is None:
            return None
        if r.value is None and r.text is None:
            return self.fail(f"{where}, field value", "a value or a text is needed")
        if ind.value_type and r.text is None:
            return self.fail(f"{where}, field text", f"{ind.code} is read as {ind.value_type}: its value is the "
                                                     f"text as written (e.g. {values.EXAMPLES[ind.value_type]})")
        if ind.value_type and not self.text_reads(ind, r.text, where):
            return None
        lo, hi = UNIT_RANGES.get(ind.unit, (None, None))
        if r.value is not None and ((lo is not None and r.value < lo) or (hi is not None and r.value > hi)):
            span = f"[{lo}, {hi}]" if hi is not None else f"≥ {lo}"
            return self.fail(f"{where}, field value", f"{r.value} is outside {span} for a {ind.unit} of {ind.code}")
        if r.entity != "county" and not self.entity_known(cid, ind.entity, r.entity):
            return self.fail(f"{where}, field entity", f"unknown {ind.entity} {r.entity!r} in county {r.county}")
        return {"county_id": cid, "indicator_id": ind.id, "entity": r.entity, "period": r.period,
                "value": r.value, "text": r.text}

    def text_reads(self, ind: Indicator, text: str, where: str, target: bool = False) -> bool:
        """Whether a text reads as its indicator's value type, as the plugins will read it."""
        why = values.problem(text, ind.value_type, target)
        if why is not None:
            self.fail(f"{where}, field text", f"{text!r} is not a {ind.value_type} "
                                              f"{'target' if target else 'value'} of {ind.code} ({why})")
        return why is None

    def entity_known(self, county_id: int, kind: str, code: str) -> bool:
        model = {"unit": Unit, "institution": Institution, "community": Community}.get(kind)
        if model is None:
            return True
        cache = self.__dict__.setdefault(f"_entities_{kind}", {})
        if county_id not in cache:
            cache[county_id] = set(self.ids(model, model.county_id == county_id))
        return code in cache[county_id]

    def to_funds(self, r: FundRow, where):
        cid = self.county_id(r.county, where)
        if cid is None:
            return None
        if r.entity != "county" and not any(self.entity_known(cid, k, r.entity)
                                            for k in ("unit", "institution", "community")):
            return self.fail(f"{where}, field entity", f"unknown entity {r.entity!r} in county {r.county}")
        return {"county_id": cid, "code": r.code, "entity": r.entity, "period": r.period, "amount": r.amount}

    def to_transfers(self, r: TransferRow, where):
        cid = self.county_id(r.county, where)
        return cid and {"county_id": cid, **r.model_dump(exclude={"county"})}

    def to_tasks(self, r: TaskRow, where):
        cid = self.county_id(r.county, where)
        return cid and {"county_id": cid, **r.model_dump(exclude={"county"})}

    def to_teams(self, r: TeamRow, where):
        cid = self.county_id(r.county, where)
        self.__dict__.pop("_teams", None)
        return cid and {"county_id": cid, "code": r.code, "name_zh": r.name_zh or ""}

    def to_team_grids(self, r: TeamGridRow, where):
        cid = self.county_id(r.county, where)
        tid = cid and self.ref("_teams", Team, cid, r.team, where, "team")
        uid = cid and self.ref("_units", Unit, cid, r.grid, where, "grid")
        return tid and uid and {"team_id": tid, "unit_id": uid}

    def to_team_members(self, r: TeamMemberRow, where):
        cid = self.county_id(r.county, where)
        tid = cid and self.ref("_teams", Team, cid, r.team, where, "team")
        self.__dict__.pop("_staff", None)
        return tid and {"team_id": tid, "role": r.role, "staff": r.staff}

    def to_staff_days(self, r: StaffDayRow, where):
        cid = self.county_id(r.county, where)
        if cid is None:
            return None
        staff = self.__dict__.setdefault("_staff", {})
        if cid not in staff:
            staff[cid] = set(self.session.execute(select(TeamMember.staff).join(Team)
                                                  .where(Team.county_id == cid)).scalars())
        if r.staff not in staff[cid]:
            return self.fail(f"{where}, field staff", f"unknown staff {r.staff!r}: a member of no team in county")
        return {"county_id": cid, "staff": r.staff, "month": r.month, "days": r.days}

    def to_households(self, r: HouseholdRow, where):
        cid = self.county_id(r.county, where)
        self.__dict__.pop("_households", None)
        return cid and {"county_id": cid, "code": r.code}

    def household_id(self, r, where) -> Optional[int]:
        cid = self.county_id(r.county, where)
        return cid and self.ref("_households", Household, cid, r.household, where, "household")

    def to_household_compliance(self, r: HouseholdComplianceRow, where):
        hid = self.household_id(r, where)
        return hid and {"household_id": hid, "month": r.month, "compliant": r.compliant}

    def to_household_reimbursements(self, r: HouseholdReimbursementRow, where):
        hid = self.household_id(r, where)
        return hid and {"household_id": hid, "period": r.period, "reimbursable": r.reimbursable,
                        "base_rate": r.base_rate}

    def to_points_openings(self, r: PointsOpeningRow, where):
        hid = self.household_id(r, where)
        return hid and {"household_id": hid, "date": r.date, "points": r.points}

    def to_points_events(self, r: PointsEventRow, where):
        hid = self.household_id(r, where)
        return hid and {"household_id": hid, "date": r.date, "seq": r.seq, "kind": r.kind,
                        "activity": r.activity, "item": r.item, "quantity": r.quantity}

    def to_project_tasks(self, r: ProjectTaskRow, where):
        cid = self.county_id(r.county, where)
        self.__dict__.pop("_project_tasks", None)
        return cid and {"county_id": cid, "code": r.code, "name_zh": r.name_zh or "", "name_en": r.name_en or ""}

    def to_project_plan(self, r: ProjectAmountRow, where):
        cid = self.county_id(r.county, where)
        tid = cid and self.ref("_project_tasks", ProjectTask, cid, r.task, where, "task")
        return tid and {"task_id": tid, "year": r.year, "source": r.source, "amount": r.amount}

    to_project_disbursements = to_project_plan

    def check_parents(self) -> None:
        """Each institution's parent is an institution of its county, stored or in the file."""
        known: dict[int, dict] = {}
        for where, cid, parent in self.parents:
            if cid not in known:
                known[cid] = self.ids(Institution, Institution.county_id == cid)
            if parent not in known[cid]:
                self.fail(f"{where}, field parent", f"unknown institution {parent!r} in county")
        self.parents.clear()

    def to_service_items(self, r: ServiceItemRow, where):
        self.__dict__.pop("_items", None)
        return r.model_dump()

    def to_service_counts(self, r: ServiceCountRow, where):
        cid = self.county_id(r.county, where)
        if cid is None:
            return None
        if "_items" not in self.__dict__:
            self._items = set(self.session.exec(select(ServiceItem.code)).scalars())
        if r.item not in self._items:
            return self.fail(f"{where}, field item", f"unknown service item {r.item!r}")
        if not self.entity_known(cid, "institution", r.institution):
            return self.fail(f"{where}, field institution", f"unknown institution {r.institution!r}")
        return {"county_id": cid, "institution": r.institution, "month": r.month, "item": r.item,
                "count": r.count}

    def to_parameter_overrides(self, r: ParameterOverrideRow, where):
        cid = self.county_id(r.county, where)
        return cid and {"county_id": cid, "policy": r.policy, "component": r.component, "name": r.name,
                        "effective": r.effective, "value": r.value, "reference": r.reference}

    def load_parameter_overrides(self, file: Path) -> None:
        """Each row through the one override path (checked against the component's parameter
        shape, audited), in file order, so a row is checked beside the rows before it."""
        seen: dict[tuple, int] = {}
        for n, r in self.records(BY_NAME["parameter_overrides"], file):
            where = f"{file.name} row {n}"
            key = (r["county_id"], r["policy"], r["component"], r["name"], r["effective"])
            if key in seen:
                self.fail(where, f"repeats the row at {file.name} row {seen[key]}")
                continue
            seen[key] = n
            try:
                overrides.put(self.session, actor=self.actor, **r)
            except InputError as e:
                for p in e.problems:
                    self.fail(f"{where}, field {e.where}", p)
        self.counts["parameter_overrides"] = len(seen)


class Refused(Exception):
    """The file cannot take the bulk path; the full path will say why."""


STAGE = "stage_service_counts_csv"
PG_ENCODINGS = {"utf-8-sig": "UTF8", "gb18030": "GB18030"}
_CODE_CHARS = "'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-'"
# Stored codes that no valid file can name (none are written so): then the full path decides.
BAD_CODES = "SELECT " + " OR ".join(
    f"EXISTS (SELECT 1 FROM {t} WHERE code = '' OR length(code) > 64 OR ltrim(code, {_CODE_CHARS}) <> '')"
    for t in ("county", "institution", "serviceitem"))
# Each staged row that names a known county, institution and item; a malformed month or count
# becomes NULL, which the NOT NULL columns refuse. The checks are on values rather than in WHERE
# so that the planner sees all the rows (hash joins) and no cast can fail.
BULK_COUNTS = f"""INSERT INTO servicecount (county_id, institution, month, item, count)
SELECT c.id, s.institution,
       CASE WHEN length(s.month) = 7 AND ltrim(substr(s.month, 1, 4), '0123456789') = ''
                 AND substr(s.month, 1, 4) <> '0000'
                 AND substr(s.month, 5) IN ('-01', '-02', '-03', '-04', '-05', '-06',
                                            '-07', '-08', '-09', '-10', '-11', '-12') THEN s.month END,
       s.item,
       CASE WHEN ltrim(s.count, '0123456789') = '' AND length(s.count) BETWEEN 1 AND 9
            THEN CAST(s.count AS INTEGER) END
FROM {STAGE} s
JOIN county c ON c.code = s.county
JOIN institution i ON i.county_id = c.id AND i.code = s.institution
JOIN serviceitem t ON t.code = s.item
WHERE true"""  # (SQLite needs a WHERE before ON CONFLICT)
REPEATS = f"SELECT 1 FROM {STAGE} GROUP BY county, institution, month, item HAVING count(*) > 1 LIMIT 1"
REPLACE_COUNTS = " ON CONFLICT (county_id, institution, month, item) DO UPDATE SET count = excluded.count"


def unique_violation(e: IntegrityError) -> bool:
    return getattr(e.orig, "sqlstate", None) == "23505" or \
        getattr(e.orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE"


def stage_csv(conn, file: Path, enc: str) -> int:
    """Copy a CSV's rows after the header as text into STAGE; returns the number of rows.
    PostgreSQL parses the file itself (COPY); SQLite is given the rows of Python's csv reader."""
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur:
            with cur.copy(f"COPY {STAGE} FROM STDIN (FORMAT csv, HEADER true, ENCODING '{PG_ENCODINGS[enc]}')") \
                    as copy, open(file, "rb") as f:
                while block := f.read(1 << 20):
                    if b'"' in block or b"\\" in block:  # COPY reads `A""` as A, Python's csv as A"";
                        raise Refused  # a line `\.` ends COPY's data. No valid row holds either.
                    copy.write(block)
            staged = cur.rowcount
        conn.exec_driver_sql(f"ANALYZE {STAGE}")  # else the planner may guess a few rows: nested loops
        return staged
    with open(file, encoding=enc, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        return raw.executemany(f"INSERT INTO {STAGE} VALUES (?, ?, ?, ?, ?)", rows).rowcount


class Stage:
    """A temporary table holding one table's validated rows with their row numbers: repeated keys
    are found and the rows merged (inserted or replacing) by SQL. Plain columns are bulk-copied
    (COPY on PostgreSQL); others go through SQLAlchemy so their types convert as usual."""

    def __init__(self, session: Session, table: Table):
        self.session, self.table, self.rows, self.t = session, table, 0, None
        self.dialect = session.get_bind().dialect.name

    def create(self, columns: list[str]) -> None:
        target = self.table.model.__table__
        self.columns = columns
        self.t = SqlTable(f"stage_{self.table.name}", MetaData(),
                          *[Column(c, target.c[c].type) for c in columns], Column("_row", Integer),
                          prefixes=["TEMPORARY"])
        self.t.create(self.session.connection())
        self.plain = all(isinstance(target.c[c].type, (Integer, String, AutoString)) for c in columns)

    def add(self, chunk: list[tuple[int, dict]]) -> None:
        if not chunk:
            return
        if self.t is None:
            self.create(list(chunk[0][1]))
        self.rows += len(chunk)
        if not self.plain:
            self.session.execute(self.t.insert(), [{**r, "_row": n} for n, r in chunk])
            return
        dbapi = self.session.connection().connection.driver_connection
        names = ", ".join(f'"{c}"' for c in [*self.columns, "_row"])
        if self.dialect == "postgresql":
            with dbapi.cursor() as cur, cur.copy(f"COPY {self.t.name} ({names}) FROM STDIN") as copy:
                for n, r in chunk:
                    copy.write_row((*r.values(), n))
        else:
            marks = ", ".join("?" * (len(self.columns) + 1))
            dbapi.executemany(f"INSERT INTO {self.t.name} ({names}) VALUES ({marks})",
                              [(*r.values(), n) for n, r in chunk])

    def repeats(self) -> list[tuple[int, int, tuple]]:
        """(row, first row, key) of each row whose key an earlier row of the file holds."""
        if self.t is None:
            return []
        key = [self.t.c[k] for k in self.table.key]
        nullable = any(self.table.model.__table__.c[k].nullable for k in self.table.key)
        updates = any(c not in self.table.key for c in self.columns)  # else the merge skips a repeat
        if not nullable and updates and self.dialect == "postgresql":  # the merge itself refuses a repeated key
            nested = self.session.begin_nested()
            try:
                self.merge()
                nested.commit()
                self.merged = True
                return []
            except DBAPIError as e:
                if getattr(e.orig, "sqlstate", None) != "21000":  # cardinality_violation
                    raise
                nested.rollback()
        elif not nullable:  # a unique index says at once that no key repeats
            nested = self.session.begin_nested()
            try:
                self.session.execute(text_index(self.t, self.table.key))
                nested.commit()
                return []
            except (IntegrityError, ProgrammingError):
                nested.rollback()
        first = func.min(self.t.c._row).over(partition_by=key).label("first")
        ranked = select(self.t.c._row, first, *key).subquery()
        rows = self.session.execute(select(ranked).where(ranked.c._row != ranked.c.first)
                                    .order_by(ranked.c._row).limit(MAX_ERRORS))
        return [(r[0], r[1], tuple(r[2:])) for r in rows]

    def merge(self) -> None:
        if self.t is None or getattr(self, "merged", False):
            return
        cols = self.columns
        ins = (postgresql.insert if self.dialect == "postgresql" else sqlite.insert)(self.table.model)
        ins = ins.from_select(cols, select(*[self.t.c[c] for c in cols]).where(true()))  # keys are unique here
        rest = [c for c in cols if c not in self.table.key]
        stmt = ins.on_conflict_do_update(index_elements=list(self.table.key),
                                         set_={c: ins.excluded[c] for c in rest}) if rest else \
            ins.on_conflict_do_nothing(index_elements=list(self.table.key))
        self.session.execute(stmt)
        self.session.flush()

    def drop(self) -> None:
        if self.t is not None:
            self.t.drop(self.session.connection())


def text_index(t: SqlTable, key: tuple[str, ...]):
    return text(f"CREATE UNIQUE INDEX {t.name}_key ON {t.name} ({', '.join(chr(34) + k + chr(34) for k in key)})")


def load(session: Session, path: str | Path, progress: Callable[[str, int], None] | None = None,
         actor: str = "") -> dict[str, int]:
    """Import a bundle into the session's transaction; raises ImportFailed, having written nothing
    that the caller's rollback would not undo. Returns rows written per table."""
    return Loader(session, progress).load(Path(path), actor)


def import_bundle(engine, path: str | Path, progress: Callable[[str, int], None] | None = None,
                  actor: str = "") -> dict[str, int]:
    """Import a bundle in one transaction of its own: committed whole, or not at all."""
    with Session(engine) as session:
        try:
            counts = load(session, path, progress, actor)
            session.commit()
            return counts
        except BaseException:
            session.rollback()
            raise
