"""The codes a row names (its county, unit, institution, indicator, …) checked against the store,
and the row turned into database values: ids in place of codes."""
from __future__ import annotations

from typing import Callable, Optional

from sqlalchemy import select
from sqlmodel import Session

from .. import values
from ..models import (CHAIN, Community, County, Household, Indicator, Institution, Prefecture, ProjectTask,
                      Province, ServiceItem, Team, TeamMember, Unit)
from .problems import Problems
from .rows import UNIT_RANGES, Row, Table

At = tuple[str, int]  # (file name, row number)
ENTITIES = {"unit": Unit, "institution": Institution, "community": Community}


class Lookups:
    """Stored codes and their ids, each read once. Made afresh for each file, so it sees the
    codes the files before it wrote."""

    def __init__(self, session: Session):
        self.session = session
        self.provinces: Optional[dict[str, tuple[int, str]]] = None  # code → (id, approval levels)
        self.prefectures: Optional[dict[str, tuple[int, int]]] = None  # code → (id, province id)
        self.counties: Optional[dict[str, int]] = None
        self.county_prefectures: Optional[dict[str, Optional[int]]] = None  # county code → prefecture id
        self.indicators: Optional[dict[str, Indicator]] = None
        self.items: Optional[set[str]] = None
        self.in_county: dict[tuple[type, int], dict[str, int]] = {}  # (model, county id) → code → id
        self.staff: dict[int, set[str]] = {}  # county id → codes of its teams' members

    def ids(self, model, *where) -> dict[str, int]:
        """Code → id of stored rows (plain columns: no ORM objects kept in the session)."""
        return dict(self.session.execute(select(model.code, model.id).where(*where)).all())

    def province(self, code: str) -> Optional[tuple[int, str]]:
        """(id, approval levels) of a stored province, or None."""
        if self.provinces is None:
            self.provinces = {c: (i, levels) for c, i, levels in
                              self.session.execute(select(Province.code, Province.id, Province.approval_levels))}
        return self.provinces.get(code)

    def prefecture(self, code: str) -> Optional[tuple[int, int]]:
        """(id, province id) of a stored prefecture, or None."""
        if self.prefectures is None:
            self.prefectures = {c: (i, p) for c, i, p in
                                self.session.execute(select(Prefecture.code, Prefecture.id, Prefecture.province_id))}
        return self.prefectures.get(code)

    def prefecture_of(self, county_code: str) -> Optional[int]:
        """The stored prefecture id of a county (None: none, or no such county)."""
        if self.county_prefectures is None:
            self.county_prefectures = dict(self.session.execute(select(County.code, County.prefecture_id)).all())
        return self.county_prefectures.get(county_code)

    def county(self, code: str) -> Optional[int]:
        if self.counties is None:
            self.counties = self.ids(County)
        return self.counties.get(code)

    def of_county(self, model, county_id: int) -> dict[str, int]:
        key = (model, county_id)
        if key not in self.in_county:
            self.in_county[key] = self.ids(model, model.county_id == county_id)
        return self.in_county[key]

    def indicator(self, code: str) -> Optional[Indicator]:
        if self.indicators is None:
            self.indicators = {i.code: i for i in self.session.exec(select(Indicator)).scalars()}
        return self.indicators.get(code)

    def item(self, code: str) -> bool:
        if self.items is None:
            self.items = set(self.session.exec(select(ServiceItem.code)).scalars())
        return code in self.items

    def staff_of(self, county_id: int) -> set[str]:
        if county_id not in self.staff:
            self.staff[county_id] = set(self.session.execute(
                select(TeamMember.staff).join(Team).where(Team.county_id == county_id)).scalars())
        return self.staff[county_id]


