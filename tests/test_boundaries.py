"""The boundaries of DESIGN.md, checked by import-linter (contracts in pyproject.toml): plugins
import only the contract and the toolkit and never each other; the core imports no plugin and no
GraphQL module; the GraphQL layer does not import the importer."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[1]


def test_the_import_contracts_hold(tmp_path):
    # import-linter walks a package's own folder; countypay's sub-packages live in schema/ and
    # plugins/ (mapped by package-dir), so lay them out as the installed package has them.
    site = tmp_path / "site"
    ignore = shutil.ignore_patterns("__pycache__", "cases", "*.yaml")
    shutil.copytree(ROOT / "server", site / "countypay", ignore=ignore)
    shutil.copytree(ROOT / "schema", site / "countypay" / "schema", ignore=ignore)
    shutil.copytree(ROOT / "plugins", site / "countypay" / "plugins", ignore=ignore)
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), str(ROOT / "pyproject.toml"), "--no-cache"], cwd=tmp_path,
                            env={**os.environ, "PYTHONPATH": str(site)}, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Contracts: 4 kept, 0 broken." in result.stdout
