"""`countypay new-policy CODE`: a working plugin package to start a county's policy from.

The files are templates in `files/` (string.Template: `${code}`, `${package}`, `${dist}`,
`${name_zh}`, `${name_en}`): the package with its policy and parameter files and one
component with `gather`, a case file, tests, an example bundle and a README. docs/plugins.md
shows them as written for one county, and a test keeps the two equal.
"""
from __future__ import annotations

import importlib.util
import keyword
import re
from pathlib import Path
from string import Template

FILES = Path(__file__).with_name("files")
CODE = re.compile(r"[a-z][a-z0-9_]*")


class ScaffoldError(ValueError):
    """A policy that cannot be started as asked: the message says why; nothing was written."""


def names(code: str, name_zh: str | None = None, name_en: str | None = None) -> dict[str, str]:
    """The values the templates are filled with."""
    return {"code": code, "package": f"countypay_{code}", "dist": f"countypay-{code}",
            "name_zh": name_zh or f"{code}县", "name_en": name_en or f"{code.replace('_', ' ').title()} County"}


def check(code: str, folder: Path, name_zh: str | None = None, name_en: str | None = None) -> None:
    """Refuse, before anything is written, a code that cannot name a package or is taken, a name
    that would break the files it is written into, and a folder that exists."""
    if not CODE.fullmatch(code) or keyword.iskeyword(code):
        raise ScaffoldError(f"{code!r} cannot be a policy code: use lowercase letters, digits and _, "
                            f"starting with a letter (it names the package countypay_<code>)")
    for option, name in (("--name-zh", name_zh), ("--name-en", name_en)):
        if name is not None and (not name.strip() or any(c in name for c in '"\\\n')):
            raise ScaffoldError(f"{option} {name!r}: give a name on one line, without quotes or backslashes")
    from ..host import registry

    if code in registry().policies:
        raise ScaffoldError(f"a policy {code!r} is already installed (see `countypay plugins`): choose another code")
    if importlib.util.find_spec(f"countypay_{code}") is not None:
        raise ScaffoldError(f"a package countypay_{code} is already installed: choose another code")
    if folder.exists():
        raise ScaffoldError(f"{folder} already exists: nothing was written")


def files(code: str, name_zh: str | None = None, name_en: str | None = None) -> dict[str, str]:
    """Each file of the new package by its path inside the `countypay-CODE` folder."""
    values = names(code, name_zh, name_en)
    out = {}
    for template in sorted(FILES.rglob("*.tmpl")):
        parts = list(template.relative_to(FILES).with_suffix("").parts)
        parts = [values["package"] if p == "package" else p for p in parts]
        if parts[-1] == "test_policy.py":
            parts[-1] = f"test_{code}.py"
        out["/".join(parts)] = Template(template.read_text(encoding="utf-8")).substitute(values)
    return out


def new_policy(code: str, parent: Path = Path("."), name_zh: str | None = None,
               name_en: str | None = None) -> Path:
    """Write `countypay-CODE/` in `parent` and return it."""
    folder = Path(parent) / f"countypay-{code}"
    check(code, folder, name_zh, name_en)
    written = files(code, name_zh, name_en)
    for path, text in written.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder
