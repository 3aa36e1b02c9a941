"""The approval chain: a settlement run goes up from the county, which approves it (from then on
the database refuses any change to the run), through the prefecture, which approves it, to the
province, which accepts it and so closes the period. A level above the county may send a run
back with a reason; the county then corrects its facts or parameters and settles a new version,
which goes up again (or, when the run still matches what is in force, approves it again).

Every state change is a new ApprovalStep and an audit event; nothing edits a run.

The levels are configuration, per province (`Province.approval_levels`): an ordered part of
county → prefecture → province that starts with the county, e.g. "county,province" for a
province that skips the prefecture. A county without a prefecture (省直管县) skips it too.

Which run is current: the newest CurrentRun row of a county, policy, component and period names
it. Storing a new run makes it current; settling again with inputs and parameters equal to an
older run's makes that run current again (settle.store). Only the current run is approved or
accepted; a run the county approves must also carry the parameters in force.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from sqlalchemy import case, func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session

from .audit import record
from .host import registry
from .models import ApprovalStep, County, CurrentRun, Province, SettlementRun, now
from .overrides import in_force
from .params import resolve
from .period import Period

LEVELS = ("county", "prefecture", "province")
"""The hierarchy, lowest first: a configured chain is an ordered part of it."""
LEVEL_ZH = {"county": "县", "prefecture": "市州", "province": "省"}
STATUSES = ("draft", "approved", "accepted", "sent_back", "reopened")
STATUS_ZH = {"draft": "草稿", "approved": "已审批", "accepted": "已验收", "sent_back": "已退回", "reopened": "已重新开放"}
"""A run's status in the words of the exports, the console and the schema's descriptions."""
ACTION_ZH = {"approve": "审批通过", "accept": "验收", "send_back": "退回", "reopen": "重新开放"}
AFTER = {"approve": "approved", "accept": "accepted", "send_back": "sent_back", "reopen": "reopened"}
AUDIT = {"approve": "settlement_approve", "accept": "settlement_accept", "send_back": "settlement_send_back",
         "reopen": "period_reopen"}


class Conflict(ValueError):
    """The change would contradict what is stored (e.g. approving a superseded run)."""


class Raced(Conflict):
    """Someone else acted on the run meanwhile; the transaction is spoilt and must be rolled back."""


def parse_levels(text: str) -> tuple[str, ...]:
    """A chain as configured ("county,prefecture,province"), checked: it starts with the county,
    names each level once, and keeps the hierarchy's order."""
    levels = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        raise ValueError(f"unknown level {unknown[0]!r}: the levels are {', '.join(LEVELS)}")
    if not levels or levels[0] != "county":
        raise ValueError("the chain starts with the county")
    if list(levels) != sorted(set(levels), key=LEVELS.index):
        raise ValueError(f"name each level once, in the order {' → '.join(LEVELS)}")
    return levels


def chain_levels(configured: str, has_prefecture: bool) -> tuple[str, ...]:
    """The levels a county's runs go up: its province's chain, without the prefecture when the
    county has none."""
    return tuple(level for level in parse_levels(configured) if level != "prefecture" or has_prefecture)


def levels_of(session: Session, county_ids: Iterable[int]) -> dict[int, tuple[str, ...]]:
    rows = session.execute(select(County.id, County.prefecture_id, Province.approval_levels)
                           .join(Province, Province.id == County.province_id).where(County.id.in_(list(county_ids))))
    return {cid: chain_levels(levels, prefecture is not None) for cid, prefecture, levels in rows}


def set_levels(session: Session, province_code: str, text: str, actor: str = "") -> Province:
    """Configure a province's chain (audited). It applies to every run from then on, those on
    their way up included: a run's stage is read from its steps and the chain in force."""
    province = session.exec(select(Province).where(Province.code == province_code)).scalars().first()
    if province is None:
        raise Conflict(f"no province {province_code!r} in the store")
    levels = ",".join(parse_levels(text))
    before, province.approval_levels = province.approval_levels, levels
    session.add(province)
    record(session, "approval_levels", actor, None, f"province {province.code}",
           {"province": province.code, "levels": levels, "before": before})
    return province


# ---- the current run of a key

def key_of(run: SettlementRun) -> tuple:
    return run.county_id, run.policy, run.component, run.period


def _key(R):
    return R.county_id, R.policy, R.component, R.period


def current_ids(where=None):
    """A select of the ids of current runs (of the keys of the runs `where` picks, else all)."""
    R = aliased(SettlementRun)
    newest = select(func.max(CurrentRun.id)).join(R, R.id == CurrentRun.run_id)
    if where is not None:
        K = aliased(SettlementRun)
        newest = newest.where(tuple_(*_key(R)).in_(select(*_key(K)).where(where(K))))
    return select(CurrentRun.run_id).where(CurrentRun.id.in_(newest.group_by(*_key(R))))


