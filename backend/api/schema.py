"""The GraphQL schema, assembled from each domain's query, mutation and subscription parts."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import dateutil.parser  # type: ignore[import-untyped]
import strawberry
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
from strawberry.extensions.max_aliases import create_validator as aliases_rule
from strawberry.extensions.query_depth_limiter import create_validator as depth_rule
from strawberry.schema.types.base_scalars import DateTimeDefinition, wrap_parser
from strawberry.tools import merge_types

from backend.accounts.resolvers import AccountsMutation, AccountsQuery
from backend.api.errors import PublicErrors
from backend.api.planned_lists import PlannedExecutionContext
from backend.board.resolvers import BoardMutation, BoardQuery
from backend.core.actions import Registry
from backend.market.resolvers import MarketMutation, MarketQuery
from backend.push.resolvers import PushMutation, PushQuery
from backend.safety.resolvers import SafetyMutation, SafetyQuery, SafetySubscription
from backend.sync.resolvers import build_sync_fields
from backend.sync.types import build_action_types

MAX_DEPTH = 12
MAX_ALIASES = 30
MAX_TOKENS = 4000

# Built once: a new rule class per request would defeat the validation cache (TOOLING.md).
_LIMIT_RULES = [depth_rule(MAX_DEPTH, None), aliases_rule(MAX_ALIASES)]


def _parse_datetime(value: str) -> dt.datetime:
    """The standard library first: strawberry's dateutil parser took about a tenth of the
    server's CPU in a push of 100 check-ins (two timestamps each; bench/checkin_surge.py)."""
    try:
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        parsed: dt.datetime = dateutil.parser.isoparse(value)  # what strawberry accepted before
        return parsed


_DATETIME = dataclasses.replace(DateTimeDefinition, parse_value=wrap_parser(_parse_datetime, "DateTime"))


class OtagaiSchema(strawberry.Schema):
    """Every Otagai schema masks unexpected errors (api/errors.py), over HTTP and WebSocket,
    and completes lists of plain objects by plan (api/planned_lists.py)."""

    def __init__(self, *args: Any, extensions: Any = (), **kwargs: Any) -> None:
        kwargs.setdefault("execution_context_class", PlannedExecutionContext)
        super().__init__(*args, extensions=[*extensions, PublicErrors], **kwargs)

    def process_errors(self, errors: Any, execution_context: Any = None) -> None:
        """The view logs unexpected errors once, with the request id (api/view.py)."""


def build_schema(registry: Registry) -> strawberry.Schema:
    sync_query, sync_mutation, sync_subscription = build_sync_fields(build_action_types(registry))
    query: Any = merge_types("Query", (AccountsQuery, BoardQuery, MarketQuery, PushQuery, SafetyQuery, sync_query))
    mutation: Any = merge_types("Mutation", (AccountsMutation, BoardMutation, MarketMutation, PushMutation, SafetyMutation, sync_mutation))
    subscription: Any = merge_types("Subscription", (SafetySubscription, sync_subscription))
    return OtagaiSchema(
        query=query,
        mutation=mutation,
        subscription=subscription,
        scalar_overrides={dt.datetime: _DATETIME},
        # Factories make a fresh extension per request; the caches live at module level and
        # the limit rules are the same classes every time, so the validation cache still hits.
        extensions=[
            lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: AddValidationRules(_LIMIT_RULES),
        ],
    )


def schema_sdl(registry: Registry) -> str:
    return build_schema(registry).as_str() + "\n"


if __name__ == "__main__":
    from backend.api.registry import build_registry

    print(schema_sdl(build_registry()), end="")
