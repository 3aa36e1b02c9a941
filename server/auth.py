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
from .models import ApiToken, County, Institution, Prefecture, now

PREFIX = "cp_"
ROLES = ("supervisor", "prefecture", "county", "auditor", "institution")
LEVEL_OF = {"county": "county", "prefecture": "prefecture", "supervisor": "province"}
"""The level of the approval chain a role acts at; an auditor and an institution act at none."""


@dataclass(frozen=True)
class Viewer:
    """The caller and what it may do.

    supervisor: the province; reads every county, accepts or sends back their settlements.
    prefecture: reads its counties (`counties`), approves or sends back their settlements.
    county: reads and writes its own county, approves its settlements.
    auditor: reads every county and the whole audit trail, writes nothing.
    institution: reads only its own lines (`entity`, in its county) across runs and components.
    Acting in the chain takes a token: a viewer without one (`token_id` None) only reads."""

    role: str  # anonymous | supervisor | prefecture | county | auditor | institution
    county_id: Optional[int] = None
    name: str = ""
    prefecture_id: Optional[int] = None
    counties: frozenset[int] = frozenset()  # a prefecture's counties
    entity: Optional[str] = None  # an institution's code
    token_id: Optional[int] = None

    def readable(self) -> Optional[set[int]]:
        """County ids whose facts, runs and audit trail this viewer may read; None means all."""
        if self.role in ("supervisor", "auditor"):
            return None
        if self.role == "prefecture":
            return set(self.counties)
        return {self.county_id} if self.role == "county" else set()

    def may_read(self, county_id: int) -> bool:
        ids = self.readable()
        return ids is None or county_id in ids

    def may_write(self, county_id: int) -> bool:
        return self.role == "county" and self.county_id == county_id

    def sees_runs(self, county_id: int) -> bool:
        """Whether the viewer may see the county's runs: an institution sees its county's, and
        only its own lines of them."""
        return self.may_read(county_id) or (self.role == "institution" and self.county_id == county_id)

    def run_counties(self) -> Optional[set[int]]:
        """County ids whose runs this viewer may see; None means all."""
        return {self.county_id} if self.role == "institution" else self.readable()

    @property
    def level(self) -> Optional[str]:
        """The chain's level this viewer acts at, if it holds a token that acts."""
        return LEVEL_OF.get(self.role) if self.token_id is not None else None

    def may_act(self, county_id: int) -> bool:
        return self.level is not None and self.may_read(county_id)

    def reads_audit(self) -> bool:
        return self.role in ("supervisor", "auditor", "prefecture", "county")


ANONYMOUS = Viewer("anonymous")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


MAX_TOKEN_DAYS = 36500  # a hundred years: beyond it, ask for a token that lasts until revoked


def create_token(session: Session, role: str, county_code: str | None = None, name: str = "",
                 days: int | None = None, prefecture: str | None = None,
                 institution: str | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret (shown once; only its hash is stored). A county token names
    its county, a prefecture token its prefecture, an institution token its county and its
    institution's code. It lasts `days` (1 or more), or until revoked when `days` is None."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise ValueError(f"a token lasts 1 to {MAX_TOKEN_DAYS} days (--days), or until revoked (--no-expiry); "
                         f"not {days}")
    county_id = prefecture_id = None
    if role in ("county", "institution"):
        if not county_code:
            raise ValueError(f"a{'n' if role == 'institution' else ''} {role} token needs --county")
        county = session.exec(select(County).where(County.code == county_code)).scalars().first()
        if county is None:
            raise ValueError(f"no county {county_code!r} in the store")
        county_id = county.id
    if role == "institution":
        if not institution:
            raise ValueError("an institution token needs --institution (the institution's code)")
        if session.exec(select(Institution.id).where(Institution.county_id == county_id,
                                                     Institution.code == institution)).first() is None:
            raise ValueError(f"no institution {institution!r} in county {county_code!r}")
    if role == "prefecture":
        if not prefecture:
            raise ValueError("a prefecture token needs --prefecture")
        prefecture_id = session.exec(select(Prefecture.id).where(Prefecture.code == prefecture)).scalars().first()
        if prefecture_id is None:
            raise ValueError(f"no prefecture {prefecture!r} in the store")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, role=role, county_id=county_id, prefecture_id=prefecture_id,
                     institution=institution if role == "institution" else None, secret_hash=_hash(secret),
                     expires_at=None if days is None else now() + timedelta(days=days))
    session.add(token)
    session.flush()
    record(session, "token_create", name, county_id, f"token {token.id}",
           {"role": role, "name": name, "expires_at": token.expires_at, "prefecture": prefecture,
            "institution": token.institution})
    return token, secret


def revoke_token(session: Session, token: ApiToken, actor: str = "") -> None:
    token.revoked_at = now()
    session.add(token)
    record(session, "token_revoke", actor, token.county_id, f"token {token.id}", {"name": token.name})


def list_tokens(session: Session) -> list[tuple[ApiToken, Optional[str], Optional[str]]]:
    """Every token, oldest first, with its county's and prefecture's codes: what an operator
    needs to tell them apart and revoke one. No secret is stored, so none can be shown."""
    return [(token, county, prefecture) for token, county, prefecture in session.execute(
        select(ApiToken, County.code, Prefecture.code).outerjoin(County, County.id == ApiToken.county_id)
        .outerjoin(Prefecture, Prefecture.id == ApiToken.prefecture_id).order_by(ApiToken.id))]


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
    counties = frozenset()
    if token.role == "prefecture":
        counties = frozenset(session.exec(select(County.id).where(County.prefecture_id == token.prefecture_id))
                             .scalars())
    return Viewer(token.role, token.county_id, token.name or f"token {token.id}", token.prefecture_id, counties,
                  token.institution, token.id)
