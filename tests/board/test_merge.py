"""The pure rules of a post edit: apply, merge per field, later wins, nothing lost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from backend.board.merge import plan_edit
from backend.core.errors import ValidationFailed

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def test_an_edit_of_the_current_version_applies_as_it_is() -> None:
    plan = plan_edit({"title": "新"}, base_version=3, current_version=3, changed_since={}, edited_at=T0)

    assert (plan.apply, plan.lost, plan.conflicted, plan.message) == ({"title": "新"}, {}, False, None)


def test_an_edit_without_a_base_version_applies_without_conflict() -> None:
    plan = plan_edit({"body": "x"}, base_version=None, current_version=7, changed_since={}, edited_at=T0)

    assert (plan.apply, plan.conflicted) == ({"body": "x"}, False)


def test_fields_nobody_else_changed_merge_and_a_later_edit_of_the_same_field_wins() -> None:
    plan = plan_edit(
        {"title": "mine", "body": "mine"}, base_version=1, current_version=3,
        changed_since={"body": T0 - timedelta(minutes=5)}, edited_at=T0,
    )

    assert (plan.apply, plan.lost, plan.conflicted) == ({"title": "mine", "body": "mine"}, {}, True)


def test_an_earlier_edit_of_a_field_changed_since_loses_and_is_kept_for_a_revision() -> None:
    plan = plan_edit(
        {"title": "mine", "body": "mine"}, base_version=1, current_version=2,
        changed_since={"body": T0 + timedelta(minutes=5)}, edited_at=T0,
    )

    assert (plan.apply, plan.lost) == ({"title": "mine"}, {"body": "mine"})
    assert plan.message is not None and "body" in plan.message


@pytest.mark.parametrize(("changes", "base"), [({}, 1), ({"title": "x"}, 0), ({"title": "x"}, 4)])
def test_an_empty_edit_or_an_impossible_base_version_is_a_validation_error(
    changes: dict[str, str], base: int
) -> None:
    with pytest.raises(ValidationFailed):
        plan_edit(changes, base_version=base, current_version=3, changed_since={}, edited_at=T0)
