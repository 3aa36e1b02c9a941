"""The contract's worked cases, run unchanged, when the policy documents sit beside the project."""
from pathlib import Path

import pytest

from countypay import cases

SHARED = Path(__file__).resolve().parents[2] / "shared" / "cases"
FILES = sorted(SHARED.glob("*.case.yaml")) if SHARED.is_dir() else []


@pytest.mark.skipif(not FILES, reason=f"no shared case files at {SHARED}")
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_shared_case(path):
    result = cases.run(cases.load(path))
    assert result.ok, "\n".join(result.differences)