def current_run(session: Session, county_id: int, policy: str, component: str, period: str) -> Optional[SettlementRun]:
    return session.exec(select(SettlementRun).join(CurrentRun, CurrentRun.run_id == SettlementRun.id).where(
        SettlementRun.county_id == county_id, SettlementRun.policy == policy, SettlementRun.component == component,
        SettlementRun.period == period).order_by(CurrentRun.id.desc()).limit(1)).scalars().first()


def current_among(session: Session, run_ids: Iterable[int]) -> set[int]:
    """Which of these runs are the current runs of their keys."""
    ids = list(run_ids)
    return set(session.execute(current_ids(lambda K: K.id.in_(ids or [-1]))).scalars()) & set(ids)


def make_current(session: Session, run: SettlementRun, actor: str = "") -> None:
    session.add(CurrentRun(run_id=run.id, actor=actor))


# ---- a run's chain

@dataclass(frozen=True)
class Chain:
    """A run's steps read against its county's levels: where it stands and who may do what."""

    levels: tuple[str, ...]
    steps: tuple[ApprovalStep, ...]
    current: bool

    @property
    def status(self) -> str:
        """draft, approved (on its way up), accepted (the period is closed), sent_back or reopened."""
        return AFTER[self.steps[-1].action] if self.steps else "draft"

    @property
    def stage(self) -> Optional[str]:
        """The level whose action the run awaits; None once accepted."""
        if not self.steps or self.steps[-1].action in ("send_back", "reopen"):
            return self.levels[0]
        last = self.steps[-1]
        if last.action == "accept":
            return None
        above = [level for level in self.levels if LEVELS.index(level) > LEVELS.index(last.level)]
        return above[0] if above else None

    def actions(self, level: Optional[str]) -> list[str]:
        """What the level may do now: approve (accept, at the last level), send back, reopen."""
        if level not in self.levels:
            return []
        first, last, stage, out = self.levels[0], self.levels[-1], self.stage, []
        if self.current and stage == level:
            out.append("accept" if level == last else "approve")
        if level != first and self.status == "approved" and stage and LEVELS.index(level) >= LEVELS.index(stage):
            out.append("send_back")
        if level == last and self.current and self.status == "accepted":
            out.append("reopen")
        return out


def chains(session: Session, runs: list[SettlementRun]) -> dict[int, Chain]:
    """Each run's chain, in three queries whatever the number of runs."""
    ids = [r.id for r in runs]
    steps: dict[int, list[ApprovalStep]] = {i: [] for i in ids}
    for step in session.exec(select(ApprovalStep).where(ApprovalStep.run_id.in_(ids or [-1]))
                             .order_by(ApprovalStep.run_id, ApprovalStep.seq)).scalars():
        steps[step.run_id].append(step)
    levels = levels_of(session, {r.county_id for r in runs})
    current = current_among(session, ids)
    return {r.id: Chain(levels[r.county_id], tuple(steps[r.id]), r.id in current) for r in runs}


def chain_of(session: Session, run: SettlementRun) -> Chain:
    return chains(session, [run])[run.id]


def status_of():
    """The chain's status of a run as an SQL expression, for filters: the last step's, else draft."""
    last = (select(ApprovalStep.action).where(ApprovalStep.run_id == SettlementRun.id)
            .order_by(ApprovalStep.seq.desc()).limit(1).scalar_subquery())
    return case(AFTER, value=last, else_="draft")


def label(session: Session, run: SettlementRun) -> str:
    county = session.get(County, run.county_id)
    return f"{county.code if county else run.county_id} {run.policy}.{run.component} {run.period}"


def refusal(session: Session, run: SettlementRun, chain: Chain, level: str, action: str) -> str:
    """Why `level` may not `action` the run now, in words."""
    what = label(session, run)
    if level not in chain.levels:
        return f"the {level} is not a level of {what}'s chain ({' → '.join(chain.levels)})"
    if action in ("approve", "accept", "reopen") and not chain.current:
        current = current_run(session, *key_of(run))
        return (f"run {run.id} is not the current run of {what} (run {current.id if current else '?'} is): "
                f"settle again with the facts and parameters in force to make it current")
    if action == "send_back":
        if level == chain.levels[0]:
            return "the county does not send back its own run: it settles a new version"
        if chain.status != "approved":
            return f"run {run.id} is {chain.status.replace('_', ' ')}, not on its way up the chain"
        return f"run {run.id} has passed the {level} already; it awaits the {chain.stage}"
    if action == "reopen":
        if level != chain.levels[-1]:
            return f"only the {chain.levels[-1]} reopens a period"
        return f"run {run.id} is {chain.status.replace('_', ' ')}: only an accepted period is reopened"
    if chain.status == "accepted":
        return f"run {run.id} is accepted: the period of {what} is closed"
    return f"run {run.id} awaits the {chain.stage}'s approval, not the {level}'s"


