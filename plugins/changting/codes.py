"""Codes that name households: pseudonyms only (POLICIES.md §7.3, §7.4).

A household's account code becomes a line's entity, so it is stored, shown and exported with
every settlement. It must never be a resident's name or national ID number.
"""
from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_CHINESE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_ID_NUMBER = re.compile(r"(?<!\d)(\d{17}[\dXx]|\d{15})(?!\d)")  # 18-digit (17 + check) or old 15-digit
_CODE = re.compile(r"[A-Za-z0-9_\-]+")


def _pseudonym(v: str) -> str:
    if _CHINESE.search(v):
        raise ValueError("looks like a name (Chinese characters): a household code must be a pseudonym")
    if _ID_NUMBER.search(v):
        raise ValueError("looks like a national ID number: a household code must be a pseudonym")
    if not _CODE.fullmatch(v):
        raise ValueError("a household pseudonym uses letters, digits, _ or - only")
    if v == "county":
        raise ValueError("'county' is the county's own entity code")
    return v


Pseudonym = Annotated[str, AfterValidator(_pseudonym)]
"""A household's code: letters, digits, `_` and `-`; no Chinese characters, no ID number."""
