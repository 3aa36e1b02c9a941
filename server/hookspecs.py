"""The plugin contract: the hooks a countypay policy plugin implements.

A plugin is a module or object with functions marked `@hookimpl`, registered under the
`countypay.policies` entry-point group in its package metadata::

    [project.entry-points."countypay.policies"]
    mycounty = "countypay_mycounty"

pluggy checks every implementation against the specifications below when it registers, so a
misspelt hook or argument fails at start-up rather than at settlement time.
"""
from __future__ import annotations

import pluggy

from .policy import IndicatorDef, Policy

hookspec = pluggy.HookspecMarker("countypay")
hookimpl = pluggy.HookimplMarker("countypay")


@hookspec
def countypay_policies() -> list[Policy]:
    """Declare the policies this plugin provides.

    Called once when countypay starts. Return a list of `countypay.policy.Policy`: code,
    county, Chinese and English names, version, components (each with its input and parameter
    shapes, its pure `settle` function and optionally `gather`), the YAML file of dated default
    parameters, and the indicators the policy reads. Codes must be unique across plugins.

    Example::

        @hookimpl
        def countypay_policies():
            return [Policy(code="mycounty", county="mycounty", name_zh="某县", name_en="Some County",
                           version="1.0", components=(BONUS,),
                           parameter_file=Path(__file__).with_name("parameters.yaml"))]
    """


@hookspec
def countypay_indicators() -> list[IndicatorDef]:
    """Declare indicator definitions that belong to no policy's settlement.

    For catalogues a county reports on before it pays by them (targets and attainment only).
    Indicators a policy reads are declared on the `Policy` itself, not here.

    Example::

        @hookimpl
        def countypay_indicators():
            return [IndicatorDef("avg_stay_days", "平均住院日", "Average length of stay", "day",
                                 entity="county", direction="lower")]
    """
