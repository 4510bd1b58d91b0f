"""The app shell: installable (manifest, icons), within its size budget, cached by a versioned
service worker, and updated only when the resident chooses ("a new version is ready")."""

from __future__ import annotations

import gzip
import json
import re
import struct
from collections.abc import Callable
from typing import Any

import httpx

from tests.pwa.site import ROOT, Phone, ReleaseProxy, Site, shown

BUDGET_BYTES = 150 * 1024
SHELL_JS = ROOT / "pwa" / "vendor" / "shell.js"


def _shell_urls() -> list[str]:
    return re.findall(r"^  '(/[^']+)',$", SHELL_JS.read_text(encoding="utf-8"), re.MULTILINE)


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_manifest_makes_the_app_installable(site: Site) -> None:
    manifest = httpx.get(f"{site.url}/manifest.webmanifest")
    assert manifest.status_code == 200
    data = json.loads(manifest.text)
    assert data["display"] == "standalone" and data["start_url"].startswith("/")
    assert data["name"] and data["short_name"] and data["lang"] == "ja"
    sizes = {}
    for icon in data["icons"]:
        reply = httpx.get(f"{site.url}{icon['src']}")
        assert reply.status_code == 200, icon
        if icon["type"] == "image/png":
            sizes[(icon["sizes"], icon["purpose"])] = _png_size(reply.content)
    assert sizes[("192x192", "any")] == (192, 192)
    assert sizes[("512x512", "any")] == (512, 512)
    assert sizes[("512x512", "maskable")] == (512, 512)


def test_the_whole_shell_is_within_150_kb_gzipped(site: Site) -> None:
    urls = _shell_urls()
    assert "/index.html" in urls and "/app.js" in urls and "/vendor/preact.js" in urls
    total = 0
    for url in urls:
        reply = httpx.get(f"{site.url}{url}")
        assert reply.status_code == 200, url
        total += len(gzip.compress(reply.content, compresslevel=6))
    assert total <= BUDGET_BYTES, f"the shell is {total} bytes gzipped"


def test_the_service_worker_caches_the_whole_shell_under_its_version(phone: Phone) -> None:
    phone.open("#/signin")
    phone.wait_controlled()
    cached: dict[str, Any] = phone.page.evaluate("""async () => {
        const names = await caches.keys();
        const cache = await caches.open(names[0]);
        return {names, urls: (await cache.keys()).map((r) => new URL(r.url).pathname)};
    }""")
    version = re.search(r"VERSION = '([0-9a-f]+)'", SHELL_JS.read_text()).group(1)  # type: ignore[union-attr]
    assert cached["names"] == [f"otagai-shell-{version}"]
    assert sorted(cached["urls"]) == sorted(_shell_urls())


def test_a_new_version_waits_until_the_resident_chooses_to_update(
    phones: Callable[..., Phone], site: Site
) -> None:
    proxy = ReleaseProxy(site.url)
    try:
        phone = phones(base_url=proxy.url)
        page = phone.page
        phone.open("#/signin")
        phone.wait_controlled()
        page.get_by_label("メールアドレス").fill("typed before the update")

        # The next release, as `make pwa` writes it after any change to the shell.
        shell = SHELL_JS.read_text()
        version = re.search(r"VERSION = '([0-9a-f]+)'", shell).group(1)  # type: ignore[union-attr]
        proxy.release("/vendor/shell.js", shell.replace(version, f"next{version}"))
        proxy.release("/vendor/version.json", json.dumps({"version": f"next{version}"}))
        phone.offline()
        phone.offline(False)  # back online: the app asks the server for its latest version
        shown(page, "新しいバージョンがあります。").wait_for(timeout=15000)
        # Nothing reloads by itself: what the resident typed is still there.
        assert page.get_by_label("メールアドレス").input_value() == "typed before the update"

        page.get_by_role("button", name="更新する").click()
        page.wait_for_function(
            "async (v) => (await caches.keys()).join() === 'otagai-shell-next' + v", arg=version,
            timeout=15000)
        page.locator("main h1").wait_for()
        assert shown(page, "新しいバージョンがあります。").count() == 0
        assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith(f"?v=next{version}")
    finally:
        proxy.close()
