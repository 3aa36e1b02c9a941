"""`countypay serve` in a child process on a free loopback port, for the test suite and the
benchmarks, which both drive the real server over HTTP."""
from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Iterator


class ServerDidNotStart(RuntimeError):
    pass


@contextlib.contextmanager
def serving(db: str, *options: str, timeout: float = 30) -> Iterator[tuple[str, subprocess.Popen]]:
    """Yields (base URL, process) once /health answers; the server stops when the block ends."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-c", "from countypay.cli import main; main()", "serve", "--db", db,
           "--host", "127.0.0.1", "--port", str(port), *options]
    errors = tempfile.TemporaryFile()  # a file, not a pipe: a pipe nobody reads would stall the server
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                errors.seek(0)
                raise ServerDidNotStart(f"the server exited with {proc.returncode}: "
                                        f"{errors.read().decode(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise ServerDidNotStart(f"the server did not answer /health within {timeout:g} s")
            time.sleep(0.1)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        errors.close()
