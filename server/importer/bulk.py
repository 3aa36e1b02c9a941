"""The set-based path of service counts, the bulk of a bundle: the database stages the whole CSV
(PostgreSQL parsing it too, by COPY), checks it and writes it by SQL, several times faster than
row by row.

It decides nothing the row shape (rows.ServiceCountRow) does not: it takes a file only when every
row is plainly valid by that shape's rules, and reads any doubt (a quote, a NUL byte, a stored code
that is no valid code, a value it does not recognise, a repeated key) as "not plainly valid". The
file then goes down the full path, which names each problem as always.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Optional

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from .files import Encoding
from .rows import ServiceCountRow

STAGE = "stage_service_counts_csv"
PG_ENCODINGS = {"utf-8-sig": "UTF8", "gb18030": "GB18030"}
_CODE_CHARS = "'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-'"
# Stored codes that no valid file can name (none are written so): then the full path decides.
BAD_CODES = "SELECT " + " OR ".join(
    f"EXISTS (SELECT 1 FROM {t} WHERE code = '' OR length(code) > 64 OR ltrim(code, {_CODE_CHARS}) <> '')"
    for t in ("county", "institution", "serviceitem"))
# Each staged row that names a known county, institution and item; a month or count that is not
# plainly valid (a month 2024-07 of ASCII digits; a count of 1 to 9 ASCII digits, so far inside
# the 32-bit column) becomes NULL, which the NOT NULL columns refuse. The checks are on values
# rather than in WHERE so that the planner sees all the rows (hash joins) and no cast can fail.
BULK_COUNTS = f"""INSERT INTO servicecount (county_id, institution, month, item, count)
SELECT c.id, s.institution,
       CASE WHEN length(s.month) = 7 AND ltrim(substr(s.month, 1, 4), '0123456789') = ''
                 AND substr(s.month, 1, 4) <> '0000'
                 AND substr(s.month, 5) IN ('-01', '-02', '-03', '-04', '-05', '-06',
                                            '-07', '-08', '-09', '-10', '-11', '-12') THEN s.month END,
       s.item,
       CASE WHEN ltrim(s.count, '0123456789') = '' AND length(s.count) BETWEEN 1 AND 9
            THEN CAST(s.count AS INTEGER) END
FROM {STAGE} s
JOIN county c ON c.code = s.county
JOIN institution i ON i.county_id = c.id AND i.code = s.institution
JOIN serviceitem t ON t.code = s.item
WHERE true"""  # (SQLite needs a WHERE before ON CONFLICT)
REPEATS = f"SELECT 1 FROM {STAGE} GROUP BY county, institution, month, item HAVING count(*) > 1 LIMIT 1"
REPLACE_COUNTS = " ON CONFLICT (county_id, institution, month, item) DO UPDATE SET count = excluded.count"


class Refused(Exception):
    """The file cannot take the bulk path; the full path will say why."""


def unique_violation(e: IntegrityError) -> bool:
    return getattr(e.orig, "sqlstate", None) == "23505" or \
        getattr(e.orig, "sqlite_errorname", None) == "SQLITE_CONSTRAINT_UNIQUE"


def plain_bytes(file: Path, dialect: str) -> bool:
    """No NUL byte (no text holds one); for COPY also no quote or backslash: COPY reads `A""` as
    A where Python's csv reads A"", and a line `\\.` ends its data. No valid row holds either."""
    odd = (b"\x00", b'"', b"\\") if dialect == "postgresql" else (b"\x00",)
    with open(file, "rb") as f:
        while block := f.read(1 << 20):
            if any(b in block for b in odd):
                return False
    return True


def stage_csv(conn, file: Path, enc: Encoding) -> int:
    """Copy a CSV's rows after the header as text into STAGE; returns the number of rows.
    PostgreSQL parses the file itself (COPY); SQLite is given the rows of Python's csv reader."""
    raw = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        with raw.cursor() as cur:
            with cur.copy(f"COPY {STAGE} FROM STDIN (FORMAT csv, HEADER true, ENCODING '{PG_ENCODINGS[enc.codec]}')") \
                    as copy, open(file, "rb") as f:
                while block := f.read(1 << 20):
                    copy.write(block)
            staged = cur.rowcount
        conn.exec_driver_sql(f"ANALYZE {STAGE}")  # else the planner may guess a few rows: nested loops
        return staged
    with open(file, encoding=enc.codec, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        return raw.executemany(f"INSERT INTO {STAGE} VALUES (?, ?, ?, ?, ?)", rows).rowcount


def write_service_counts(session: Session, file: Path, enc: Encoding, keys: list[str]) -> Optional[dict[int, int]]:
    """Rows written per county id when the database could check and write the whole file by SQL;
    None, with nothing written, when any row is not plainly valid or the file not plain CSV with
    each column once."""
    if sorted(keys) != sorted(ServiceCountRow.model_fields):
        return None
    dialect = session.get_bind().dialect
    if not plain_bytes(file, dialect.name):
        return None
    raw = session.connection().connection.driver_connection
    if getattr(raw, "in_transaction", True) is False:  # pysqlite begins none for a SAVEPOINT,
        session.connection().exec_driver_sql("BEGIN")  # whose release would then commit
    try:
        with session.begin_nested():
            conn = session.connection()  # in the savepoint
            if conn.exec_driver_sql(BAD_CODES).scalar():
                raise Refused
            conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {STAGE} ({', '.join(k + ' text' for k in keys)})")
            staged = stage_csv(conn, file, enc)
            try:  # a plain INSERT first: the upsert costs a third more, and mostly no key is stored yet
                with session.begin_nested():
                    rows = session.connection().exec_driver_sql(BULK_COUNTS).rowcount
            except IntegrityError as e:
                if not unique_violation(e) or conn.exec_driver_sql(REPEATS).first():
                    raise Refused  # a bad value, or a key repeated (which SQLite's upsert would let by)
                rows = conn.exec_driver_sql(BULK_COUNTS + REPLACE_COUNTS).rowcount  # keys stored: replace
            if rows != staged:  # a row names an unknown county, institution or item
                raise Refused
            per_county = dict(conn.exec_driver_sql(
                f"SELECT c.id, count(*) FROM {STAGE} s JOIN county c ON c.code = s.county GROUP BY c.id").all())
            conn.exec_driver_sql(f"DROP TABLE {STAGE}")
        return per_county
    except (Refused, csv.Error, DBAPIError, dialect.dbapi.Error):
        return None