def parameters_in_force(session: Session, run: SettlementRun) -> Optional[str]:
    """Why the run's parameters are not those in force for its county and period, or None."""
    try:
        policy = registry().policy(run.policy)
        component = policy.component(run.component)
    except KeyError as e:
        return str(e.args[0])
    period = Period.parse(run.period)
    resolved = resolve(policy, component, period, in_force(session, run.county_id, run.policy, run.component,
                                                           period.start))
    if resolved.version == run.parameter_version:
        return None
    differ = sorted(n for n in {*resolved.values, *(run.parameters or {})}
                    if resolved.values.get(n) != (run.parameters or {}).get(n))
    return (f"run {run.id} was settled with parameters that are not in force ({', '.join(differ)}): set them "
            f"as the county's parameters, or settle again with those in force")


def act(session: Session, run: SettlementRun, level: str, action: str, actor: str, reason: str = "") -> ApprovalStep:
    """One step of the chain, checked against the run's state, written with its audit event in
    the caller's transaction. Two people acting on the same run at once: one wins, the other
    gets a Conflict."""
    reason = (reason or "").strip()
    if action in ("send_back", "reopen") and not reason:
        raise Conflict(f"a {action.replace('_', ' ')} needs a reason")
    chain = chain_of(session, run)
    if action not in chain.actions(level):
        raise Conflict(refusal(session, run, chain, level, action))
    if level == chain.levels[0] and action in ("approve", "accept"):
        why = parameters_in_force(session, run)
        if why:
            raise Conflict(why)
        if run.status == "draft":  # the lock: the one change a run ever takes
            run.status, run.approved_by, run.approved_at = "approved", actor, now()
            session.add(run)
    step = ApprovalStep(run_id=run.id, seq=len(chain.steps) + 1, level=level, action=action, actor=actor,
                        reason=reason)
    session.add(step)
    try:
        session.flush()
    except IntegrityError:  # the same seq written, or the run locked, by another transaction
        raise Raced(f"run {run.id} was acted on meanwhile: look at it again") from None
    record(session, AUDIT[action], actor, run.county_id, f"run {run.id}",
           {"policy": run.policy, "component": run.component, "period": run.period, "level": level,
            "step": step.seq, "reason": reason or None}, after=run.input_hash)
    return step


def approve(session: Session, run: SettlementRun, level: str, actor: str, reason: str = "") -> SettlementRun:
    """The level approves the run (accepts it, at the last level). Asking again before anything
    else happens to the run changes nothing."""
    chain = chain_of(session, run)
    if chain.steps and chain.steps[-1].level == level and chain.steps[-1].action in ("approve", "accept"):
        return run
    last = chain.levels[-1] == level
    act(session, run, level, "accept" if last else "approve", actor, reason)
    return run


def send_back(session: Session, run: SettlementRun, level: str, actor: str, reason: str) -> SettlementRun:
    act(session, run, level, "send_back", actor, reason)
    return run


def reopen(session: Session, county_id: int, policy: str, component: str, period: str, level: str, actor: str,
           reason: str) -> SettlementRun:
    """Reopen an accepted period: the county may then settle a new version, or approve the
    accepted run again."""
    run = current_run(session, county_id, policy, component, period)
    if run is None:
        raise Conflict(f"nothing is settled for {policy}.{component} {period}")
    act(session, run, level, "reopen", actor, reason)
    return run


def closed_by(session: Session, run: Optional[SettlementRun]) -> Optional[ApprovalStep]:
    """The acceptance that closed the period of `run` (the current run of its key), if it did."""
    if run is None:
        return None
    chain = chain_of(session, run)
    return chain.steps[-1] if chain.status == "accepted" else None


def pending(session: Session, level: str, county_ids: Optional[set[int]], period: Optional[str] = None,
            policy: Optional[str] = None, component: Optional[str] = None) -> list[SettlementRun]:
    """The current runs (of the counties given, None: all) that await the level's action."""
    R = SettlementRun
    stmt = select(R).where(R.id.in_(current_ids()))
    if county_ids is not None:
        stmt = stmt.where(R.county_id.in_(county_ids or {-1}))
    for column, value in ((R.period, period), (R.policy, policy), (R.component, component)):
        if value:
            stmt = stmt.where(column == value)
    runs = list(session.exec(stmt.order_by(R.county_id, R.policy, R.component, R.id)).scalars())
    states = chains(session, runs)
    return [r for r in runs if states[r.id].stage == level]


def approve_pending(session: Session, level: str, county_ids: Optional[set[int]], period: str, actor: str,
                    reason: str = "", policy: Optional[str] = None,
                    component: Optional[str] = None) -> list[SettlementRun]:
    """Approve (accept, at the last level) every current run of the period that awaits the level:
    all of them, or none when one cannot be (the reasons named)."""
    runs = pending(session, level, county_ids, period, policy, component)
    problems = []
    for run in runs:
        try:
            approve(session, run, level, actor, reason)
        except Raced:
            raise
        except Conflict as e:
            problems.append(str(e))
    if problems:
        raise Conflict("; ".join(problems))
    return runs
