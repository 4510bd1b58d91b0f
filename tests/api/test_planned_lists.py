"""Lists completed by plan (backend/api/planned_lists.py) answer exactly what graphql-core's
field-by-field completion answers: the same data and the same errors, for the lists a plan
takes and for those it leaves to graphql-core."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

import pytest
import strawberry
from strawberry.scalars import JSON

from backend.api import planned_lists


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    id: strawberry.ID
    name: str
    count: int
    ratio: float | None
    colour: Colour
    at: dt.datetime | None
    data: JSON | None
    flag: bool = False

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def items(self, broken: str = "") -> list[Item]:
        rows = [
            Item(id=strawberry.ID(f"i{n}"), name=f"名前{n}", count=n, ratio=n / 3 if n % 2 else None,
                 colour=Colour.RED if n % 2 else Colour.BLUE, at=dt.datetime(2026, 11, 27, 9, n, tzinfo=dt.UTC),
                 data={"n": n, "nested": [1, "二"]} if n else None, flag=bool(n % 3))
            for n in range(5)
        ]
        if broken == "null-name":
            rows[2].name = None  # type: ignore[assignment]
        if broken == "bad-enum":
            rows[3].colour = "PURPLE"  # type: ignore[assignment]
        if broken == "bad-int":
            rows[1].count = "many"  # type: ignore[assignment]
        return rows

    @strawberry.field
    def maybe_items(self) -> list[Item | None] | None:
        return [None, Item(id=strawberry.ID("x"), name="x", count=1, ratio=None, colour=Colour.RED, at=None,
                           data=None)]

    @strawberry.field
    def strict_items(self) -> list[Item]:
        return [None]  # type: ignore[list-item]


PLAIN = "{ items { id name count ratio colour at data flag } }"
QUERIES = [
    PLAIN,
    "{ items { __typename key: id name } }",  # an alias and __typename
    "{ items { name shout } }",  # a field with a resolver: not planned
    "{ items { name ...F } } fragment F on Item { count }",  # a fragment: not planned
    "{ items { name @include(if: true) count } }",  # a directive: not planned
    "{ maybeItems { id name } }",
    "{ strictItems { id } }",
    '{ items(broken: "null-name") { id name } }',
    '{ items(broken: "bad-enum") { id colour } }',
    '{ items(broken: "bad-int") { id count } }',
    "{ a: items { id } b: items { name } }",
]


def _schemas() -> tuple[strawberry.Schema, strawberry.Schema]:
    return (strawberry.Schema(query=Query),
            strawberry.Schema(query=Query, execution_context_class=planned_lists.PlannedExecutionContext))


def _plain(result: Any) -> dict[str, Any]:
    return {"data": result.data, "errors": [e.formatted for e in result.errors or []]}


@pytest.mark.parametrize("query", QUERIES)
def test_planned_lists_answer_what_graphql_core_answers(query: str) -> None:
    field_by_field, planned = _schemas()
    expected = _plain(field_by_field.execute_sync(query))
    assert _plain(planned.execute_sync(query)) == expected
    assert _plain(planned.execute_sync(query)) == expected  # a second time, from the stored plan


def test_a_plain_list_is_completed_by_the_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    completed: list[int] = []
    complete = planned_lists.complete

    def counting(plan: Any, items: Any) -> Any:
        result = complete(plan, items)
        completed.append(-1 if result is None else len(result))
        return result

    monkeypatch.setattr(planned_lists, "complete", counting)
    _, planned = _schemas()
    result = planned.execute_sync(PLAIN)
    assert not result.errors
    assert result.data["items"][1] == {
        "id": "i1", "name": "名前1", "count": 1, "ratio": pytest.approx(1 / 3), "colour": "RED",
        "at": "2026-11-27T09:01:00+00:00", "data": {"n": 1, "nested": [1, "二"]}, "flag": True,
    }
    assert completed == [5]
    completed.clear()
    assert planned.execute_sync('{ items(broken: "null-name") { id name } }').errors
    assert completed == [-1]  # the plan gave up; graphql-core reported the null


def test_the_push_results_are_completed_by_the_plan() -> None:
    from backend.api.registry import build_registry
    from backend.api.schema import build_schema

    schema = build_schema(build_registry())
    assert schema.execution_context_class is planned_lists.PlannedExecutionContext
