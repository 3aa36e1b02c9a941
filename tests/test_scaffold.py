"""`countypay new-policy` writes a plugin that works once installed: docs/plugins.md's commands,
run as written in a temporary folder. pip installs the package into a folder of its own, on the
path of the commands only, so the environment running the tests is left as it was."""
import importlib.util
import os
import re
import shlex
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from countypay.cli import app

ROOT = Path(__file__).parents[1]
DOC = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")


def doc_commands() -> list[str]:
    return [line[2:] for block in re.findall(r"```console\n(.*?)```", DOC, re.S)
            for line in block.splitlines() if line.startswith("$ ")]


def builds_offline() -> bool:
    """Whether the setuptools here builds a wheel by itself (from 70.1, or with `wheel`), so pip
    needs no build environment of its own."""
    if importlib.util.find_spec("setuptools") is None:
        return False
    major, minor = (int(x) for x in version("setuptools").split(".")[:2])
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


def as_run(step: str, site: Path) -> list[str]:
    """A docs command as this test runs it: with this interpreter, pip installing into `site`."""
    argv = shlex.split(step)
    if argv[0] == "countypay":
        return [sys.executable, "-P", "-c", "from countypay.cli import main; main()", *argv[1:]]
    if argv[:2] == ["pip", "install"]:
        isolation = ["--no-build-isolation"] if builds_offline() else []
        return [sys.executable, "-m", "pip", "install", "-q", "--no-deps", *isolation, "--target", str(site), *argv[2:]]
    if argv[:3] == ["python", "-m", "pytest"]:  # -P: the package is imported as installed, not from the folder
        return [sys.executable, "-P", "-m", "pytest", "-q", "-p", "no:cacheprovider", *argv[3:]]
    pytest.fail(f"docs/plugins.md runs {step!r}, which this test does not know how to run")


def test_the_scaffold_installs_is_listed_passes_its_case_and_tests_and_settles(tmp_path):
    steps = doc_commands()
    assert [shlex.split(s)[1] for s in steps] == ["new-policy", "install", "plugins", "case", "-m", "load", "settle"]
    site = tmp_path / "installed"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(site), COLUMNS="200")
    outputs = []
    for step in steps:
        result = subprocess.run(as_run(step, site), cwd=tmp_path, env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, (step, result.stdout[-3000:], result.stderr[-3000:])
        outputs.append(result.stdout)
    new, _, listed, case, tests, loaded, settled = outputs
    assert "wrote countypay-qingshan/" in new
    package = site / "countypay_qingshan"
    assert (package / "parameters.yaml").is_file() and (package / "cases" / "performance_bonus.case.yaml").is_file()
    assert re.search(r"qingshan\s*│\s*qingshan\s*│\s*青山县 / Qingshan County\s*│\s*0\.1\.0\s*│\s*performance_bonus", listed)
    assert case.startswith("ok") and "(4 lines exact)" in case
    assert re.search(r"^4 passed", tests, re.M), tests
    assert re.search(r"^funds\s+1 rows\s+\(funds\.csv, UTF-8\)", loaded, re.M)
    assert (tmp_path / "countypay.db").is_file()
    assert re.search(r"│ county\s*│ reserve\s*│ 50\.00\s*│", settled)
    assert re.search(r"│ A\s*│ bonus\s*│ 534\.38\s*│", settled), settled


def refused(args: list[str], tmp_path: Path) -> str:
    result = CliRunner().invoke(app, ["new-policy", *args, "--dir", str(tmp_path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


@pytest.mark.parametrize("code", ["Qingshan", "qing-shan", "2qingshan", "class"])
def test_new_policy_refuses_a_code_that_cannot_name_a_package(code, tmp_path):
    assert f"{code!r} cannot be a policy code: use lowercase letters, digits and _" in refused([code], tmp_path)
    assert not any(tmp_path.iterdir())


def test_new_policy_refuses_a_policy_already_installed(tmp_path):
    assert "a policy 'haiyan' is already installed" in refused(["haiyan"], tmp_path)
    assert not any(tmp_path.iterdir())


def test_new_policy_refuses_a_folder_that_exists(tmp_path):
    (tmp_path / "countypay-qingshan").mkdir()
    (tmp_path / "countypay-qingshan" / "notes.txt").write_text("mine")
    assert "already exists: nothing was written" in refused(["qingshan"], tmp_path)
    assert [p.name for p in (tmp_path / "countypay-qingshan").iterdir()] == ["notes.txt"]


def test_new_policy_refuses_a_name_that_would_break_its_files(tmp_path):
    assert "--name-en 'Qing\"shan'" in refused(["qingshan", "--name-en", 'Qing"shan'], tmp_path)
    assert not any(tmp_path.iterdir())
