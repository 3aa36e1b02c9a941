"""Errors that name where bad input is: file, row, field and reason."""
from __future__ import annotations

from pydantic import ValidationError


class InputError(ValueError):
    """Input that countypay refuses; `problems` are lines like `units[2].quarter_scores[3]: ...`."""

    def __init__(self, where: str, problems: list[str]):
        self.where = where
        self.problems = problems
        super().__init__(f"{where}: " + "; ".join(problems))


def field_path(loc: tuple, prefix: str = "") -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(top)"


def problems(err: ValidationError, prefix: str = "") -> list[str]:
    """pydantic's errors as `field.path: reason` lines."""
    out = []
    for e in err.errors(include_url=False):
        loc = tuple(p for p in e["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        out.append(f"{field_path(loc, prefix)}: {e['msg']}")
    return out


def validate(model: type, data: object, where: str, prefix: str = ""):
    """`model.model_validate(data)`, raising InputError that names each bad field."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise InputError(where, problems(err, prefix)) from None
