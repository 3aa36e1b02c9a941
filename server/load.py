"""Import of a county bundle: one CSV or JSON file per table, all or nothing.

Every row is validated (shape, ranges, references to codes stored or loaded earlier in the same
bundle); any error aborts the whole import and nothing is written. Errors name the file, the
row, the field and the reason. Rows whose key exists already replace it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Optional

from pydantic import Field, ValidationError, field_validator
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from .audit import record
from .canonical import jsonable
from .errors import InputError, problems
from .models import (INSTITUTION_KINDS, Community, County, Fund, Indicator, IndicatorTarget,
                     IndicatorValue, Institution, ParameterOverride, Province, ServiceCount,
                     ServiceItem, Unit, UnitMember, UnitPopulation)
from .period import Month, Period
from .policy import ROLES, TIERS, Model

def _period(v: str) -> str:
    return str(Period.parse(v))


Code = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
MAX_ERRORS = 50


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
               "count": (Decimal(0), None), "event": (Decimal(0), None), "yuan": (Decimal(0), None)}


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
    Table("service_items", ServiceItemRow, ServiceItem, ("code",)),
    Table("service_counts", ServiceCountRow, ServiceCount, ("county_id", "institution", "month", "item")),
    Table("parameter_overrides", ParameterOverrideRow, ParameterOverride,
          ("county_id", "policy", "component", "name", "effective")),
)
BY_NAME = {t.name: t for t in TABLES}


class ImportFailed(InputError):
    """The import was refused; nothing was written."""


def read_text(path: Path) -> str:
    """A table file's text: UTF-8 (with or without BOM), else GBK/GB18030 as Excel saves it in
    China; anything else is refused with the byte where it fails."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as utf8:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportFailed(str(path), [f"not UTF-8 or GBK text (byte {utf8.start} cannot be read)"]) from None


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """(row number, raw fields) of a CSV (header = row 1) or JSON list (item 1 = row 1)."""
    text = read_text(path)
    if path.suffix == ".json":
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as e:
            raise ImportFailed(str(path), [f"line {e.lineno} column {e.colno}: not JSON: {e.msg}"]) from None
        if not isinstance(data, list):
            raise ImportFailed(str(path), ["expected a JSON list of objects, one per row"])
        for i, item in enumerate(data, start=1):
            yield i, item if isinstance(item, dict) else {"?": item}
        return
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if None in row:
                yield reader.line_num, {"__extra__": row.pop(None)}
                continue
            yield reader.line_num, {k.strip(): (v.strip() if v is not None and v.strip() != "" else None)
                                    for k, v in row.items() if k is not None}
    except csv.Error as e:
        raise ImportFailed(str(path), [f"row {reader.line_num}: not CSV: {e}"]) from None


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

    def fail(self, where: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(f"{where}: {message}")

    # ---- lookups of codes already stored (or written earlier in this import)
    def ids(self, model, *where, key=lambda r: r.code) -> dict:
        return {key(r): r.id for r in self.session.exec(select(model).where(*where)).scalars()}

    def load(self, path: Path, actor: str = "") -> dict[str, int]:
        files = bundle_files(path)
        for table, file in files:
            self.load_table(table, file)
        if self.errors:
            raise ImportFailed(str(path), self.errors)
        digest = hashlib.sha256()
        for _, file in files:
            digest.update(file.name.encode() + b"\0" + file.read_bytes())
        for county_id in sorted(self.touched) or [None]:
            record(self.session, "import", actor, county_id, Path(path).name,
                   {"tables": self.counts}, after=digest.hexdigest())
        return self.counts

    def load_table(self, table: Table, file: Path) -> None:
        rows, seen = [], {}
        for n, raw in read_rows(file):
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
            rows.append((where, row))
        values = []
        for where, row in rows:
            record = getattr(self, f"to_{table.name}")(row, where)
            if record is None:
                continue
            key = tuple(record[k] for k in table.key)
            if key in seen:
                self.fail(where, f"repeats the row at {seen[key]} ({', '.join(map(str, key))})")
                continue
            seen[key] = where
            values.append(record)
        if self.errors:
            return
        self.upsert(table, values)
        self.counts[table.name] = len(values)
        self.progress(table.name, len(values))

    def upsert(self, table: Table, values: list[dict], chunk: int = 5000) -> None:
        if not values:
            return
        dialect = self.session.get_bind().dialect.name
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table.model)
        cols = [c for c in values[0] if c not in table.key]
        stmt = ins.on_conflict_do_update(index_elements=list(table.key),
                                         set_={c: ins.excluded[c] for c in cols}) if cols else \
            ins.on_conflict_do_nothing(index_elements=list(table.key))
        for i in range(0, len(values), chunk):
            self.session.execute(stmt, values[i:i + chunk])
        self.session.flush()

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
        return {"county_id": cid, "code": r.code, "community_id": community, "kind": r.kind, "tier": r.tier,
                "name_zh": r.name_zh, "name_en": r.name_en}

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
                "benchmark": r.benchmark, "per_capita": r.per_capita, "reference": r.reference}

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
        return {"indicator_id": ind.id, "county_id": cid, "year": r.year, "value": r.value, "text": r.text}

    def to_indicator_values(self, r: IndicatorValueRow, where):
        cid = self.county_id(r.county, where)
        ind = self.indicator(r.indicator, where)
        if cid is None or ind is None:
            return None
        if r.value is None and r.text is None:
            return self.fail(f"{where}, field value", "a value or a text is needed")
        lo, hi = UNIT_RANGES.get(ind.unit, (None, None))
        if r.value is not None and ((lo is not None and r.value < lo) or (hi is not None and r.value > hi)):
            span = f"[{lo}, {hi}]" if hi is not None else f"≥ {lo}"
            return self.fail(f"{where}, field value", f"{r.value} is outside {span} for a {ind.unit} of {ind.code}")
        if r.entity != "county" and not self.entity_known(cid, ind.entity, r.entity):
            return self.fail(f"{where}, field entity", f"unknown {ind.entity} {r.entity!r} in county {r.county}")
        return {"county_id": cid, "indicator_id": ind.id, "entity": r.entity, "period": r.period,
                "value": r.value, "text": r.text}

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
                        "effective": r.effective, "value": jsonable(r.value), "reference": r.reference}


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
