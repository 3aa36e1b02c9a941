"""The plugin host: entry-point discovery, the contract's checks, dated parameters."""
import sys
import textwrap
from datetime import date
from decimal import Decimal

import pluggy
import pytest

from countypay import cases, host
from countypay.errors import InputError
from countypay.params import in_force, resolve
from countypay.period import Period

PLUGIN = '''
"""A county that pays a flat bonus split equally: a policy written outside countypay."""
from decimal import Decimal
from pathlib import Path
from countypay.hookspecs import hookimpl
from countypay.policy import Component, Model, Outcome, Policy
from countypay.toolkit import split_equal

class Inputs(Model):
    units: list[str]

class Params(Model):
    bonus: Decimal

def settle(inputs, params, period):
    out = Outcome()
    for code, amount in zip(inputs.units, split_equal(params.bonus, len(inputs.units))):
        out.add(code, "bonus", amount, {"formula": "bonus / N"})
    out.pool("bonus", params.bonus, [(u, "bonus") for u in inputs.units])
    return out

POLICY = Policy(code="testcounty", county="testcounty", name_zh="测试县", name_en="Test County",
                version="9.9", components=(Component("bonus", "奖金", "Bonus", Inputs, Params, settle),),
                parameter_file=Path(__file__).with_name("parameters.yaml"))

@hookimpl
def countypay_policies():
    return [POLICY]
'''


@pytest.fixture
def out_of_tree(tmp_path, monkeypatch):
    """A plugin installed as its own distribution: a package and its dist-info on sys.path."""
    site = tmp_path / "site"
    pkg = site / "countypay_testcounty"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(PLUGIN)
    (pkg / "parameters.yaml").write_text(textwrap.dedent("""\
        bonus:
          bonus:
            - {from: 2020-01-01, value: '100.00', reference: illustrative}
            - {from: 2024-07-01, value: '200.00', reference: illustrative}
        """))
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
    case.write_text(textwrap.dedent("""\
        policy: testcounty
        component: bonus
        period: '2024'
        inputs: {units: [U2, U1, U3]}
        expected:
          lines:
            - {entity: U2, line: bonus, value: '33.34'}
            - {entity: U3, line: bonus, value: '33.33'}
        """))
    assert cases.run(cases.load(case)).ok


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


def test_a_misspelt_hook_fails_at_registration():
    from countypay.hookspecs import hookimpl

    class Typo:
        @hookimpl
        def countypay_polices(self):  # misspelt
            return []

    pm = host.plugin_manager(load_entry_points=False)
    pm.register(Typo())
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


def test_the_bundled_policies_register_like_any_other():
    reg = host.registry()
    dists = {dist.project_name for _, dist in reg.pm.list_plugin_distinfo()}
    assert "haiyan" in reg.policies and dists == {"countypay"}


def test_a_case_with_an_unknown_policy_is_invalid(tmp_path):
    case = tmp_path / "x.case.yaml"
    case.write_text("policy: nowhere\ncomponent: c\nperiod: '2024'\ninputs: {}\nexpected: {lines: []}\n")
    with pytest.raises(cases.InvalidCase, match="no policy 'nowhere' is installed"):
        cases.run(cases.load(case))
