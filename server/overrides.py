"""A county's parameter overrides: the one path that checks and writes them, used by the bundle
import, the GraphQL mutation and the command line alike."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from .audit import record
from .canonical import jsonable
from .errors import InputError
from .host import registry
from .models import ParameterOverride
from .params import resolve
from .period import Period


def check(session: Session, county_id: int, policy: str, component: str, name: str, effective: date,
          value: Any) -> None:
    """Refuse, naming the field, an override of an unknown policy, component or parameter, or a
    value the component's parameter shape refuses beside the county's other overrides in force."""
    try:
        pol = registry().policy(policy)
    except KeyError as e:
        raise InputError("policy", [str(e.args[0])]) from None
    try:
        comp = pol.component(component)
    except KeyError as e:
        raise InputError("component", [str(e.args[0])]) from None
    if name not in comp.parameters.model_fields:
        raise InputError("name", [f"{policy}.{component} has no parameter {name!r} "
                                  f"(it has: {', '.join(comp.parameters.model_fields)})"])
    period = Period(effective.year, "month", effective.month)
    resolve(pol, comp, period, {**in_force(session, county_id, policy, component, effective), name: value},
            where="value")


def in_force(session: Session, county_id: int, policy: str, component: str, on: date) -> dict[str, Any]:
    """The county's override of each parameter in force on a date (a settlement: its period's start)."""
    rows = session.execute(select(ParameterOverride.name, ParameterOverride.value).where(
        ParameterOverride.county_id == county_id, ParameterOverride.policy == policy,
        ParameterOverride.component == component, ParameterOverride.effective <= on)
        .order_by(ParameterOverride.effective))
    return dict(rows.all())


def put(session: Session, county_id: int, policy: str, component: str, name: str, effective: date,
        value: Any, reference: str = "", actor: str = "") -> ParameterOverride:
    """Check, then insert or replace the override of (county, policy, component, name, effective),
    and record it in the audit trail, in the caller's transaction."""
    check(session, county_id, policy, component, name, effective, value)
    O = ParameterOverride
    row = session.exec(select(O).where(O.county_id == county_id, O.policy == policy, O.component == component,
                                       O.name == name, O.effective == effective)).scalars().first()
    before = row.value if row else None
    row = row or O(county_id=county_id, policy=policy, component=component, name=name, effective=effective,
                   value=None)
    row.value, row.reference, row.created_by = jsonable(value), reference, actor
    session.add(row)
    session.flush()
    record(session, "parameter_override", actor, county_id, f"{policy}.{component}.{name} from {effective}",
           {"value": row.value, "reference": reference}, before=before, after=row.value)
    return row
