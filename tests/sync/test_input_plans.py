"""A push's input is converted by plans made once per input type (backend/sync/input_plans.py);
the typed inputs the handlers get must be exactly those strawberry's own conversion builds."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from strawberry.types.arguments import convert_argument
from strawberry.types.base import StrawberryList, StrawberryOptional, has_object_definition

from backend.api.registry import build_registry
from backend.api.schema import build_schema
from backend.sync import input_plans
from graphql import GraphQLInputType, coerce_input_value

INCIDENT, PERSON, SHELTER = (f"00000000-0000-4000-8000-00000000000{i}" for i in range(1, 4))


def envelope(seq: int, args: dict[str, Any]) -> dict[str, Any]:
    return {"mutationId": f"m{seq}", "seq": seq, "clientTime": "2026-11-26T09:00:00+09:00", "argsVersion": 1,
            "args": args}


PUSH = {
    "clientId": "phone-1", "appVersion": "1.0.0", "sentAt": "2026-11-26T09:00:05+09:00",
    "mutations": [
        envelope(1, {"checkIn": {"id": "c1", "incidentId": INCIDENT, "condition": "SAFE"}}),
        envelope(2, {"checkIn": {
            "id": "c2", "incidentId": INCIDENT, "condition": "NEED_HELP", "subjectId": PERSON,
            "place": "SHELTER", "shelterId": SHELTER, "needs": ["MEDICAL", "WATER"], "comment": "足が痛い",
            "location": {"lat": 35.68, "lon": 139.76},
        }}),
        envelope(3, {"checkIn": {"id": "c3", "incidentId": INCIDENT, "condition": "SAFE", "needs": [],
                                 "comment": None, "location": None}}),
    ],
}


def _input_types(root: Any) -> Iterator[type]:
    seen: set[type] = set()
    stack = [root]
    while stack:
        type_ = stack.pop()
        while isinstance(type_, (StrawberryOptional, StrawberryList)):
            type_ = type_.of_type
        if has_object_definition(type_) and type_ not in seen and type_.__strawberry_definition__.is_input:
            seen.add(type_)
            definition = type_.__strawberry_definition__
            stack.extend(f.resolve_type(type_definition=definition) for f in definition.fields)
    yield from seen


@contextmanager
def without_plans(root: Any) -> Iterator[None]:
    planned = {t: t.__strawberry_definition__.from_input for t in _input_types(root)}
    for t in planned:
        t.__strawberry_definition__.from_input = None
    try:
        yield
    finally:
        for t, hook in planned.items():
            t.__strawberry_definition__.from_input = hook


@pytest.fixture(scope="module")
def converted() -> tuple[Any, Any, Any]:
    registry = build_registry()
    schema = build_schema(registry)
    push_input = next(
        t for t in _input_types_of_schema(schema) if t.__strawberry_definition__.name == "PushInput"
    )
    graphql_type: GraphQLInputType = schema._schema.get_type("PushInput")  # type: ignore[assignment]
    value = coerce_input_value(PUSH, graphql_type)  # what graphql-core hands to strawberry

    def convert() -> Any:
        return convert_argument(value, push_input, schema.schema_converter.scalar_registry, schema.config)

    planned = convert()
    with without_plans(push_input):
        by_strawberry = convert()
    return push_input, planned, by_strawberry


def _input_types_of_schema(schema: Any) -> Iterator[type]:
    for definition in schema.schema_converter.type_map.values():
        origin = getattr(definition.definition, "origin", None)
        if origin is not None and has_object_definition(origin) and origin.__strawberry_definition__.is_input:
            yield origin


def test_every_input_type_of_a_push_converts_by_plan(converted: tuple[Any, Any, Any]) -> None:
    push_input, _, _ = converted
    types = list(_input_types(push_input))
    assert len(types) > 5  # PushInput, MutationEnvelope, ActionInput, each action's, nested
    assert all(t.__strawberry_definition__.from_input is input_plans._from_input for t in types)


def test_a_planned_push_is_what_strawberry_builds(converted: tuple[Any, Any, Any]) -> None:
    _, planned, by_strawberry = converted
    assert planned == by_strawberry
    full = planned.mutations[1].args.check_in
    assert (full.condition.value, full.place.value, [n.value for n in full.needs]) == (
        "NEED_HELP", "SHELTER", ["MEDICAL", "WATER"])
    assert (full.location.lat, full.location.lon, full.comment) == (35.68, 139.76, "足が痛い")
    assert planned.mutations[0].args.check_in.needs is None
    assert planned.mutations[2].args.check_in.needs == []
    # Lists are copied, never shared with graphql-core's value (its defaults are reused).
    assert planned.mutations is not by_strawberry.mutations
