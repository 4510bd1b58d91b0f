"""What the residents of the drill do, and when (seconds from the start).

After the quake most phones have no network; they come back at random times, some drop out
again. Residents check in once (some twice, as they move to a shelter), household heads
report for their family, a few rename themselves, and halfway through each association's
leader knocks on the doors the roll-call shows unanswered and reports for those households.

Each association's leader, online at the association's office, publishes a circular (回覧板)
at the start and an EMERGENCY broadcast a fifth of the way in (it reaches the subscribed
phones as a Web Push). Most residents open the circular once their phone has pulled it — on
the network or later without it — and some ask for help or offer supplies on the marketplace
(助け合い), which neighbours who saw the listing claim: more claimers than there is to give,
so some claims lose with ITEM_ALREADY_CLAIMED.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from backend.api.drill.ward import Ward, members_by_association

CIRCULAR = ("【回覧】防災訓練：安否の報告と避難所のご案内",
            "本日の訓練では、アプリで安否を報告してください。避難所は区立駒込小学校です。")
EMERGENCY = ("【緊急】延焼のおそれ：直ちに避難してください",
             "駒込二丁目付近で火災が広がっています。指定避難所へ避難してください。")
REQUESTS = (("WATER", "飲料水が必要です"), ("MEDICINE", "常備薬（血圧）が足りません"),
            ("ELDERLY_SUPPORT", "高齢の母の避難を手伝ってください"), ("CHARGING", "スマホを充電させてください"))
OFFERS = (("WATER", "2Lの水を分けられます"), ("FOOD", "おにぎりを配れます"),
          ("CHARGING", "モバイルバッテリーを貸せます"), ("DAILY_GOODS", "毛布があります"))
NEEDS = ("MEDICAL", "MOBILITY", "MEDICATION", "FOOD", "WATER", "BABY_SUPPLIES", "LANGUAGE", "OTHER")
# Device clocks of the "clock" fault: a phone 3 hours ahead, one a day behind, one in 2099.
SKEWS = (timedelta(hours=3), timedelta(days=-1), datetime(2099, 1, 1, tzinfo=UTC) - datetime.now(UTC))


@dataclass
class Action:
    at: float
    name: str
    args: dict[str, Any]
    needs: tuple[str, str] | None = None  # an entity the phone must have pulled first (seen it)


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
               *, skew_clocks: bool, area: list[tuple[float, float]]) -> list[Plan]:
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
    members = members_by_association(ward.homes)
    _plan_board(ward, members, plans, seconds, rng)
    _plan_market(ward, members, plans, area, seconds, rng)
    for plan in plans:
        plan.actions.sort(key=lambda a: a.at)
    return plans


def _plan_board(ward: Ward, members: dict[int, list[int]], plans: list[Plan], seconds: float,
                rng: random.Random) -> None:
    for association, leaders in ward.leaders.items():
        leader, circular = plans[leaders[0]], str(uuid.uuid4())
        leader.offline = [(start, end) for start, end in leader.offline if start > 0]  # online from the start
        for at, post_id, kind, (title, body), urgency in (
            (0.0, circular, "CIRCULAR", CIRCULAR, "NORMAL"),
            (0.2 * seconds, str(uuid.uuid4()), "BROADCAST", EMERGENCY, "EMERGENCY"),
        ):
            leader.actions.append(Action(at, "createPost", {
                "id": post_id, "associationId": ward.associations[association], "kind": kind, "title": title,
                "body": body, "urgency": urgency}))
        for member in members[association]:
            if rng.random() < 0.7:  # opens it once the phone has it, online or not
                plans[member].actions.append(Action(rng.uniform(0.05, 0.8) * seconds, "markCircularRead",
                                                    {"postId": circular}, needs=("Post", circular)))


def _plan_market(ward: Ward, members: dict[int, list[int]], plans: list[Plan],
                 area: list[tuple[float, float]], seconds: float, rng: random.Random) -> None:
    for association, people in members.items():
        owners = [m for m in people if rng.random() < 0.04] or [rng.choice(people)]
        for owner in owners:
            listing, request = str(uuid.uuid4()), rng.random() < 0.6
            category, title = rng.choice(REQUESTS if request else OFFERS)
            lat, lon = rng.choice(area) if area else (35.7295, 139.7109)
            at = rng.uniform(0.05, 0.5) * seconds
            plans[owner].actions.append(Action(at, "createListing", {
                "id": listing, "kind": "REQUEST" if request else "OFFER", "category": category, "title": title,
                "quantity": 1 if request else rng.randint(1, 3), "visibility": "ASSOCIATION",
                "associationId": ward.associations[association],
                "location": {"lat": round(lat + rng.uniform(-0.004, 0.004), 6),
                             "lon": round(lon + rng.uniform(-0.004, 0.004), 6)}}))
            others = [m for m in people if m != owner]
            for claimer in rng.sample(others, min(len(others), rng.randint(1, 4))):
                plans[claimer].actions.append(Action(rng.uniform(at, 0.9 * seconds), "claimListing", {
                    "id": str(uuid.uuid4()), "listingId": listing, "quantity": 1}, needs=("Listing", listing)))


def ready(action: Action, replica: dict[tuple[str, str], dict[str, Any]]) -> str:
    """What a resident does with an action whose time has come: `queue` it, `wait` until the
    phone has what it needs, or `drop` it (the phone shows the listing has nothing left)."""
    if action.needs is None:
        return "queue"
    seen = replica.get(action.needs)
    if seen is None:
        return "wait"
    if action.name == "claimListing" and (seen.get("data") or {}).get("quantityLeft", 1) <= 0:
        return "drop"
    return "queue"


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
