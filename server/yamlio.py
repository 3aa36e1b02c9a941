"""YAML read exactly: a `87.3` in a case or parameter file is Decimal('87.3'), never a float."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml


class ExactLoader(yaml.SafeLoader):
    """SafeLoader whose floats are Decimals built from the literal text."""


def _decimal(loader: ExactLoader, node: yaml.ScalarNode) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise yaml.constructor.ConstructorError(
            None, None, f"{text!r} is not a finite number", node.start_mark)
    return value


ExactLoader.add_constructor("tag:yaml.org,2002:float", _decimal)


def load(path: str | Path) -> Any:
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=ExactLoader)


def loads(text: str) -> Any:
    return yaml.load(text, Loader=ExactLoader)
