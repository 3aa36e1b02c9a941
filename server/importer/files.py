"""A bundle's files: which tables a folder holds, the encoding each is written in, and their
rows read from CSV or JSON. A file that cannot be read as a table refuses the import, saying why."""
from __future__ import annotations

import codecs
import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

from . import jsontext
from .geometry import FILE as GEOMETRY, file_in
from .problems import ImportFailed, Problem
from .rows import BY_NAME, TABLES, Table


@dataclass(frozen=True)
class Encoding:
    codec: str  # what Python decodes it with
    name: str  # what an operator calls it


UTF8 = Encoding("utf-8-sig", "UTF-8")
GBK = Encoding("gb18030", "GBK")  # as Excel saves CSV in China; GB18030 reads all of GBK
BOM = codecs.BOM_UTF8


def refuse(file: Path, reason: str, row: Optional[int] = None, field: Optional[str] = None,
           bundle: Optional[Path] = None):
    """Refuse the import (of `bundle`, else of the file) for a problem of the file."""
    raise ImportFailed(str(bundle or file), [Problem(file.name, row, field, reason)])


def unreadable_at(path: Path, codec: str, skip: int = 0) -> Optional[int]:
    """The first byte of the file (after `skip` bytes) that `codec` cannot read, or None. Read in
    blocks, so a large file is never held whole."""
    decoder, offset = codecs.getincrementaldecoder(codec)(), skip
    with open(path, "rb") as f:
        f.seek(skip)
        try:
            while block := f.read(1 << 20):
                decoder.decode(block)
                offset += len(block)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as e:  # its object is the undecoded tail of earlier blocks, then this one
            return max(skip, offset - (len(e.object) - len(block)) + e.start)
    return None


def encoding(path: Path) -> Encoding:
    """The encoding of a table file: UTF-8 (with or without a byte-order mark), else GBK as Excel
    saves it in China. A file that is neither is refused with the byte where it fails, and one
    that puts GBK text behind a UTF-8 byte-order mark (as some editors save GBK) is refused,
    saying so, rather than read with a garbled header."""
    path = Path(path)
    with open(path, "rb") as f:
        start = f.read(4)
    if start[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        refuse(path, "is UTF-16 text (Excel's \"Unicode text\"): save it as CSV UTF-8")
    failed = unreadable_at(path, UTF8.codec)
    if failed is None:
        return UTF8
    if start.startswith(BOM):
        if unreadable_at(path, GBK.codec, skip=len(BOM)) is None:
            refuse(path, "starts with a UTF-8 byte-order mark, but the text after it is GBK, not UTF-8: "
                         "save it again as UTF-8 (or as GBK without the mark)")
    elif unreadable_at(path, GBK.codec) is None:
        return GBK
    refuse(path, f"not UTF-8 or GBK text (byte {failed} cannot be read)")


def bundle_files(path: Path) -> list[tuple[Table, Path]]:
    """The table files of a bundle folder (or a single table file), in dependency order."""
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix in (".csv", ".json"))
    elif path.is_file():
        files = [] if path.name == GEOMETRY else [path]  # a map alone (geometry.py)
    else:
        refuse(path, "no such file or folder" if not path.exists() else "not a file or a folder")
    found: dict[str, Path] = {}
    for f in files:
        if not f.is_file():
            refuse(f, ("a folder, not a file" if f.is_dir() else "not a regular file (a pipe, device or socket)") +
                   ": a bundle holds one file per table", bundle=path)
        if f.stem not in BY_NAME:
            refuse(f, f"not a table of a bundle (tables: {', '.join(BY_NAME)})", bundle=path)
        if f.stem in found:
            refuse(f, f"{found[f.stem].name} holds the same table", bundle=path)
        found[f.stem] = f
    if not found and file_in(path) is None:
        refuse(path, f"no table files (.csv or .json) or {GEOMETRY} found")
    return [(t, found[t.name]) for t in TABLES if t.name in found]


def csv_header(path: Path, enc: Encoding) -> list[str]:
    """The column names of a CSV file (its first row), stripped; [] for an empty file."""
    with open(path, encoding=enc.codec, newline="") as f:
        try:
            return [k.strip() for k in next(csv.reader(f), [])]
        except csv.Error as e:
            refuse(path, f"not CSV: {e}", row=1)


def csv_rows(path: Path, enc: Encoding) -> Iterator[tuple[int, list[str]]]:
    """(row number, fields) of each CSV row after the header (row 1), streamed."""
    with open(path, encoding=enc.codec, newline="") as f:
        reader = csv.reader(f)
        try:
            next(reader, None)
            for fields in reader:
                if fields:  # blank lines are no rows
                    yield reader.line_num, fields
        except csv.Error as e:
            refuse(path, f"not CSV: {e}", row=reader.line_num)


def raw_row(keys: list[str], fields: list[str]) -> Optional[dict]:
    """A CSV row as fields by name, blanks as None; None when it has more fields than names."""
    if len(fields) > len(keys):
        return None
    values = [v.strip() or None for v in fields] + [None] * (len(keys) - len(fields))
    return dict(zip(keys, values))


def json_rows(path: Path, enc: Encoding) -> Iterator[tuple[int, Any]]:
    """(row number, item) of a JSON list (item 1 = row 1), read exactly and within bounds."""
    text = path.read_bytes().decode(enc.codec)
    try:
        data = jsontext.loads(text, jsontext.FILE_DEPTH)
    except jsontext.TooDeep as e:
        refuse(path, f"{e}: a bundle's JSON is a list of rows of plain values", row=e.row, field=e.field)
    except json.JSONDecodeError as e:
        refuse(path, f"line {e.lineno} column {e.colno}: not JSON: {e.msg}")
    if not isinstance(data, list):
        refuse(path, "expected a JSON list of objects, one per row")
    yield from enumerate(data, start=1)
