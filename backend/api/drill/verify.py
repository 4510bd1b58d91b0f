"""The end of the drill: every phone's outbox and replica compared with what the server holds.

lost: an action the server answered as applied whose effect it does not hold; unsent: an
action still in a phone's outbox when the drill stopped waiting (not lost — the phone still
holds it — but that phone has not converged); doubled: an effect the server holds more often
than the phones' applied actions explain; converged: phones with an empty outbox whose pulled
replica shows the server's current version of their own profile and safety status.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import sqlalchemy as sa

from backend.api.drill.outbox import OutboxClient
from backend.core.db import driver_url

_APPLIED = {"APPLIED", "CONFLICT_RESOLVED"}


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

    @property
    def converged_pct(self) -> float:
        return 100.0 * self.converged / self.devices if self.devices else 100.0


def _applied(result: dict[str, object]) -> bool:
    status = result.get("status")
    return status in _APPLIED or (status == "DUPLICATE" and not result.get("code"))


def _server_truth(url: str, incident: str) -> tuple[set[str], dict[str, int], dict[str, int], set[str]]:
    engine = sa.create_engine(driver_url(url, sync=True), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            checkins = {r[0] for r in conn.execute(sa.text("SELECT id FROM checkin WHERE incident_id = :i"),
                                                   {"i": incident})}
            profiles = {r[0]: int(r[1]) for r in conn.execute(sa.text('SELECT id, version FROM account_user'))}
            statuses = {r[0]: int(r[1]) for r in conn.execute(
                sa.text("SELECT person_id, version FROM safety_status WHERE incident_id = :i"), {"i": incident})}
            logged = {r[0] for r in conn.execute(sa.text("SELECT mutation_id FROM sync_mutation"))}
    finally:
        engine.dispose()
    return checkins, profiles, statuses, logged


def verify(url: str, incident: str, devices: list[OutboxClient]) -> Verdict:
    checkins, profiles, statuses, logged = _server_truth(url, incident)
    verdict = Verdict(devices=len(devices))
    expected_checkins: set[str] = set()
    for device in devices:
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
                continue
            verdict.applied += 1
            if item.mutation_id not in logged:
                verdict.lost += 1
            if item.action == "checkIn":
                expected_checkins.add(str(item.args["id"]))
            elif item.action == "updateProfile":
                renames += 1
        version = profiles.get(device.user_id, 0)
        verdict.lost += max(0, 1 + renames - version)
        verdict.doubled += max(0, version - 1 - renames)
        if device.queue:
            continue  # still holding actions: not converged
        own = device.replica.get(("Profile", device.user_id))
        status = device.replica.get(("SafetyStatus", f"{incident}:{device.user_id}"))
        seen = own["version"] if own else 1  # a profile never changed is not on the feed
        if seen == version and (
            (status["version"] if status else None) == statuses.get(device.user_id)
        ):
            verdict.converged += 1
    verdict.lost += len(expected_checkins - checkins)
    verdict.doubled += len(checkins - expected_checkins)
    return verdict
