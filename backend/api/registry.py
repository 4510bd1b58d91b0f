"""Every domain's plug-ins, gathered in one place."""

from __future__ import annotations

import importlib

from backend.accounts import actions as accounts_actions
from backend.board import actions as board_actions
from backend.core.actions import Registry
from backend.market import actions as market_actions
from backend.safety import actions as safety_actions


def build_registry(plugins: str | None = None) -> Registry:
    """All domains' actions and audiences, plus optional plugins ("module:function,…").

    A plugin is a function taking the registry, for a municipality's own actions; the test
    suite uses one to add test-only actions to a real server process.
    """
    registry = Registry()
    accounts_actions.register(registry)
    board_actions.register(registry)
    safety_actions.register(registry)
    market_actions.register(registry)
    for spec in filter(None, (p.strip() for p in (plugins or "").split(","))):
        module_name, _, function_name = spec.partition(":")
        function = getattr(importlib.import_module(module_name), function_name or "register")
        function(registry)
    return registry
