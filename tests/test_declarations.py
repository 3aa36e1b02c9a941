"""What a plugin declares for people (its policy's names, version and source; each component's
names and lines) is read from the policy.yaml beside its modules: checked once, refused in one
line naming the file and the field, and, for the bundled plugins, covering every line a case
produces."""
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from countypay import cases
from countypay.errors import InputError
from countypay.exports import spec_for
from countypay.host import registry
from countypay.policy import Component, LineSpec, Model, Outcome, Policy, declarations
from countypay.toolkit import WORK_EQUIVALENT

ROOT = Path(__file__).parents[1]
SHARED = ROOT.parent / "shared" / "cases"
CASES = sorted(ROOT.glob("plugins/*/cases/*.case.yaml")) + sorted(SHARED.glob("*.case.yaml"))

GOOD = """\
policy:
  code: qingshan
  county: qingshan
  name_zh: 青山县绩效奖励
  name_en: Qingshan performance bonus
  version: 0.1.0
  reference: illustrative
components:
  bonus:
    name_zh: 绩效奖励
    name_en: Performance bonus
    lines:
      - {entity: county, code: reserve, description: 留存, name_zh: 留存, name_en: Reserve}
      - {entity: institution, code: bonus.<year>, description: "the year's bonus, by score",
         name_zh: 年度奖励, name_en: Bonus of the year}
"""


class Inputs(Model):
    fund: Decimal


def settle(inputs, params, period):
    return Outcome()


def declare(folder: Path, text: str, code: str = "bonus") -> Component:
    """The component `code` of a module in `folder` whose policy.yaml is `text`."""
    (folder / "policy.yaml").write_text(text, encoding="utf-8")
    return Component.declare(folder / "bonus.py", code, inputs=Inputs, parameters=Inputs, settle=settle)


def refusal(folder: Path, text: str, code: str = "bonus") -> str:
    with pytest.raises(InputError) as e:
        declare(folder, text, code)
    message = str(e.value)
    assert "\n" not in message and message.startswith(f"{folder / 'policy.yaml'}: "), message
    return message.removeprefix(f"{folder / 'policy.yaml'}: ")


def test_a_component_takes_its_names_and_lines_from_the_file_and_its_rules_from_the_code(tmp_path):
    c = declare(tmp_path, GOOD)
    assert (c.code, c.name_zh, c.name_en, c.inputs, c.settle, c.gather, c.benchmarks) == (
        "bonus", "绩效奖励", "Performance bonus", Inputs, settle, None, None)
    assert c.lines == (LineSpec("county", "reserve", "留存", name_zh="留存", name_en="Reserve"),
                       LineSpec("institution", "bonus.<year>", "the year's bonus, by score",
                                name_zh="年度奖励", name_en="Bonus of the year"))
    assert c.lookback(None) == 1  # the dataclass's own default when none is given
    policy = Policy.declare(tmp_path / "__init__.py", components=(c,))
    assert (policy.code, policy.county, policy.name_zh, policy.version, policy.reference) == (
        "qingshan", "qingshan", "青山县绩效奖励", "0.1.0", "illustrative")
    assert policy.parameter_file == tmp_path / "parameters.yaml" and policy.components == (c,)


def test_an_unknown_key_is_refused_naming_it(tmp_path):
    text = GOOD.replace("    name_en: Performance bonus\n", "    name_en: Performance bonus\n    nmae_zh: 奖励\n")
    assert refusal(tmp_path, text) == "components.bonus.nmae_zh: Extra inputs are not permitted"


def test_a_line_without_a_code_is_refused_naming_the_component_and_the_line(tmp_path):
    text = GOOD.replace("{entity: county, code: reserve, ", "{entity: county, ")
    assert refusal(tmp_path, text) == "components.bonus.lines[0].code: Field required"


def test_a_component_the_python_declares_and_the_file_does_not_is_refused(tmp_path):
    assert refusal(tmp_path, GOOD, "reserve_fund") == (
        "components.reserve_fund: not declared, though the Python declares component 'reserve_fund' "
        "(the file declares: bonus)")


def test_a_file_that_is_not_yaml_is_refused_naming_where(tmp_path):
    text = GOOD.replace("name_zh: 留存, name_en: Reserve}", "name_zh: 留存, name_en: Reserve")
    assert refusal(tmp_path, text) == ("line 14, column 9: not valid YAML: expected ',' or '}', but got '{'; "
                                       "component 'bonus' takes its names and lines from it")


def test_a_missing_file_is_refused_naming_the_component(tmp_path):
    with pytest.raises(InputError, match=r"policy\.yaml: cannot read it: No such file or directory; "
                                         r"component 'bonus' takes its names and lines from it$"):
        Component.declare(tmp_path / "bonus.py", "bonus", inputs=Inputs, parameters=Inputs, settle=settle)


