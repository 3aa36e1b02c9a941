"""The audit trail: every change to a county's money or access is recorded, append-only."""
from __future__ import annotations

from typing import Any, Mapping, Optional

from sqlmodel import Session

from .canonical import digest, jsonable
from .models import AuditEvent

ACTIONS = ("import", "parameter_override", "settlement_run", "settlement_current", "settlement_approve",
           "settlement_accept", "settlement_send_back", "period_reopen", "approval_levels", "token_create",
           "token_revoke")


def record(session: Session, action: str, actor: str = "", county_id: Optional[int] = None,
           subject: str = "", detail: Any = None, before: Any = None, after: Any = None) -> AuditEvent:
    """Add an event to the caller's transaction, so it is kept exactly when the change is."""
    assert action in ACTIONS, action
    event = AuditEvent(actor=actor, action=action, county_id=county_id, subject=subject,
                       detail=jsonable(detail) if detail is not None else None,
                       before_hash=digest(before) if before is not None else None,
                       after_hash=digest(after) if after is not None else None)
    session.add(event)
    return event


def record_import(session: Session, actor: str, subject: str, counts: Mapping[Optional[int], Mapping[str, int]],
                  files_digest: str) -> list[AuditEvent]:
    """One event per county an import wrote to, each counting only that county's rows (a county
    reads its own trail, and another county's figures are not its business); rows of no one
    county (provinces, prefectures, indicators, service items, general targets) in one event of
    no county. `counts` maps a county id, or None, to rows written per table."""
    return [record(session, "import", actor, county_id, subject, {"tables": dict(tables)}, after=files_digest)
            for county_id, tables in sorted(counts.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)) if tables]
