"""The drill's progress line while it runs, and its report at the end (the last four lines are
fixed by API.md: applied, lost, doubled, converged)."""

from __future__ import annotations

import statistics
import sys
import time
from typing import TYPE_CHECKING, Any

from backend.api.drill.outbox import OutboxClient

if TYPE_CHECKING:
    from backend.api.drill.processes import FaultProxy, ServerProcess
    from backend.api.drill.push_sink import PushVerdict
    from backend.api.drill.runner import Drill
    from backend.api.drill.verify import Verdict


class Progress:
    """A bar on a terminal; a line every 10 s otherwise (CI logs)."""

    def __init__(self, seconds: float, *, enabled: bool) -> None:
        self.seconds = seconds
        self.enabled = enabled
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def show(self, t: float, devices: list[OutboxClient], busy: dict[int, Any], *, recovering: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < (0.5 if self.tty else 10.0):
            return
        self.last = now
        queued = sum(len(d.queue) for d in devices)
        answered = sum(len(d.results) for d in devices)
        share = min(1.0, t / self.seconds) if self.seconds else 1.0
        bar = "#" * int(share * 30) + "." * (30 - int(share * 30))
        phase = "recovering" if recovering else f"{t:5.0f}/{self.seconds:.0f} s"
        line = f"[{bar}] {phase}  answered {answered:,}  queued {queued:,}  sending {len(busy):,}"
        print(("\r" + line) if self.tty else line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def done(self) -> None:
        if self.enabled and self.tty:
            print(file=sys.stderr)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


def render(out: Any, drill: Drill, verdict: Verdict, push: PushVerdict, server: ServerProcess, net: FaultProxy,
           db_proxy: FaultProxy | None) -> None:
    o, run, ward = drill.o, drill.run, drill.ward
    database = "postgresql" if drill.url.startswith("postgresql") else "sqlite"
    skewed = sum(1 for p in drill.plans if p.skew)
    out("Otagai drill — 防災訓練 report")
    out(f"ward: {len(ward.residents):,} residents in {len(ward.homes):,} households, "
        f"{len(ward.associations)} associations, {len(drill.shelter_ids)} shelters")
    out(f"server: {o.workers} worker(s) on {database}; played {o.seconds:.0f} s, recovery {run.recovery_s:.0f} s")
    out("faults: " + (", ".join(filter(None, [
        f"server killed -9 and restarted {server.kills}×" if "kill" in o.faults else "",
        f"connections cut mid-response {net.drops}×" if "net" in o.faults else "",
        "database unavailable 10 s" if run.errors.get("fault: database unavailable 10 s") else "",
        f"{skewed:,} device clocks skewed (+3 h, -1 day, 2099)" if "clock" in o.faults else "",
    ])) or "none"))
    steps = [f"{t:.0f} s {pct:.0f}%" for t, pct in run.coverage[:: max(1, len(run.coverage) // 12)]]
    out("check-in coverage over time: " + ", ".join(steps))
    out(f"leaders' door-knock reports: {run.door_knocks:,}")
    truth = verdict.truth
    out(f"circulars: households that read their association's circular: {truth.households_read:,} of "
        f"{truth.households:,} ({100 * truth.households_read / max(1, truth.households):.0f}%)")
    lost_claims = verdict.rejections.get("ITEM_ALREADY_CLAIMED", 0)
    out(f"marketplace: {truth.listings:,} requests and offers, {truth.claims:,} claims matched, "
        f"{lost_claims:,} lost to an earlier claim (ITEM_ALREADY_CLAIMED), {run.claims_dropped:,} not made "
        "(the phone showed nothing left)")
    waits = push.latencies
    out(f"notifications: Web Push of the emergency broadcasts delivered {push.delivered:,}/{push.expected:,}, "
        f"p50 {_pct(waits, 50):.1f} s, p99 {_pct(waits, 99):.1f} s from broadcast to delivery; "
        f"repeated {push.repeats}, misdirected {push.misdirected}, not urgent {push.not_urgent}, "
        f"refused {push.refused}; {push.other:,} other notifications (incident, circular, claims, proxy check-ins); "
        f"waited {run.push_wait_s:.0f} s after recovery")
    lat = run.latencies
    out(f"push latency: {len(lat):,} requests, p50 {_pct(lat, 50):.0f} ms, p95 {_pct(lat, 95):.0f} ms, "
        f"p99 {_pct(lat, 99):.0f} ms")
    errors = ", ".join(f"{k} ×{v}" for k, v in sorted(run.errors.items())) or "none"
    out(f"errors seen by phones: {errors}")
    out(f"peak answered actions/s: {max(run.applied_per_s, default=0):.0f}; "
        f"last phone converged {run.recovery_s:.0f} s after the network came back for everyone")
    out(f"peak memory per server process: {run.worker_peak_mb:.0f} MB")
    rejections = ", ".join(f"{k} ×{v}" for k, v in verdict.rejections.most_common()) or "none"
    out(f"rejected actions by code: {rejections}")
    out(f"sent: {verdict.queued}")
    out(f"duplicated: {verdict.replayed}")
    out(f"rejected: {verdict.rejected}")
    out(f"unsent: {verdict.unanswered}")  # still queued on phones when the drill stopped waiting
    out(f"applied: {verdict.applied}")
    out(f"lost: {verdict.lost}")
    out(f"doubled: {verdict.doubled}")
    out(f"converged: {round(verdict.converged_pct, 1):g}%")
