"""The audit trail: every change to a county's money or access is recorded, append-only."""
from __future__ import annotations

from typing import Any, Optional

from sqlmodel import Session

from .canonical import digest, jsonable
from .models import AuditEvent

ACTIONS = ("import", "parameter_override", "settlement_run", "settlement_approve", "token_create",
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
