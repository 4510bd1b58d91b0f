"""The end of the drill: every phone's outbox and replica compared with what the server holds.

Every action a phone queued must have been applied exactly once or rejected with a reason.
lost: an action the server answered as applied whose effect it does not hold (a check-in, a
post, a household's circular receipt, a listing, a claim, a rename), or a rejection without a
code; unsent: an action still in a phone's outbox when the drill stopped waiting (not lost —
the phone still holds it — but that phone has not converged); doubled: an effect the server
holds that no applied action explains, a rename counted twice, or a listing whose claims add
up to more than it had; converged: phones with an empty outbox whose pulled replica shows the
server's current version of their profile and safety status, of their association's posts and
listings, their household's circular receipts and the claims they are party to — and holds
nothing older than the server's version of any of those.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from backend.api.drill.outbox import OutboxClient, Queued
from backend.api.drill.truth import Effect, Key, Truth, server_truth
from backend.api.drill.ward import Ward

_APPLIED = {"APPLIED", "CONFLICT_RESOLVED"}
_REPLICATED = ("Post", "CircularRead", "Listing", "Claim")


@dataclass
class Verdict:
    queued: int = 0
    applied: int = 0
    replayed: int = 0  # answered DUPLICATE: the first reply was lost, the server remembered
    rejected: int = 0
    unanswered: int = 0
    lost: int = 0
    doubled: int = 0
    converged: int = 0
    devices: int = 0
    rejections: Counter[str] = field(default_factory=Counter)
    truth: Truth = field(default_factory=Truth)

    @property
    def converged_pct(self) -> float:
        return 100.0 * self.converged / self.devices if self.devices else 100.0


def _applied(result: dict[str, Any]) -> bool:
    status = result.get("status")
    return status in _APPLIED or (status == "DUPLICATE" and not result.get("code"))


def _effect(item: Queued, result: dict[str, Any], user_id: str, household: str) -> Effect | None:
    args = item.args
    if item.action == "checkIn":
        return ("CheckIn", str(args["id"]), None)
    if item.action == "createPost":
        return ("Post", str(args["id"]), user_id)
    if item.action == "markCircularRead":
        return ("CircularRead", f"{args['postId']}:{household}", household)
    if item.action == "createListing":
        return ("Listing", str(args["id"]), user_id)
    if item.action == "claimListing":  # "already yours" answers with the claim held before
        return ("Claim", str(result.get("entityId") or args["id"]), user_id)
    return None


def _current(device: OutboxClient, truth: Truth, required: set[Key]) -> bool:
    """The replica holds every required entity, and everything replicated, at the server's version."""
    for key in required:
        if key not in device.replica:
            return False
    for key, held in device.replica.items():
        if key[0] in _REPLICATED and truth.versions.get(key) != held["version"]:
            return False
    return True


def verify(url: str, incident: str, devices: list[OutboxClient], ward: Ward) -> Verdict:
    truth = server_truth(url, incident)
    verdict = Verdict(devices=len(devices), truth=truth)
    expected: set[Effect] = set()
    for device, resident in zip(devices, ward.residents, strict=True):
        home = ward.homes[resident.household]
        renames = 0
        for item in [*device.sent, *device.queue]:
            verdict.queued += 1
            result = device.results.get(item.mutation_id)
            if result is None:
                verdict.unanswered += 1
                continue
            if result["status"] == "DUPLICATE" and not result.get("code"):
                verdict.replayed += 1
            if not _applied(result):
                verdict.rejected += 1
                verdict.rejections[str(result.get("code"))] += 1
                verdict.lost += not result.get("code")  # a rejection must say why
                continue
            verdict.applied += 1
            if item.mutation_id not in truth.logged:
                verdict.lost += 1
            if item.action == "updateProfile":
                renames += 1
            elif (effect := _effect(item, result, device.user_id, home.id)) is not None:
                expected.add(effect)
        version = truth.profiles.get(device.user_id, 0)
        verdict.lost += max(0, 1 + renames - version)
        verdict.doubled += max(0, version - 1 - renames)
        if device.queue:
            continue  # still holding actions: not converged
        own = device.replica.get(("Profile", device.user_id))
        status = device.replica.get(("SafetyStatus", f"{incident}:{device.user_id}"))
        seen = own["version"] if own else 1  # a profile never changed is not on the feed
        required = (truth.by_association.get(ward.associations[home.association], set())
                    | truth.by_person.get(device.user_id, set()) | truth.by_household.get(home.id, set()))
        if seen == version and (status["version"] if status else None) == truth.statuses.get(device.user_id) \
                and _current(device, truth, required):
            verdict.converged += 1
    held = truth.effects | {("CheckIn", c, None) for c in truth.checkins}
    verdict.lost += len(expected - held)
    verdict.doubled += len(held - expected) + truth.overclaimed
    return verdict
