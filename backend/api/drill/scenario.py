"""What the residents of the drill do, and when (seconds from the start).

After the quake most phones have no network; they come back at random times, some drop out
again. Residents check in once (some twice, as they move to a shelter), household heads
report for their family, a few rename themselves, and halfway through each association's
leader knocks on the doors the roll-call shows unanswered and reports for those households.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.api.drill.ward import Ward

NEEDS = ("MEDICAL", "MOBILITY", "MEDICATION", "FOOD", "WATER", "BABY_SUPPLIES", "LANGUAGE", "OTHER")
# Device clocks of the "clock" fault: a phone 3 hours ahead, one a day behind, one in 2099.
SKEWS = (timedelta(hours=3), timedelta(days=-1), datetime(2099, 1, 1, tzinfo=UTC) - datetime.now(UTC))


@dataclass
class Action:
    at: float
    name: str
    args: dict[str, Any]


@dataclass
class Plan:
    """One resident's phone: when it has a network, what it queues, its clock."""

    offline: list[tuple[float, float]]  # (from, until) seconds without network
    actions: list[Action] = field(default_factory=list)
    skew: timedelta = timedelta(0)

    def online(self, t: float) -> bool:
        return not any(start <= t < end for start, end in self.offline)


def _checkin(rng: random.Random, incident: str, shelters: list[str], subject: str | None, *,
             proxy: bool) -> dict[str, Any]:
    roll = rng.random()
    condition = ("SAFE" if roll < 0.8 else "NEED_HELP" if roll < 0.92 else "INJURED" if roll < 0.97
                 else "MISSING" if proxy else "SAFE")
    places = ("HOME", "HOME", "SHELTER", "ELSEWHERE") if shelters else ("HOME",)
    place = rng.choice(places) if condition != "MISSING" else "UNKNOWN"
    args: dict[str, Any] = {"id": str(uuid.uuid4()), "incidentId": incident, "condition": condition,
                            "place": place}
    if place == "SHELTER":
        args["shelterId"] = rng.choice(shelters)
    if subject is not None:
        args["subjectId"] = subject
    if condition in ("NEED_HELP", "INJURED"):
        args["needs"] = rng.sample(NEEDS, rng.randint(1, 2))
    if rng.random() < 0.15:
        args["comment"] = rng.choice(("家族全員無事", "薬が足りません", "ペットと一緒です", "We are fine"))
    return args


def plan_drill(ward: Ward, incident: str, shelters: list[str], seconds: float, rng: random.Random,
               *, skew_clocks: bool) -> list[Plan]:
    plans: list[Plan] = []
    for _ in ward.residents:
        offline = []
        if rng.random() < 0.7:  # no network after the quake, back at a random time
            offline.append((0.0, rng.uniform(0, 0.6) * seconds))
        if rng.random() < 0.25:  # drops out again for a while
            start = rng.uniform(0.1, 0.7) * seconds
            offline.append((start, start + rng.uniform(0.05, 0.2) * seconds))
        skew = timedelta(0)
        if skew_clocks and rng.random() < 0.15:
            skew = rng.choice(SKEWS)
        plans.append(Plan(offline, skew=skew))
    for home in ward.homes:
        head, *others = home.members
        for member in home.members:
            if rng.random() < 0.1:
                continue  # this one does not answer: the leader's door-knock finds them
            when = rng.uniform(0, 0.45) * seconds
            plans[member].actions.append(Action(when, "checkIn", _checkin(rng, incident, shelters, None, proxy=False)))
            if rng.random() < 0.25:  # later: moved to a shelter, or feeling better
                later = rng.uniform(when, 0.55 * seconds)
                plans[member].actions.append(Action(later, "checkIn", _checkin(rng, incident, shelters, None, proxy=False)))
            if rng.random() < 0.08:
                plans[member].actions.append(Action(rng.uniform(0, 0.5) * seconds, "updateProfile",
                                                    {"displayName": f"{ward.residents[member].name}（避難中）"}))
        if others and rng.random() < 0.4:  # the head of the household reports for everyone
            when = rng.uniform(0, 0.45) * seconds
            for member in others:
                subject = ward.residents[member].id
                plans[head].actions.append(Action(when, "checkIn", _checkin(rng, incident, shelters, subject, proxy=True)))
    for plan in plans:
        plan.actions.sort(key=lambda a: a.at)
    return plans


def door_knock(ward: Ward, incident: str, association: int, unanswered: set[str],
               rng: random.Random) -> list[dict[str, Any]]:
    """The leader's reports for the members of households the roll-call shows unanswered."""
    reports = []
    leader = ward.leaders[association][0]
    for home in ward.homes:
        if home.association != association or home.id not in unanswered:
            continue
        for member in home.members:
            args = _checkin(rng, incident, [], ward.residents[member].id, proxy=True)
            args.update(place="HOME" if args["condition"] != "MISSING" else "UNKNOWN")
            args.pop("shelterId", None)
            if member == leader:  # the leader's own household: they report for themselves
                args.pop("subjectId")
                args.update(condition="SAFE", place="HOME")
                args.pop("needs", None)
            reports.append(args)
    return reports
