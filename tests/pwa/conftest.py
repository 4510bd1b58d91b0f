"""The PWA in Debian's Chromium (TOOLING.md), against a real `otagai serve` on SQLite.

`make test` installs what these need (`make pwa browser`). Run alone without them, the tests
skip with the command to run; in CI (CI set) a missing piece fails instead of skipping.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.pwa.site import ROOT, Phone, Site
from tests.support.databases import DatabaseFactory
from tests.support.server import ServerProcess

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True,
    "has_touch": True, "locale": "ja-JP", "timezone_id": "Asia/Tokyo",
}


def _missing() -> list[str]:
    missing = []
    if not CHROMIUM.exists():
        missing.append("Chromium at /usr/bin/chromium")
    if not (ROOT / "pwa" / "vendor" / "shell.js").exists():
        missing.append("pwa/vendor/ (npm packages)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright package")
    return missing


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    missing = _missing()
    if missing:
        message = f"run `make pwa browser` first: missing {', '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def site(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Site]:
    url = databases.fresh("sqlite")
    # Push endpoints of the local fake push service (tests/support/fake_push.py) are allowed.
    server = ServerProcess(url, workdir=tmp_path, extra_env={"OTAGAI_PUSH_ALLOW_LOOPBACK": "1"})
    server.start()
    try:
        yield Site(server.url, url)
    finally:
        server.stop()
        databases.drop(url)


@pytest.fixture
def phones(browser: object, site: Site) -> Iterator[Callable[..., Phone]]:
    """Phone-sized browser profiles, each of its own (IndexedDB, caches, service worker)."""
    made: list[Phone] = []

    def make(*, plain: bool = False, **options: Any) -> Phone:
        settings = {"base_url": site.url, **({} if plain else PHONE), **options}
        context = browser.new_context(**settings)  # type: ignore[attr-defined]
        page = context.new_page()
        phone = Phone(context, page, site)
        page.on("pageerror", lambda error: phone.errors.append(str(error)))
        made.append(phone)
        return phone

    yield make
    for phone in made:
        phone.context.close()
    assert not [e for phone in made for e in phone.errors]


@pytest.fixture
def phone(phones: Callable[..., Phone]) -> Phone:
    return phones()
