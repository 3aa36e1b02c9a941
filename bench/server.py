"""Start `countypay serve` with production settings (tokens required, no introspection) for the
length of a `with` block, and make tokens for it."""
from __future__ import annotations

import subprocess
import sys

from countypay.launch import serving as launch


def token(db: str, role: str, county: str | None = None) -> str:
    cmd = [sys.executable, "-c", "from countypay.cli import main; main()", "token", "create", "--role", role,
           "--db", db] + (["--county", county] if county else [])
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def serving(db: str, workers: int = 1):
    """Yields (base URL, process) of a server that stops when the block ends."""
    return launch(db, "--no-introspection", "--workers", str(workers))
