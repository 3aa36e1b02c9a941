"""JSON read exactly and within bounds, for bundle files and for parameter values.

Numbers stay exact (Decimal); NaN and Infinity become Decimals that every number field refuses;
an object that names a key twice is marked rather than silently keeping the last; and nesting is
counted on the brackets before parsing, since parsing text nested 100,000 deep would exhaust
Python's recursion limit.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal
from itertools import accumulate
from typing import Any, Optional

FILE_DEPTH = 100  # a bundle file: a list of rows of plain values; a parameter value nests far less
VALUE_DEPTH = 32  # a parameter value (a catalogue: a list of objects of lists, …)

_NOT_BRACKETS = re.compile(r'"(?:[^"\\]++|\\.)*+"|[^\[\]{}"]++')
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1, '"': 0}
_TOKEN = re.compile(r'"((?:[^"\\]++|\\.)*+)"\s*+(:)?|[\[\]{},]')


class TooDeep(ValueError):
    """Text nested deeper than allowed, at an item of its outer list and the key within it."""

    def __init__(self, limit: int, row: int = 1, field: Optional[str] = None):
        super().__init__(f"nested deeper than {limit} levels")
        self.row, self.field = row, field


class Repeated(dict):
    """An object that named some keys more than once (`repeated`); it keeps the last of each."""

    repeated: list[str]


def too_deep(text: str, limit: int) -> Optional[TooDeep]:
    """Where `text` nests deeper than `limit`: the item of its outer list (1 when it is no list)
    and the key of that item the nesting is under; None when it does not."""
    brackets = _NOT_BRACKETS.sub("", text)
    if not brackets or max(accumulate(_STEP[c] for c in brackets)) <= limit:
        return None
    depth, row, field = 0, 1, None
    for m in _TOKEN.finditer(text):  # only for text that is too deep: find where
        token = m.group()
        if m.group(2):
            if depth == 2:
                field = m.group(1)
        elif token in ("[", "{"):
            depth += 1
            if depth > limit:
                return TooDeep(limit, row, field)
        elif token in ("]", "}"):
            depth -= 1
        elif token == "," and depth == 1:
            row, field = row + 1, None
    return TooDeep(limit, row, field)


def _object(pairs: list[tuple[str, Any]]) -> dict:
    d = dict(pairs)
    if len(d) < len(pairs):
        d = Repeated(d)
        d.repeated = [k for k, n in Counter(k for k, _ in pairs).items() if n > 1]
    return d


def _integer(text: str) -> int | Decimal:
    # Python refuses to read an integer of more than 4300 digits; as a Decimal, the field's range refuses it.
    return int(text) if len(text) <= 4000 else Decimal(text)


def loads(text: str, limit: int) -> Any:
    """The JSON value of `text`; raises TooDeep, or json.JSONDecodeError when it is not JSON."""
    deep = too_deep(text, limit)
    if deep is not None:
        raise deep
    return json.loads(text, parse_float=Decimal, parse_int=_integer, parse_constant=Decimal,
                      object_pairs_hook=_object)
