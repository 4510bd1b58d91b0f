"""The long-lived parts of sync, kept in the request context."""

from __future__ import annotations

from dataclasses import dataclass

from backend.core.pubsub import Broker
from backend.sync.pull import PullEngine
from backend.sync.push import PushEngine


@dataclass
class SyncParts:
    pusher: PushEngine
    puller: PullEngine
    broker: Broker
