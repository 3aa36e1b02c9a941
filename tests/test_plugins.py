"""The plugin host: entry-point discovery, the contract's checks, dated parameters; and
docs/plugins.md, whose every file is the scaffold's as `countypay new-policy` writes it."""
import dataclasses
import re
import shlex
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from countypay import cases, host, policy, scaffold
from countypay.errors import InputError
from countypay.params import in_force, resolve
from countypay.period import Period

DOC = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")
FENCE = re.compile(r"^```(\w+)(?: file=(\S+))?\n(.*?)^```$", re.S | re.M)


def new_policy_args() -> dict:
    """The code and names of the docs' `countypay new-policy` line."""
    line = next(l for l in DOC.splitlines() if l.startswith("$ countypay new-policy "))
    argv = shlex.split(line[2:])[2:]
    options = dict(zip(argv[1::2], argv[2::2]))
    return {"code": argv[0], "name_zh": options.get("--name-zh"), "name_en": options.get("--name-en")}


ARGS = new_policy_args()
CODE = ARGS["code"]
WRITTEN = scaffold.files(**ARGS)


def test_every_snippet_of_the_plugin_docs_is_a_scaffold_file_or_a_command_that_runs():
    """File blocks are the scaffold's files, equal to what `new-policy` writes (which
    test_scaffold installs and runs); console blocks are the commands test_scaffold runs."""
    blocks = FENCE.findall(DOC)
    assert len(blocks) == DOC.count("```") // 2, "a code block the check does not read"
    shown = set()
    for lang, file, body in blocks:
        if lang == "console":
            assert all(l.startswith("$ countypay ") or l.startswith(("$ pip ", "$ python "))
                       for l in body.splitlines()), body
            continue
        assert file, f"a {lang} block in docs/plugins.md that is no file of the scaffold:\n{body[:200]}"
        path = file.removeprefix(f"countypay-{CODE}/")
        assert body == WRITTEN.get(path), f"docs/plugins.md shows {file} other than `new-policy` writes it"
        shown.add(path)
    assert {f"countypay_{CODE}/__init__.py", f"countypay_{CODE}/performance_bonus.py", "pyproject.toml",
            f"countypay_{CODE}/parameters.yaml", f"tests/test_{CODE}.py"} <= shown


def test_the_plugin_docs_name_every_part_of_the_contract():
    """Every field of Policy, Component and Facts, and every hook, is described in docs/plugins.md."""
    from countypay import hookspecs

    fields = {f.name for cls in (policy.Policy, policy.Component, policy.Facts) for f in dataclasses.fields(cls)}
    hooks = {n for n in dir(hookspecs) if n.startswith("countypay_")}
    missing = sorted(n for n in fields | hooks if f"`{n}`" not in DOC)
    assert not missing, f"docs/plugins.md does not describe {missing}"


@pytest.fixture
def out_of_tree(tmp_path, monkeypatch):
    """The scaffold's plugin installed as its own distribution: its package and a dist-info on sys.path."""
    site = tmp_path / "site"
    package = f"countypay_{CODE}"
    for path, text in WRITTEN.items():
        if path.startswith(package + "/"):
            (site / path).parent.mkdir(parents=True, exist_ok=True)
            (site / path).write_text(text, encoding="utf-8")
    info = site / f"{package}-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: countypay-{CODE}\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text(f"[countypay.policies]\n{CODE} = {package}\n")
    monkeypatch.syspath_prepend(str(site))
    yield host.Registry(host.plugin_manager())
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        sys.modules.pop(name)


def test_an_out_of_tree_plugin_is_found_through_its_entry_point(out_of_tree, monkeypatch):
    assert {"haiyan", CODE} <= set(out_of_tree.policies)
    assert out_of_tree.policy(CODE).name_en == ARGS["name_en"]
    monkeypatch.setattr(cases, "registry", lambda: out_of_tree)
    case = out_of_tree.policy(CODE).parameter_file.parent / "cases" / "performance_bonus.case.yaml"
    result = cases.run(cases.load(case))
    assert result.ok and len(result.case.expected) == 4


def test_parameters_resolve_by_date_then_county_then_run(out_of_tree):
    plugin = out_of_tree.policy(CODE)
    comp = plugin.component("performance_bonus")
    assert in_force(plugin, "performance_bonus", date(2024, 12, 31))["reserve_rate"].value == "0.05"
    assert resolve(plugin, comp, Period.parse("2025")).model.reserve_rate == Decimal("0.08")
    r = resolve(plugin, comp, Period.parse("2024"), county={"reserve_rate": "0.10"})
    assert r.model.reserve_rate == Decimal("0.10") and r.sources["reserve_rate"] == "county override"
    assert r.sources["pass_mark"] == "default from 2020-01-01 (illustrative)"
    r = resolve(plugin, comp, Period.parse("2024"), county={"reserve_rate": "0.10"}, run={"reserve_rate": "0"})
    assert r.model.reserve_rate == Decimal("0") and r.sources["reserve_rate"] == "run override"
    with pytest.raises(InputError, match=r"parameters: performance_bonus.reserve_rate: Input should be a valid decimal"):
        resolve(plugin, comp, Period.parse("2024"), run={"reserve_rate": "lots"})


def test_a_misspelt_hook_is_refused_by_the_real_registry(tmp_path, monkeypatch):
    """An installed plugin whose hook is misspelt stops countypay at start-up, naming it."""
    site = tmp_path / "site"
    (site / "countypay_typo").mkdir(parents=True)
    (site / "countypay_typo" / "__init__.py").write_text(
        "from countypay.hookspecs import hookimpl\n\n@hookimpl\ndef countypay_polices():\n    return []\n")
    info = site / "countypay_typo-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: countypay-typo\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[countypay.policies]\ntypo = countypay_typo\n")
    monkeypatch.syspath_prepend(str(site))
    try:
        with pytest.raises(host.PluginError, match="countypay_polices.*countypay_policies"):
            host.Registry(host.plugin_manager())
    finally:
        sys.modules.pop("countypay_typo", None)


def test_the_bundled_policies_register_like_any_other():
    reg = host.registry()
    dists = {dist.project_name for _, dist in reg.pm.list_plugin_distinfo()}
    assert "haiyan" in reg.policies and dists == {"countypay"}


def test_a_case_with_an_unknown_policy_is_invalid(tmp_path):
    case = tmp_path / "x.case.yaml"
    case.write_text("policy: nowhere\ncomponent: c\nperiod: '2024'\ninputs: {}\nexpected: {lines: []}\n")
    with pytest.raises(cases.InvalidCase, match="no policy 'nowhere' is installed"):
        cases.run(cases.load(case))
