"""The plugin host: finds policy plugins through the `countypay.policies` entry points."""
from __future__ import annotations

from functools import lru_cache

import pluggy

from . import hookspecs
from .policy import IndicatorDef, Policy

GROUP = "countypay.policies"


def plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    pm = pluggy.PluginManager("countypay")
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        pm.load_setuptools_entrypoints(GROUP)
    return pm


class PluginError(ValueError):
    """An installed plugin breaks the contract; countypay refuses to start with it."""


class Registry:
    """The policies and indicators that the registered plugins declare."""

    def __init__(self, pm: pluggy.PluginManager):
        try:
            pm.check_pending()  # a hook implementation with no specification: a misspelt name
        except pluggy.PluginValidationError as e:
            raise PluginError(f"plugin {pm.get_name(e.plugin) or e.plugin!r}: {e}; the hooks are "
                              f"{', '.join(sorted(n for n in dir(hookspecs) if n.startswith('countypay_')))}") from None
        self.pm = pm
        self.policies: dict[str, Policy] = {}
        for batch in pm.hook.countypay_policies():
            for policy in batch:
                if policy.code in self.policies:
                    raise PluginError(f"two plugins declare the policy {policy.code!r}")
                self.policies[policy.code] = policy
        self.indicators: dict[str, IndicatorDef] = {}
        for ind in [i for p in self.policies.values() for i in p.indicators] + [
                i for batch in pm.hook.countypay_indicators() for i in batch]:
            if self.indicators.setdefault(ind.code, ind) != ind:
                raise PluginError(f"indicator {ind.code!r} is declared twice, differently")

    def policy(self, code: str) -> Policy:
        try:
            return self.policies[code]
        except KeyError:
            known = ", ".join(sorted(self.policies)) or "none"
            raise KeyError(f"no policy {code!r} is installed (installed: {known})") from None


@lru_cache(maxsize=1)
def registry() -> Registry:
    """The registry of installed plugins, built once per process."""
    return Registry(plugin_manager())
