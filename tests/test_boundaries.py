"""The boundaries of DESIGN.md, checked by import-linter (contracts in pyproject.toml): plugins
import only the contract and the toolkit and never each other; the core imports no plugin and no
GraphQL module; the GraphQL layer does not import the importer. Run as a developer runs it:
`lint-imports` in the checkout (server/plugins and server/schema link to the folders package-dir
maps, so the package's folder holds every sub-package as an installed one does)."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in result.stdout
