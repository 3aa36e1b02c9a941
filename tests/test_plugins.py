"""The plugin host: entry-point discovery, the contract's checks, dated parameters."""
import re
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from countypay import cases, host
from countypay.errors import InputError
from countypay.params import in_force, resolve
from countypay.period import Period

DOC = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text(encoding="utf-8")


def block(lang: str, n: int = 0) -> str:
    """The n-th fenced code block of a language in docs/plugins.md: the docs' example is what runs."""
    return re.findall(rf"```{lang}\n(.*?)```", DOC, re.S)[n]


PLUGIN = block("python")


@pytest.fixture
def out_of_tree(tmp_path, monkeypatch):
    """A plugin installed as its own distribution: a package and its dist-info on sys.path."""
    site = tmp_path / "site"
    pkg = site / "countypay_testcounty"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(PLUGIN)
    (pkg / "parameters.yaml").write_text(block("yaml", 0))
    info = site / "countypay_testcounty-9.9.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: countypay-testcounty\nVersion: 9.9\n")
    (info / "entry_points.txt").write_text("[countypay.policies]\ntestcounty = countypay_testcounty\n")
    monkeypatch.syspath_prepend(str(site))
    yield host.Registry(host.plugin_manager())
    sys.modules.pop("countypay_testcounty", None)


def test_an_out_of_tree_plugin_is_found_through_its_entry_point(out_of_tree, tmp_path, monkeypatch):
    assert {"haiyan", "testcounty"} <= set(out_of_tree.policies)
    policy = out_of_tree.policy("testcounty")
    assert policy.name_en == "Test County"
    monkeypatch.setattr(cases, "registry", lambda: out_of_tree)
    case = tmp_path / "bonus.case.yaml"
    case.write_text(block("yaml", 1))
    assert cases.run(cases.load(case)).ok
    monkeypatch.setattr("countypay.conformance.registry", lambda: out_of_tree)
    exec(block("python", 1), {})


def test_parameters_resolve_by_date_then_county_then_run(out_of_tree):
    policy = out_of_tree.policy("testcounty")
    comp = policy.component("bonus")
    assert in_force(policy, "bonus", date(2024, 6, 30))["bonus"].value == "100.00"
    assert resolve(policy, comp, Period.parse("2024H2")).model.bonus == Decimal("200.00")
    r = resolve(policy, comp, Period.parse("2024"), county={"bonus": "150.00"})
    assert r.model.bonus == Decimal("150.00") and r.sources["bonus"] == "county override"
    r = resolve(policy, comp, Period.parse("2024"), county={"bonus": "150.00"}, run={"bonus": "1.00"})
    assert r.model.bonus == Decimal("1.00") and r.sources["bonus"] == "run override"
    with pytest.raises(InputError, match=r"parameters: bonus.bonus: Input should be a valid decimal"):
        resolve(policy, comp, Period.parse("2024"), run={"bonus": "lots"})


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