@pytest.mark.parametrize("change, problem", [
    (("version: 0.1.0", "version: 1.0"), "policy.version: Input should be a valid string"),
    (("name_en: Reserve}", "name_en: ''}"),
     "components.bonus.lines[0].name_en: String should have at least 1 character"),
    (("  reference: illustrative\n", ""), "policy.reference: Field required"),
    (("    lines:\n", "    lines: []\n    old_lines:\n"),
     "components.bonus.lines: List should have at least 1 item after validation, not 0"),
])
def test_a_number_an_empty_name_or_a_missing_field_is_refused_naming_it(tmp_path, change, problem):
    assert problem in refusal(tmp_path, GOOD.replace(*change)).split("; ")


def test_a_component_the_file_declares_and_the_policy_lacks_is_refused(tmp_path):
    declare(tmp_path, GOOD)
    with pytest.raises(InputError, match=r"components\.bonus: not a component of policy 'qingshan' \(its components: "):
        Policy.declare(tmp_path / "__init__.py", components=())


def test_a_file_of_components_alone_declares_no_policy(tmp_path):
    (tmp_path / "shared.yaml").write_text(GOOD[GOOD.index("components:"):], encoding="utf-8")
    c = Component.declare(tmp_path / "shared.yaml", "bonus", inputs=Inputs, parameters=Inputs, settle=settle)
    assert c.name_en == "Performance bonus" and len(c.lines) == 2
    with pytest.raises(InputError, match=r"shared\.yaml: policy: not declared; the policy takes its names, version"):
        Policy.declare(tmp_path / "shared.yaml", components=(c,))


def test_a_broken_file_stops_countypay_with_one_line(tmp_path):
    """An installed plugin whose policy.yaml is broken: `countypay plugins` says which file and
    field, in one line, and no traceback."""
    package = tmp_path / "site" / "countypay_broken"
    package.mkdir(parents=True)
    (package / "policy.yaml").write_text(GOOD.replace("code: reserve, ", ""), encoding="utf-8")
    (package / "__init__.py").write_text(
        "from decimal import Decimal\n"
        "from countypay.hookspecs import hookimpl\n"
        "from countypay.policy import Component, Model, Outcome, Policy\n\n"
        "class Inputs(Model):\n    fund: Decimal\n\n"
        "BONUS = Component.declare(__file__, 'bonus', inputs=Inputs, parameters=Inputs,\n"
        "                          settle=lambda i, p, period: Outcome())\n"
        "POLICY = Policy.declare(__file__, components=(BONUS,))\n\n"
        "@hookimpl\ndef countypay_policies():\n    return [POLICY]\n")
    info = package.parent / "countypay_broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: countypay-broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[countypay.policies]\nbroken = countypay_broken\n")
    env = {**{k: v for k, v in os.environ.items() if k != "DATABASE_URL"}, "PYTHONPATH": str(package.parent)}
    result = subprocess.run([sys.executable, "-P", "-c", "from countypay.cli import main; main()", "plugins"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert result.stderr.strip() == (f"countypay: {package / 'policy.yaml'}: "
                                     "components.bonus.lines[0].code: Field required"), result.stderr


def test_each_bundled_plugin_takes_its_names_and_lines_from_its_file_and_the_shared_component_from_the_core():
    files = sorted(ROOT.glob("plugins/*/policy.yaml"))
    assert [f.parent.name for f in files] == ["changting", "chengwu", "deqing", "haiyan", "qinghai", "suixi"]
    policies = registry().policies
    for policy in policies.values():
        declared = declarations(policy.parameter_file.with_name("policy.yaml"))
        assert declared.policy.code == policy.code and declared.policy.name_zh == policy.name_zh
        own = [c.code for c in policy.components if c is not WORK_EQUIVALENT]
        assert list(declared.components) == own
    assert policies["haiyan"].component("work_equivalent") is WORK_EQUIVALENT
    assert policies["deqing"].component("work_equivalent") is WORK_EQUIVALENT
    assert WORK_EQUIVALENT.lines[0] == LineSpec("county", "fund", "年度购买服务资金 F", name_zh="年度购买服务资金",
                                                name_en="Purchase fund")


@pytest.mark.parametrize("path", CASES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_line_a_case_produces_is_declared(path):
    """Each line a case's settlement produces has its spec (so a name) among its component's lines."""
    result = cases.run(cases.load(path))
    component = result.computation.component
    undeclared = sorted({(l.entity, l.code) for l in result.computation.outcome.lines
                         if spec_for(component.lines, l.entity, l.code) is None})
    assert result.computation.outcome.lines and not undeclared, (component.code, undeclared)
