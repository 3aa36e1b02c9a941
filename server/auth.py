"""Who is asking: bearer tokens (in the Authorization header, or in the console's cookie) and what
each may read and write."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Mapping, Optional

from sqlalchemy import select
from sqlmodel import Session
from starlette.requests import cookie_parser

from .audit import record
from .models import ApiToken, County, now

PREFIX = "cp_"


@dataclass(frozen=True)
class Viewer:
    """The caller. `counties` is None for a supervisor (every county), else the ids it may see."""

    role: str  # anonymous | supervisor | county
    county_id: Optional[int] = None
    name: str = ""

    def may_read(self, county_id: int) -> bool:
        return self.role == "supervisor" or (self.role == "county" and self.county_id == county_id)

    def may_write(self, county_id: int) -> bool:
        return self.role == "county" and self.county_id == county_id

    def readable(self) -> Optional[set[int]]:
        """County ids this viewer may read; None means all."""
        if self.role == "supervisor":
            return None
        return {self.county_id} if self.role == "county" else set()


ANONYMOUS = Viewer("anonymous")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(session: Session, role: str, county_code: str | None = None, name: str = "",
                 days: int | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once; only its hash is stored)."""
    if role not in ("supervisor", "county"):
        raise ValueError("role must be supervisor or county")
    county_id = None
    if role == "county":
        if not county_code:
            raise ValueError("a county token needs --county")
        county = session.exec(select(County).where(County.code == county_code)).scalars().first()
        if county is None:
            raise ValueError(f"no county {county_code!r} in the store")
        county_id = county.id
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, county_id=county_id, secret_hash=_hash(secret),
                     expires_at=now() + timedelta(days=days) if days else None)
    session.add(token)
    session.flush()
    record(session, "token_create", name, county_id, f"token {token.id}", {"role": role, "name": name,
                                                                          "expires_at": token.expires_at})
    return token, secret


def revoke_token(session: Session, token: ApiToken, actor: str = "") -> None:
    token.revoked_at = now()
    session.add(token)
    record(session, "token_revoke", actor, token.county_id, f"token {token.id}", {"name": token.name})


def list_tokens(session: Session) -> list[tuple[ApiToken, Optional[str]]]:
    """Every token, oldest first, with its county's code: what an operator needs to tell them
    apart and revoke one. No secret is stored, so none can be shown."""
    return [(token, county) for token, county in session.execute(
        select(ApiToken, County.code).outerjoin(County, County.id == ApiToken.county_id).order_by(ApiToken.id))]


COOKIE = "countypay_token"
"""The browser's copy of a bearer token, set by the console's sign-in page (HttpOnly,
SameSite=Strict): the console's own requests and the export links then need no header."""


def cookie_token(cookie_header: str | None) -> Optional[str]:
    """The token a request's Cookie header carries, if any."""
    return cookie_parser(cookie_header).get(COOKIE) or None if cookie_header else None


def same_origin(headers: Mapping[str, str], scheme: str) -> bool:
    """Whether a browser says the request comes from a page of this server (Sec-Fetch-Site, else
    Origin against Host). A request that carries neither header does not come from a page of
    another site: browsers send them on every cross-site request a cookie could ride on."""
    site = headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")  # none: typed into the address bar, a bookmark
    origin = headers.get("origin")
    if origin is None:
        return True
    return origin == f"{scheme}://{headers.get('host', '')}"


def viewer_for(session: Session, authorization: str | None) -> Optional[Viewer]:
    """The viewer a request's Authorization header names; ANONYMOUS without one, None when the
    token is unknown, expired or revoked."""
    if not authorization:
        return ANONYMOUS
    scheme, _, secret = authorization.partition(" ")
    if scheme.lower() != "bearer" or not secret.startswith(PREFIX):
        return None
    token = session.exec(select(ApiToken).where(ApiToken.secret_hash == _hash(secret.strip()))).scalars().first()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None:
        expires = token.expires_at if token.expires_at.tzinfo else token.expires_at.replace(tzinfo=timezone.utc)
        if expires <= datetime.now(timezone.utc):
            return None
    return Viewer(token.role, token.county_id, token.name or f"token {token.id}")
