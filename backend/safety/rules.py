"""The safety-status rule, pure: from all reports about one person, what is their status?

- The latest report by skew-corrected client time wins (never arrival order), so a phone
  that was offline since 10:00 cannot overwrite what was reported at 10:05.
- Safety first: a help report (NEED_HELP, INJURED) is not silently cleared by a SAFE from a
  *different* reporter made within DISPUTE_WINDOW of it. The status stays at the help
  report, marked `disputed`, and staff see both until a staff member or the original
  reporter reports again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

DISPUTE_WINDOW = timedelta(hours=12)
HELP = frozenset({"NEED_HELP", "INJURED"})
RESOLVERS = frozenset({"SHELTER_STAFF", "WARD_ADMIN"})

CONDITIONS = ("SAFE", "NEED_HELP", "INJURED", "MISSING", "DECEASED")
PLACES = ("HOME", "SHELTER", "ELSEWHERE", "UNKNOWN")
NEEDS = ("MEDICAL", "MOBILITY", "MEDICATION", "FOOD", "WATER", "BABY_SUPPLIES", "LANGUAGE", "OTHER")


@dataclass(frozen=True)
class Report:
    id: str
    reporter_id: str
    reporter_role: str  # SELF, HOUSEHOLD, LEADER, SHELTER_STAFF, WARD_ADMIN
    condition: str
    place: str
    shelter_id: str | None
    needs: tuple[str, ...]
    reported_at: datetime
    received_at: datetime


@dataclass(frozen=True)
class Status:
    report: Report  # the report whose condition stands
    place_report: Report  # the latest report, which says where the person is
    disputed: bool
    contested_by: Report | None = None  # the later SAFE that did not clear a help report


def _order(report: Report) -> tuple[datetime, datetime, str]:
    return (report.reported_at, report.received_at, report.id)


def current_status(reports: Sequence[Report]) -> Status | None:
    if not reports:
        return None
    ordered = sorted(reports, key=_order)
    latest = ordered[-1]
    # Where the person is: the latest report that says so (a report without a place does
    # not take someone off the shelter they were registered at).
    place_report = next((r for r in reversed(ordered) if r.place != "UNKNOWN"), latest)
    if latest.reporter_role not in RESOLVERS:
        # A death recorded by staff stands until staff record otherwise.
        for earlier in reversed(ordered[:-1]):
            if earlier.reporter_role in RESOLVERS:
                if earlier.condition == "DECEASED":
                    return Status(report=earlier, place_report=place_report, disputed=True, contested_by=latest)
                break
    if latest.condition != "SAFE" or latest.reporter_role in RESOLVERS:
        return Status(report=latest, place_report=place_report, disputed=False)
    for help_report in reversed(ordered[:-1]):
        if help_report.condition not in HELP:
            continue
        if help_report.reporter_id == latest.reporter_id:
            continue
        if latest.reported_at - help_report.reported_at > DISPUTE_WINDOW:
            break
        later = [r for r in ordered if _order(r) > _order(help_report)]
        withdrawn = any(
            r.reporter_id == help_report.reporter_id or r.reporter_role in RESOLVERS for r in later
        )
        if not withdrawn:
            return Status(report=help_report, place_report=place_report, disputed=True, contested_by=latest)
    return Status(report=latest, place_report=place_report, disputed=False)


# The carriers' wording (災害用伝言板 / web171), which residents drill on the 1st and 15th.
CONDITION_LABELS = {
    "SAFE": {"ja": "無事です", "en": "I'm okay", "ja-easy": "だいじょうぶです"},
    "NEED_HELP": {"ja": "被害があります", "en": "I need help", "ja-easy": "たすけが ひつようです"},
    "INJURED": {"ja": "けがをしています", "en": "I am injured", "ja-easy": "けがを しています"},
    "MISSING": {"ja": "連絡がとれません", "en": "Missing", "ja-easy": "れんらくが とれません"},
    "DECEASED": {"ja": "死亡", "en": "Deceased", "ja-easy": "なくなりました"},
}
PLACE_LABELS = {
    "HOME": {"ja": "自宅にいます", "en": "Safe at home", "ja-easy": "いえに います"},
    "SHELTER": {"ja": "避難所にいます", "en": "At an evacuation area", "ja-easy": "ひなんじょに います"},
    "ELSEWHERE": {"ja": "その他の場所にいます", "en": "Somewhere else", "ja-easy": "ほかの ばしょに います"},
    "UNKNOWN": {"ja": "場所は不明です", "en": "Place unknown", "ja-easy": "ばしょは わかりません"},
}
