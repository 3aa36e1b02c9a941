"""The demo's runs taken up the approval chain as far as each plugin's `DemoData.chain` says
(hookspecs.ChainStep), by the functions the API and the command line use: every step is checked
against the run's chain and audited like any, and a correction is an import and a new
settlement like any county's. Each level acts as "demo <level> <its code>"."""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from .. import approval
from ..hookspecs import ChainStep
from ..load import import_bundle
from ..models import County, Prefecture, Province
from ..settle import settle
from .bundle import Bundle


def actors(session: Session, county: str) -> tuple[int, dict[str, str]]:
    """The county's id, and who acts for each level of its chain."""
    cid, prefecture, province = session.execute(
        select(County.id, Prefecture.code, Province.code).join(Province, Province.id == County.province_id)
        .outerjoin(Prefecture, Prefecture.id == County.prefecture_id).where(County.code == county)).one()
    return cid, {"county": f"demo county {county}", "prefecture": f"demo prefecture {prefecture}",
                 "province": f"demo province {province}"}


def walk(engine: Engine, county: str, policy: str, component: str, period: str, steps: Sequence[ChainStep]) -> str:
    """Take the current run of the key through the steps, each in a transaction of its own;
    returns where it then stands. A step the chain does not allow raises approval.Conflict."""
    for step in steps:
        if step.action == "correct":
            correct(engine, county, policy, component, period, step)
            continue
        with Session(engine) as session:
            cid, who = actors(session, county)
            if step.level not in who:
                raise approval.Conflict(f"no level {step.level!r}: the levels are {', '.join(approval.LEVELS)}")
            run = approval.current_run(session, cid, policy, component, period)
            if step.action == "approve":
                approval.approve(session, run, step.level, who[step.level], step.reason)
            elif step.action == "send_back":
                approval.send_back(session, run, step.level, who[step.level], step.reason)
            elif step.action == "reopen":
                approval.reopen(session, cid, policy, component, period, step.level, who[step.level], step.reason)
            else:
                raise approval.Conflict(f"no chain step {step.action!r}: approve, send_back, reopen or correct")
            session.commit()
    with Session(engine) as session:
        cid, _ = actors(session, county)
        run = approval.current_run(session, cid, policy, component, period)
        chain = approval.chain_of(session, run)
    return f"run {run.id}: {chain.status.replace('_', ' ')}" + (f", awaits the {chain.stage}" if chain.stage else "")


def correct(engine: Engine, county: str, policy: str, component: str, period: str, step: ChainStep) -> None:
    """The county loads its corrected rows and settles again: a new version, current from then on."""
    actor = f"demo county {county}"
    if step.rows is not None:
        bundle = Bundle()
        bundle.add(step.rows, policy)
        with tempfile.TemporaryDirectory(prefix="countypay-demo-correction-") as tmp:
            bundle.write(Path(tmp))
            import_bundle(engine, Path(tmp), actor=actor)
    with Session(engine) as session:
        settle(session, county, policy, component, period, user=actor)
        session.commit()
