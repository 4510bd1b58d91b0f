"""The reference outbox client lives in the product (the drill runs it too)."""

from backend.api.drill.outbox import FINAL, DrainReport, OutboxClient, PullFailed, Queued, Reply

__all__ = ["FINAL", "DrainReport", "OutboxClient", "PullFailed", "Queued", "Reply"]
