"""Lists of plain objects completed by a plan, not field by field.

graphql-core completes every field of every list item on its own: resolve info, path,
resolver, then the leaf's output coercion — for a push of 100 check-ins, whose results are
100 objects of nine attributes, that was about an eighth of the server's CPU per check-in
(bench/checkin_surge.py). Most large lists here are lists of plain objects: a push's
results, a pull's changes, a shelter's people. For such a list the plan, made once per
(item type, selection), reads each selected attribute and coerces it with the same output
coercion graphql-core uses.

A plan applies only where skipping the per-field machinery changes nothing: a list of an
object type with no `is_type_of`, selected by one field node, whose selection is plain
fields (no arguments, directives, fragments or sub-selections) of strawberry basic fields
(no resolver, no field extension), with no field middleware. Anything else — and any item
or value the plan would not complete exactly as graphql-core does (an exception, a null
where one is not allowed, a value that does not coerce) — goes to graphql-core, which
completes the list from the start and reports the error as always (completing a basic
field has no side effects, so completing it twice is safe).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from graphql import (
    FieldNode,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    Undefined,
    is_leaf_type,
)

Plan = tuple[bool, tuple[tuple[str, Callable[[Any], Any], GraphQLLeafType | None, bool], ...]]
_NO_PLAN = object()
_PLANS: dict[tuple[int, int], tuple[Any, FieldNode, GraphQLList[Any]]] = {}
_MAX_PLANS = 4096  # distinct (list type, selection) pairs; then they are made again


def _leaf_getter(graphql_field: Any) -> Callable[[Any], Any] | None:
    """How a basic strawberry field reads its value from the source object (what its
    resolver does), or None for any other field."""
    strawberry_field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    # strawberry marks the resolver of a basic field (no resolver, extension or error handler)
    if not isinstance(strawberry_field, StrawberryField) or not getattr(graphql_field.resolve, "_is_default", False):
        return None
    read, name = strawberry_field.default_resolver, strawberry_field.python_name
    return lambda source: read(source, name)


def _make_plan(item_type: GraphQLOutputType, nodes: list[FieldNode]) -> Plan | None:
    nullable_items = not isinstance(item_type, GraphQLNonNull)
    object_type = item_type if nullable_items else item_type.of_type  # type: ignore[union-attr]
    if not isinstance(object_type, GraphQLObjectType) or object_type.is_type_of is not None:
        return None
    selection_set = nodes[0].selection_set
    if selection_set is None:
        return None
    fields = []
    for selection in selection_set.selections:
        if not isinstance(selection, FieldNode) or selection.directives or selection.arguments \
                or selection.selection_set is not None:
            return None
        name = selection.name.value
        key = selection.alias.value if selection.alias else name
        if name == "__typename":
            type_name = object_type.name
            fields.append((key, lambda _source, t=type_name: t, None, True))
            continue
        graphql_field = object_type.fields.get(name)
        if graphql_field is None:
            return None
        leaf_type, non_null = graphql_field.type, False
        if isinstance(leaf_type, GraphQLNonNull):
            leaf_type, non_null = leaf_type.of_type, True
        if not is_leaf_type(leaf_type):
            return None
        getter = _leaf_getter(graphql_field)
        if getter is None:
            return None
        fields.append((key, getter, leaf_type, non_null))
    if len({key for key, *_ in fields}) != len(fields):  # a key selected twice: merged by graphql-core
        return None
    return nullable_items, tuple(fields)


def _plan(list_type: GraphQLList[Any], nodes: list[FieldNode]) -> Plan | None:
    if len(nodes) != 1:
        return None
    # Parsed documents are cached (ParserCache), so the same node comes again; the entry
    # holds the node and the type, so neither id can be reused while it is kept.
    key = (id(list_type), id(nodes[0]))
    found = _PLANS.get(key)
    if found is None or found[1] is not nodes[0] or found[2] is not list_type:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        made = _make_plan(list_type.of_type, nodes)
        found = _PLANS[key] = (_NO_PLAN if made is None else made, nodes[0], list_type)
    plan = found[0]
    return None if plan is _NO_PLAN else plan


def complete(plan: Plan, items: Iterable[Any]) -> list[Any] | None:
    """The completed list, or None where graphql-core must do it."""
    nullable_items, fields = plan
    completed: list[Any] = []
    for item in items:
        if item is None or item is Undefined:
            if not nullable_items:
                return None
            completed.append(None)
            continue
        if isinstance(item, Exception):
            return None
        row: dict[str, Any] = {}
        for key, read, leaf, non_null in fields:
            try:
                value = read(item)
                if value is None or value is Undefined:
                    if non_null:
                        return None
                    row[key] = None
                    continue
                if isinstance(value, Exception):
                    return None
                coerced = value if leaf is None else leaf.coerce_output_value(value)
            except Exception:  # noqa: BLE001 — graphql-core completes it again and reports it, with its path
                return None
            if coerced is None or coerced is Undefined:
                return None
            row[key] = coerced
        completed.append(row)
    return completed


def _has_middleware(manager: Any) -> bool:
    """strawberry passes a manager on every request, empty unless an extension resolves."""
    return manager is not None and bool(manager.middlewares)


class PlannedExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """strawberry's execution context, completing plain lists by plan (module docstring)."""

    def complete_list_value(self, return_type: Any, field_details_list: Any, info: Any, path: Any,
                            result: Any, position_context: Any) -> Any:
        if not _has_middleware(self.middleware_manager) and isinstance(result, (list, tuple)) and all(
            details.defer_usage is None and details.fragment_variable_values is None
            for details in field_details_list
        ):
            plan = _plan(return_type, [details.node for details in field_details_list])
            if plan is not None:
                completed = complete(plan, result)
                if completed is not None:
                    return completed
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)
