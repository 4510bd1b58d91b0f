"""A push's variables into its typed inputs, by a plan made once per input type.

strawberry turns GraphQL input values into input objects field by field, resolving each
field's type and GraphQL name again for every value: for a push of 100 check-ins that was
about a quarter of the server's CPU per check-in (bench/checkin_surge.py). `plan_inputs`
gives each input type reachable from the push input a `from_input` (strawberry's hook for
input types that build their own value) that does the same conversion from a plan: the
fields' names and converters, worked out on first use. What the plan does not know (any
type but optional, list, scalar, enum and input object) is left to strawberry, per field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import MISSING
from typing import Any

from strawberry.scalars import is_scalar
from strawberry.types.arguments import InputContext, convert_argument
from strawberry.types.base import (
    StrawberryList,
    StrawberryMaybe,
    StrawberryObjectDefinition,
    StrawberryOptional,
    has_object_definition,
)
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition
from strawberry.types.lazy_type import LazyType

Convert = Callable[[Any, InputContext], Any]
_PLANS: dict[type, tuple[dict[str, None], list[tuple[str, str, Convert]]]] = {}


def _identity(value: Any, _ctx: InputContext) -> Any:
    return value


def _converter(type_: Any, ctx: InputContext) -> Convert:
    if isinstance(type_, LazyType):
        type_ = type_.resolve_type()
    if isinstance(type_, StrawberryOptional) and not isinstance(type_, StrawberryMaybe):
        inner = _converter(type_.of_type, ctx)
        return lambda value, c: None if value is None else inner(value, c)
    if isinstance(type_, StrawberryList):
        item = _converter(type_.of_type, ctx)
        if item is _identity:  # copied: graphql-core shares default lists between requests
            return lambda value, c: None if value is None else list(value)
        return lambda value, c: None if value is None else [item(v, c) for v in value]
    if isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_):
        return _identity  # graphql-core gives the enum member
    if is_scalar(type_, ctx.scalar_registry):
        return _identity
    if has_object_definition(type_) and type_.__strawberry_definition__.is_input:
        cls = type_
        return lambda value, c: None if value is None else _from_input(cls, value, c)

    def by_strawberry(value: Any, c: InputContext) -> Any:
        return convert_argument(value, type_, c.scalar_registry, c.config, c.info, path=c.path)

    return by_strawberry


def _plan(cls: type, ctx: InputContext) -> tuple[dict[str, None], list[tuple[str, str, Convert]]]:
    definition: StrawberryObjectDefinition = cls.__strawberry_definition__  # type: ignore[attr-defined]
    defaults = {
        field.python_name: None
        for field in definition.fields
        if field.default_value is MISSING and field.default_factory is MISSING
    }
    fields = [
        (ctx.config.name_converter.from_field(field), field.python_name,
         _converter(field.resolve_type(type_definition=definition), ctx))
        for field in definition.fields
    ]
    return defaults, fields


def _from_input(cls: type, value: Mapping[str, Any], ctx: InputContext) -> Any:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _plan(cls, ctx)
    defaults, fields = plan
    kwargs = dict(defaults)
    for graphql_name, python_name, convert in fields:
        if graphql_name in value:
            kwargs[python_name] = convert(value[graphql_name], ctx)
    return cls(**kwargs)


def plan_inputs(root: type) -> None:
    """Give `root` and every input type it reaches (through its fields' types) the planned
    conversion, unless a type already builds its own value."""
    seen: set[type] = set()
    stack: list[Any] = [root]
    while stack:
        type_ = stack.pop()
        while isinstance(type_, (StrawberryOptional, StrawberryList, LazyType)):
            type_ = type_.resolve_type() if isinstance(type_, LazyType) else type_.of_type
        if type_ in seen or not has_object_definition(type_):
            continue
        seen.add(type_)
        definition: StrawberryObjectDefinition = type_.__strawberry_definition__
        if not definition.is_input:
            continue
        if definition.from_input is None:
            definition.from_input = _from_input
        stack.extend(field.resolve_type(type_definition=definition) for field in definition.fields)