class References:
    """Each table's valid rows as database values, every code they name checked: an unknown
    code is a problem of its field, and the row is left out (None)."""

    def __init__(self, session: Session, problems: Problems):
        self.session, self.problems = session, problems
        self.row_county: Optional[int] = None  # the county of the row converted last (None: of no one county)
        self.levels: list[tuple[str, str, str]] = []  # (province, levels before, after) the import changes
        self.parents: list[tuple[At, int, str]] = []  # (where, county, parent code) to check
        self.known = Lookups(session)

    def next_file(self) -> None:
        self.known = Lookups(self.session)

    def converter(self, table: Table) -> Callable[[Row, At], Optional[dict]]:
        """The function that turns a valid row of the table into database values (or None)."""
        return getattr(self, f"to_{table.name}")

    def fail(self, at: At, field: Optional[str], reason: str) -> None:
        self.problems.add(at[0], at[1], field, reason)

    # ---- codes
    def county_id(self, code: str, at: At) -> Optional[int]:
        cid = self.known.county(code)
        if cid is None:
            self.fail(at, "county", f"unknown county {code!r}")
        else:
            self.row_county = cid
        return cid

    def ref(self, model, county_id: int, code: str, at: At, field: str) -> Optional[int]:
        rid = self.known.of_county(model, county_id).get(code)
        if rid is None:
            self.fail(at, field, f"unknown {field} {code!r} in county")
        return rid

    def entity_known(self, county_id: int, kind: str, code: str) -> bool:
        model = ENTITIES.get(kind)
        return model is None or code in self.known.of_county(model, county_id)

    def indicator(self, code: str, at: At) -> Optional[Indicator]:
        ind = self.known.indicator(code)
        if ind is None:
            self.fail(at, "indicator", f"unknown indicator {code!r}")
        return ind

    def household_id(self, r, at: At) -> Optional[int]:
        cid = self.county_id(r.county, at)
        return cid and self.ref(Household, cid, r.household, at, "household")

    def text_reads(self, ind: Indicator, text: str, at: At, target: bool = False) -> bool:
        """Whether a text reads as its indicator's value type, as the plugins will read it."""
        why = values.problem(text, ind.value_type, target)
        if why is not None:
            self.fail(at, "text", f"{text!r} is not a {ind.value_type} "
                                  f"{'target' if target else 'value'} of {ind.code} ({why})")
        return why is None

    def check_parents(self) -> None:
        """Each institution's parent is an institution of its county, stored or in the file."""
        known: dict[int, dict] = {}
        for at, cid, parent in self.parents:
            if cid not in known:
                known[cid] = self.known.ids(Institution, Institution.county_id == cid)
            if parent not in known[cid]:
                self.fail(at, "parent", f"unknown institution {parent!r} in county")
        self.parents.clear()

    # ---- per table: a valid row → database values
    def to_provinces(self, r, at):
        """A blank or absent approval_levels keeps the stored chain (a new province: the whole chain)."""
        stored = self.known.province(r.code)
        before = stored[1] if stored else None
        levels = r.approval_levels or before or CHAIN
        if before is not None and levels != before:
            self.levels.append((r.code, before, levels))
        return {"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "approval_levels": levels}

    def to_prefectures(self, r, at):
        province = self.known.province(r.province)
        if province is None:
            return self.fail(at, "province", f"unknown province {r.province!r}")
        return {"code": r.code, "province_id": province[0], "name_zh": r.name_zh, "name_en": r.name_en}

    def to_counties(self, r, at):
        """A county's prefecture is the one its row names (blank: none); a file without the
        column leaves it as stored. The prefecture must be of the county's province."""
        province = self.known.province(r.province)
        if province is None:
            return self.fail(at, "province", f"unknown province {r.province!r}")
        prefecture = self.known.prefecture_of(r.code)
        if "prefecture" in r.model_fields_set:
            found = r.prefecture and self.known.prefecture(r.prefecture)
            if r.prefecture and found is None:
                return self.fail(at, "prefecture", f"unknown prefecture {r.prefecture!r}")
            if found and found[1] != province[0]:
                return self.fail(at, "prefecture", f"prefecture {r.prefecture!r} is not in province {r.province!r}")
            prefecture = found[0] if found else None
        return {"code": r.code, "province_id": province[0], "prefecture_id": prefecture, "name_zh": r.name_zh,
                "name_en": r.name_en, "population": r.population}

    def to_communities(self, r, at):
        cid = self.county_id(r.county, at)
        return cid and {"county_id": cid, "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en,
                        "lead": r.lead}

    def placed(self, r, at) -> Optional[dict]:
        """The county id and community id (None: no community) of a row that names its county
        and may name a community of it; None when either is unknown."""
        cid = self.county_id(r.county, at)
        community = cid and r.community and self.ref(Community, cid, r.community, at, "community")
        if cid is None or (r.community and community is None):
            return None
        return {"county_id": cid, "community_id": community}

    def to_institutions(self, r, at):
        place = self.placed(r, at)
        if place and r.parent is not None:
            self.parents.append((at, place["county_id"], r.parent))
        return place and {**place, "code": r.code, "kind": r.kind, "tier": r.tier, "name_zh": r.name_zh,
                          "name_en": r.name_en, "parent": r.parent}

    def to_units(self, r, at):
        place = self.placed(r, at)
        return place and {**place, "code": r.code, "name_zh": r.name_zh, "name_en": r.name_en}

    def to_unit_members(self, r, at):
        cid = self.county_id(r.county, at)
        uid = cid and self.ref(Unit, cid, r.unit, at, "unit")
        iid = cid and self.ref(Institution, cid, r.institution, at, "institution")
        return uid and iid and {"unit_id": uid, "role": r.role, "institution_id": iid}

    def to_unit_populations(self, r, at):
        cid = self.county_id(r.county, at)
        uid = cid and self.ref(Unit, cid, r.unit, at, "unit")
        return uid and {"unit_id": uid, "group": r.group, "count": r.count}

    def to_indicators(self, r, at):
        return {"code": r.code, "name_zh": r.name_zh, "name_en": r.name_en, "unit": r.unit,
                "entity": r.entity, "period_kind": r.period_kind, "direction": r.direction,
                "benchmark": r.benchmark, "per_capita": r.per_capita, "reference": r.reference,
                "value_type": r.value_type}

    def to_indicator_targets(self, r, at):
        ind = self.indicator(r.indicator, at)
        cid = self.county_id(r.county, at) if r.county else None
        if ind is None or (r.county and cid is None):
            return None
        if ind.value_type and r.text is not None and not self.text_reads(ind, r.text, at, target=True):
            return None
        return {"indicator_id": ind.id, "county_id": cid, "year": r.year, "value": r.value, "text": r.text}

    def to_indicator_values(self, r, at):
        cid = self.county_id(r.county, at)
        ind = self.indicator(r.indicator, at)
        if cid is None or ind is None:
            return None
        if r.value is None and r.text is None:
            return self.fail(at, "value", "a value or a text is needed")
        if ind.value_type and r.text is None:
            return self.fail(at, "text", f"{ind.code} is read as {ind.value_type}: its value is the "
                                         f"text as written (e.g. {values.EXAMPLES[ind.value_type]})")
        if ind.value_type and not self.text_reads(ind, r.text, at):
            return None
        lo, hi = UNIT_RANGES.get(ind.unit, (None, None))
        if r.value is not None and ((lo is not None and r.value < lo) or (hi is not None and r.value > hi)):
            span = f"[{lo}, {hi}]" if hi is not None else f"≥ {lo}"
            return self.fail(at, "value", f"{r.value} is outside {span} for a {ind.unit} of {ind.code}")
        if r.entity != "county" and not self.entity_known(cid, ind.entity, r.entity):
            return self.fail(at, "entity", f"unknown {ind.entity} {r.entity!r} in county {r.county}")
        return {"county_id": cid, "indicator_id": ind.id, "entity": r.entity, "period": r.period,
                "value": r.value, "text": r.text}

    def to_funds(self, r, at):
        cid = self.county_id(r.county, at)
        if cid is None:
            return None
        if r.entity != "county" and not any(self.entity_known(cid, k, r.entity) for k in ENTITIES):
            return self.fail(at, "entity", f"unknown entity {r.entity!r} in county {r.county}")
        return {"county_id": cid, "code": r.code, "entity": r.entity, "period": r.period, "amount": r.amount}

    def to_transfers(self, r, at):
        cid = self.county_id(r.county, at)
        return cid and {"county_id": cid, **r.model_dump(exclude={"county"})}

    def to_tasks(self, r, at):
        cid = self.county_id(r.county, at)
        return cid and {"county_id": cid, **r.model_dump(exclude={"county"})}

    def to_teams(self, r, at):
        cid = self.county_id(r.county, at)
        return cid and {"county_id": cid, "code": r.code, "name_zh": r.name_zh or ""}

    def to_team_grids(self, r, at):
        cid = self.county_id(r.county, at)
        tid = cid and self.ref(Team, cid, r.team, at, "team")
        uid = cid and self.ref(Unit, cid, r.grid, at, "grid")
        return tid and uid and {"team_id": tid, "unit_id": uid}

    def to_team_members(self, r, at):
        cid = self.county_id(r.county, at)
        tid = cid and self.ref(Team, cid, r.team, at, "team")
        return tid and {"team_id": tid, "role": r.role, "staff": r.staff}

    def to_staff_days(self, r, at):
        cid = self.county_id(r.county, at)
        if cid is None:
            return None
        if r.staff not in self.known.staff_of(cid):
            return self.fail(at, "staff", f"unknown staff {r.staff!r}: a member of no team in county")
        return {"county_id": cid, "staff": r.staff, "month": r.month, "days": r.days}

    def to_households(self, r, at):
        cid = self.county_id(r.county, at)
        return cid and {"county_id": cid, "code": r.code}

    def to_household_compliance(self, r, at):
        hid = self.household_id(r, at)
        return hid and {"household_id": hid, "month": r.month, "compliant": r.compliant}

    def to_household_reimbursements(self, r, at):
        hid = self.household_id(r, at)
        return hid and {"household_id": hid, "period": r.period, "reimbursable": r.reimbursable,
                        "base_rate": r.base_rate}

    def to_points_openings(self, r, at):
        hid = self.household_id(r, at)
        return hid and {"household_id": hid, "date": r.date, "points": r.points}

    def to_points_events(self, r, at):
        hid = self.household_id(r, at)
        return hid and {"household_id": hid, "date": r.date, "seq": r.seq, "kind": r.kind,
                        "activity": r.activity, "item": r.item, "quantity": r.quantity}

    def to_project_tasks(self, r, at):
        cid = self.county_id(r.county, at)
        return cid and {"county_id": cid, "code": r.code, "name_zh": r.name_zh or "", "name_en": r.name_en or ""}

    def to_project_plan(self, r, at):
        cid = self.county_id(r.county, at)
        tid = cid and self.ref(ProjectTask, cid, r.task, at, "task")
        return tid and {"task_id": tid, "year": r.year, "source": r.source, "amount": r.amount}

    to_project_disbursements = to_project_plan

    def to_service_items(self, r, at):
        return r.model_dump()

    def to_service_counts(self, r, at):
        cid = self.county_id(r.county, at)
        if cid is None:
            return None
        if not self.known.item(r.item):
            return self.fail(at, "item", f"unknown service item {r.item!r}")
        if not self.entity_known(cid, "institution", r.institution):
            return self.fail(at, "institution", f"unknown institution {r.institution!r}")
        return {"county_id": cid, "institution": r.institution, "month": r.month, "item": r.item,
                "count": r.count}

    def to_parameter_overrides(self, r, at):
        cid = self.county_id(r.county, at)
        return cid and {"county_id": cid, "policy": r.policy, "component": r.component, "name": r.name,
                        "effective": r.effective, "value": r.value, "reference": r.reference}
