"""Settings read once from the environment (names fixed by API.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# The browsers' push services, used when OTAGAI_PUSH_ALLOWED_HOSTS is not set.
DEFAULT_PUSH_HOSTS = (
    "fcm.googleapis.com",
    "updates.push.services.mozilla.com",
    "web.push.apple.com",
    "wns2-par02p.notify.windows.com",
)


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/otagai.sqlite3"
    redis_url: str | None = None
    data_dir: Path = Path("var")
    push_allowed_hosts: tuple[str, ...] = DEFAULT_PUSH_HOSTS
    push_allow_loopback: bool = False
    push_subject: str = "mailto:push@otagai.invalid"  # VAPID `sub` (a mailto: address; webpush adds mailto:)
    push_worker: bool = False  # run the push delivery worker in the app (`otagai serve` turns it on)
    push_lease_seconds: float = 30.0  # a claimed delivery is retried after this if its worker died
    rate_limits: bool = True
    token_ttl_days: int = 30
    retention_days: int = 180
    max_body_bytes: int = 512 * 1024
    push_batch_max_actions: int = 100
    push_batch_max_bytes: int = 256 * 1024
    pull_max_limit: int = 500
    login_attempts_per_minute: int = 10
    plugins: str | None = None
    log_json: bool = False  # OTAGAI_LOG_FORMAT=json: JSON lines with request ids (`otagai serve`)


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    data_dir = Path(env.get("OTAGAI_DATA_DIR", "var"))
    hosts = env.get("OTAGAI_PUSH_ALLOWED_HOSTS")
    return Settings(
        database_url=env.get("OTAGAI_DATABASE_URL", "sqlite:///var/otagai.sqlite3"),
        redis_url=env.get("OTAGAI_REDIS_URL") or None,
        data_dir=data_dir,
        push_allowed_hosts=(
            tuple(h.strip().lower() for h in hosts.split(",") if h.strip())
            if hosts is not None
            else DEFAULT_PUSH_HOSTS
        ),
        push_allow_loopback=_flag(env.get("OTAGAI_PUSH_ALLOW_LOOPBACK")),
        push_subject=env.get("OTAGAI_PUSH_SUBJECT") or "mailto:push@otagai.invalid",
        push_worker=env.get("OTAGAI_PUSH_WORKER", "on").strip().lower() not in {"0", "off", "false", "no"},
        push_lease_seconds=float(env.get("OTAGAI_PUSH_LEASE_SECONDS", "30")),
        rate_limits=(env.get("OTAGAI_RATE_LIMITS", "on").strip().lower() != "off"),
        retention_days=int(env.get("OTAGAI_RETENTION_DAYS", "180")),
        plugins=env.get("OTAGAI_PLUGINS") or None,
        log_json=env.get("OTAGAI_LOG_FORMAT", "").strip().lower() == "json",
    )
