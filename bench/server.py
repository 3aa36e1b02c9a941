"""Start `countypay serve` (production settings: tokens required, no introspection) on a free
loopback port for the length of a `with` block, and make tokens for it."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request


def token(db: str, role: str, county: str | None = None) -> str:
    cmd = [sys.executable, "-c", "from countypay.cli import main; main()", "token", "create", "--role", role,
           "--db", db] + (["--county", county] if county else [])
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def serving(db: str, workers: int = 1):
    """Yields (base URL, process) of a server that stops when the block ends."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", "from countypay.cli import main; main()", "serve", "--db", db,
                             "--host", "127.0.0.1", "--port", str(port), "--no-introspection",
                             "--workers", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the server did not start")
                time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
