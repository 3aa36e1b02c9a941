"""The console's static files, served from the installed package: gzip-compressed once and kept in
memory (they never change while the server runs), cached by browsers for good under the vendor
folders (each named for its version) and revalidated elsewhere."""
from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

STATIC = Path(__file__).with_name("static").resolve()
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".json": "application/json", ".md": "text/plain; charset=utf-8", "": "text/plain; charset=utf-8"}


@lru_cache(maxsize=1)
def manifest() -> dict:
    """The vendored packages: name → version, licence, source and files (vendor/manifest.json)."""
    return json.loads((STATIC / "vendor" / "manifest.json").read_text(encoding="utf-8"))


def vendor(name: str, file: str) -> str:
    """A vendored file's path under static/, e.g. vendor/echarts-6.1.0/echarts.min.js."""
    return f"vendor/{name}-{manifest()[name]['version']}/{file}"


def missing(paths: list[str]) -> list[str]:
    """Those of the given paths under static/ that the installed package lacks."""
    return [p for p in paths if not (STATIC / p).is_file()]


@lru_cache(maxsize=64)
def _load(path: Path, mtime: int) -> tuple[bytes, bytes, str]:
    body = path.read_bytes()
    return body, gzip.compress(body, compresslevel=6, mtime=0), '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


async def static(request: Request) -> Response:
    """GET /static/{path}: a file of the package's static folder, nothing outside it."""
    file = (STATIC / request.path_params["path"]).resolve()
    kind = TYPES.get(file.suffix)  # LICENSE and NOTICE have none
    if kind is None or not file.is_relative_to(STATIC) or not file.is_file():
        return PlainTextResponse("no such file", status_code=404)
    body, packed, etag = _load(file, file.stat().st_mtime_ns)
    headers = {"ETag": etag, "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff",
               "Cache-Control": "public, max-age=31536000, immutable"
               if file.is_relative_to(STATIC / "vendor") else "no-cache"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "") and len(body) > 1024:
        headers["Content-Encoding"] = "gzip"
        body = packed
    return Response(body, media_type=kind, headers=headers)
