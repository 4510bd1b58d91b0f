"""rules.current_status, pure: the latest report by corrected time stands, except that a help
report is not cleared by someone else's SAFE inside the dispute window (SYNC.md conflict policy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backend.safety.rules import DISPUTE_WINDOW, Report, current_status

T0 = datetime(2025, 9, 1, 10, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def report(
    rid: str,
    condition: str,
    *,
    by: str = "self",
    role: str = "SELF",
    at: timedelta = timedelta(0),
    received: timedelta | None = None,
    place: str = "HOME",
    shelter: str | None = None,
    needs: tuple[str, ...] = (),
) -> Report:
    return Report(
        id=rid,
        reporter_id=by,
        reporter_role=role,
        condition=condition,
        place=place,
        shelter_id=shelter,
        needs=needs,
        reported_at=T0 + at,
        received_at=T0 + (at if received is None else received),
    )


def test_no_reports_mean_no_status() -> None:
    assert current_status([]) is None


def test_a_single_report_is_the_status() -> None:
    only = report("a", "NEED_HELP")

    status = current_status([only])

    assert status is not None
    assert (status.report, status.place_report, status.disputed, status.contested_by) == (
        only,
        only,
        False,
        None,
    )


def test_the_latest_report_by_corrected_time_stands_whatever_order_they_arrived_in() -> None:
    safe_at_10_00 = report("a", "SAFE", at=0 * MIN, received=20 * MIN)  # sent from an offline phone
    help_at_10_05 = report("b", "NEED_HELP", at=5 * MIN, received=6 * MIN)

    for order in ([safe_at_10_00, help_at_10_05], [help_at_10_05, safe_at_10_00]):
        status = current_status(order)
        assert status is not None and status.report == help_at_10_05 and not status.disputed


def test_reports_made_at_the_same_moment_are_ordered_by_arrival_then_id() -> None:
    first = report("b", "NEED_HELP", received=1 * MIN)
    second = report("a", "INJURED", received=2 * MIN)
    third = report("c", "INJURED", received=2 * MIN)

    status = current_status([third, second, first])

    assert status is not None and status.report == third


def test_the_same_reporters_later_safe_clears_their_own_help_report() -> None:
    help_report = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD")
    safe = report("b", "SAFE", by="mother", role="HOUSEHOLD", at=30 * MIN)

    status = current_status([help_report, safe])

    assert status is not None and (status.report, status.disputed) == (safe, False)


def test_a_safe_from_another_reporter_inside_the_window_does_not_clear_a_help_report() -> None:
    help_report = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD", needs=("MEDICAL",))
    safe = report(
        "b", "SAFE", by="leader", role="LEADER", at=30 * MIN, place="SHELTER", shelter="s1"
    )

    status = current_status([help_report, safe])

    assert status is not None
    assert status.report == help_report and status.disputed
    assert status.contested_by == safe
    assert status.place_report == safe  # where the person is still comes from the latest report


def test_an_injured_report_is_guarded_like_need_help() -> None:
    injured = report("a", "INJURED", by="self")
    safe = report("b", "SAFE", by="neighbour", role="HOUSEHOLD", at=1 * MIN)

    status = current_status([injured, safe])

    assert status is not None and status.report == injured and status.disputed


def test_a_persons_own_help_report_is_not_cleared_by_a_leaders_safe() -> None:
    own = report("a", "NEED_HELP", by="self", role="SELF")
    safe = report("b", "SAFE", by="leader", role="LEADER", at=2 * MIN)

    status = current_status([own, safe])

    assert status is not None and status.report == own and status.disputed


def test_a_safe_from_another_reporter_after_the_window_clears_a_help_report() -> None:
    help_report = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD")
    safe = report("b", "SAFE", by="leader", role="LEADER", at=DISPUTE_WINDOW + MIN)

    status = current_status([help_report, safe])

    assert status is not None and (status.report, status.disputed) == (safe, False)


def test_a_safe_exactly_at_the_end_of_the_window_is_still_disputed() -> None:
    help_report = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD")
    safe = report("b", "SAFE", by="leader", role="LEADER", at=DISPUTE_WINDOW)

    status = current_status([help_report, safe])

    assert status is not None and status.report == help_report and status.disputed


def test_shelter_staff_and_ward_admins_resolve_a_help_report_with_their_safe() -> None:
    help_report = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD")
    for role in ("SHELTER_STAFF", "WARD_ADMIN"):
        safe = report("b", "SAFE", by="staff", role=role, at=5 * MIN)

        status = current_status([help_report, safe])

        assert status is not None and (status.report, status.disputed) == (safe, False), role


def test_once_staff_resolved_a_help_report_a_later_safe_from_anyone_stands() -> None:
    help_report = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD")
    staff_safe = report("b", "SAFE", by="staff", role="SHELTER_STAFF", at=5 * MIN)
    leader_safe = report("c", "SAFE", by="leader", role="LEADER", at=10 * MIN)

    status = current_status([help_report, staff_safe, leader_safe])

    assert status is not None and (status.report, status.disputed) == (leader_safe, False)


def test_a_help_report_withdrawn_by_its_reporter_is_not_revived_by_a_later_safe() -> None:
    help_report = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD")
    withdrawn = report("b", "SAFE", by="mother", role="HOUSEHOLD", at=5 * MIN)
    leader_safe = report("c", "SAFE", by="leader", role="LEADER", at=10 * MIN)

    status = current_status([help_report, withdrawn, leader_safe])

    assert status is not None and (status.report, status.disputed) == (leader_safe, False)


def test_repeated_safes_from_other_reporters_keep_the_help_report_standing() -> None:
    help_report = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD")
    later = [
        report(str(i), "SAFE", by=f"neighbour{i}", role="LEADER", at=i * MIN) for i in range(1, 4)
    ]

    status = current_status([help_report, *later])

    assert status is not None and status.report == help_report and status.contested_by == later[-1]


def test_a_new_help_report_after_a_dispute_is_the_status_and_undisputed() -> None:
    help_report = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD")
    safe = report("b", "SAFE", by="leader", role="LEADER", at=5 * MIN)
    injured = report("c", "INJURED", by="leader", role="LEADER", at=10 * MIN)

    status = current_status([help_report, safe, injured])

    assert status is not None and (status.report, status.disputed) == (injured, False)


def test_a_later_help_report_is_the_one_a_safe_is_measured_against() -> None:
    old_help = report("a", "NEED_HELP", by="mother", role="HOUSEHOLD")
    mothers_safe = report("b", "SAFE", by="mother", role="HOUSEHOLD", at=10 * MIN)
    new_help = report("c", "INJURED", by="self", role="SELF", at=DISPUTE_WINDOW + 20 * MIN)
    leader_safe = report("d", "SAFE", by="leader", role="LEADER", at=DISPUTE_WINDOW + 30 * MIN)

    status = current_status([old_help, mothers_safe, new_help, leader_safe])

    assert status is not None and status.report == new_help and status.disputed
