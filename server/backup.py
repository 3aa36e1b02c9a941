"""Backup and restore of the SQLite store, consistent while the server keeps running."""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(ValueError):
    """A backup or restore that cannot be done; the message says why, and nothing was changed."""


def sqlite_path(url: str) -> Path:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        raise BackupError("backup and restore are for the SQLite file store; use pg_dump for PostgreSQL")
    return Path(u.database)


def backup(url: str, target: Path) -> Path:
    """Copy the live database to `target` with SQLite's online backup (a consistent snapshot)."""
    source = sqlite_path(url)
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target = Path(target)
    if target.is_dir():
        raise BackupError(f"{target} is a folder: name the backup file to write")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    return target


def restore(backup_file: Path, url: str) -> Path:
    """Replace the database with a backup, after checking the backup is a sound countypay store.
    The server must be stopped: the file is swapped whole."""
    backup_file = Path(backup_file)
    try:
        with sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True) as check:
            if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{backup_file} is damaged")
            if not check.execute("SELECT name FROM sqlite_master WHERE name = 'alembic_version'").fetchone():
                raise BackupError(f"{backup_file} is not a countypay database")
        check.close()
    except sqlite3.DatabaseError as e:  # not an SQLite file at all, or one cut short
        raise BackupError(f"{backup_file} is not a countypay backup: {e}") from None
    target = sqlite_path(url)
    staged = target.with_name(target.name + ".restoring")
    staged.unlink(missing_ok=True)
    with sqlite3.connect(backup_file) as src, sqlite3.connect(staged) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    for stale in (target.with_name(target.name + "-wal"), target.with_name(target.name + "-shm")):
        stale.unlink(missing_ok=True)
    os.replace(staged, target)
    return target
