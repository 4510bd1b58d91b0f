"""What the browser tests drive: the server (as an operator and as another client) and a phone."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.support.command_in_process import run_command
from tests.support.operations import operation
from tests.support.server import ROOT

PASSWORD = "correct horse 1"


@dataclass
class Site:
    url: str
    database_url: str

    def otagai(self, *args: str) -> str:
        """Run an `otagai` command on the site's database; the last line of its output."""
        done = run_command(self.database_url, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()[-1]

    def open_drill(self, name: str = "訓練") -> str:
        return self.otagai("incident", "open", "--name", name, "--drill")

    def close_incident(self, incident_id: str) -> None:
        self.otagai("incident", "close", incident_id)

    def graphql(self, name: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        reply = httpx.post(
            f"{self.url}/graphql", headers=headers, timeout=30,
            json={"query": operation(name), "operationName": name, "variables": variables or {}},
        )
        assert reply.status_code == 200, (reply.status_code, reply.text)
        body = reply.json()
        assert not body.get("errors"), body
        return body["data"]

    def register(self, email: str, name: str) -> tuple[str, str]:
        data = self.graphql("Register", {"input": {"email": email, "password": PASSWORD, "displayName": name}})
        assert data["register"]["__typename"] == "AuthSuccess", data
        return data["register"]["token"], data["register"]["user"]["id"]

    def login(self, email: str) -> tuple[str, str]:
        data = self.graphql("Login", {"input": {"email": email, "password": PASSWORD}})
        assert data["login"]["__typename"] == "AuthSuccess", data
        return data["login"]["token"], data["login"]["user"]["id"]

    def pulled(self, token: str) -> list[dict[str, Any]]:
        """Everything the user can see, as the server sends it to a fresh device."""
        changes: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.graphql("Pull", {"input": {"cursor": cursor, "limit": 500}}, token)["pull"]
            changes.extend(page["changes"])
            cursor = page["cursor"]
            if not page["hasMore"]:
                return changes

    def admin(self) -> str:
        """A ward admin's token (the account is made on first use)."""
        if not self.rows("SELECT 1 FROM account_user WHERE email = ?", "ward-admin@example.jp"):
            self.otagai("user", "create", "--email", "ward-admin@example.jp", "--password", PASSWORD,
                        "--name", "防災課", "--role", "ward_admin")
        return self.login("ward-admin@example.jp")[0]

    def grant(self, user_id: str, role: str, scope_id: str) -> None:
        data = self.graphql("GrantRole", {"userId": user_id, "role": role, "scopeId": scope_id}, self.admin())
        assert data["grantRole"]["__typename"] == "RoleGranted", data

    def association_with_leader(self, name: str) -> tuple[str, str]:
        """An association and its leader (a role only: no household of their own)."""
        association = self.otagai("association", "create", "--name", name)
        token, leader_id = self.register("kaicho@example.jp", "会長 山本")
        self.grant(leader_id, "LEADER", association)
        return association, token

    def join(self, association: str, leader_token: str, email: str) -> None:
        """The resident joins by the leader's invite (they get a one-person household)."""
        code = self.graphql("CreateInvite", {"associationId": association}, leader_token)["createInvite"]["code"]
        token, _ = self.login(email)
        joined = self.graphql("JoinAssociation", {"code": code}, token)["joinAssociation"]
        assert joined["__typename"] == "Membership", joined

    def push(self, token: str, *actions: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        """Send actions as a fresh device of the user would (one batch); every one must apply."""
        now = datetime.now(UTC).isoformat()
        envelopes = [
            {"mutationId": str(uuid.uuid4()), "seq": seq, "clientTime": now, "argsVersion": 1, "args": {name: args}}
            for seq, (name, args) in enumerate(actions, start=1)
        ]
        payload = self.graphql("Push", {"input": {
            "clientId": str(uuid.uuid4()), "serverEpoch": None, "appVersion": "test", "sentAt": now,
            "mutations": envelopes,
        }}, token)["push"]
        assert [r["status"] for r in payload["results"]] == ["APPLIED"] * len(actions), payload
        return list(payload["results"])

    def rows_become(self, expected: list[tuple[Any, ...]], sql: str, *params: Any, timeout: float = 15) -> None:
        """Wait until the database holds what an action sent from a phone (online, it goes at once)."""
        deadline = time.monotonic() + timeout
        while (found := self.rows(sql, *params)) != expected:
            assert time.monotonic() < deadline, found
            time.sleep(0.1)

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Read the database directly (SQLite), with no app in between."""
        path = self.database_url[len("sqlite:///"):]
        with sqlite3.connect(path) as connection:
            return connection.execute(sql, params).fetchall()


@dataclass
class Phone:
    context: Any
    page: Any
    site: Site
    errors: list[str] = field(default_factory=list)

    def open(self, route: str = "#/checkin") -> None:
        self.page.goto(f"/{route}")
        self.page.locator("main h1").wait_for()

    def register(self, email: str, name: str) -> None:
        """Create an account through the sign-in screen; ends signed in on the check-in screen."""
        page = self.page
        page.get_by_role("button", name="はじめての方（アカウントを作る）").click()
        page.get_by_label("表示名").fill(name)
        page.get_by_label("メールアドレス").fill(email)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="アカウントを作る", exact=True).click()
        shown(page, "すべて送信済み").wait_for()
        page.wait_for_url("**/#/checkin")

    def sign_in(self, email: str) -> None:
        page = self.page
        page.locator(".mode-switch").get_by_role("button", name="サインイン", exact=True).click()
        page.locator("#email").fill(email)
        page.locator("#password").fill(PASSWORD)
        page.locator("form button[type=submit]").click()
        shown(page, "サインインしました。").wait_for()

    def wait_controlled(self) -> None:
        """The service worker has installed, cached the shell and controls the page."""
        self.page.wait_for_function(
            "() => navigator.serviceWorker.controller?.state === 'activated'", timeout=15000)

    def offline(self, offline: bool = True) -> None:
        self.context.set_offline(offline)

    def pending(self) -> str:
        return str(self.page.get_by_test_id("pending").inner_text()).strip()

    def stored(self, key: str) -> Any:
        """A record of the app's `meta` store, read from IndexedDB (test-side inspection)."""
        return self.page.evaluate("""(key) => new Promise((resolve, reject) => {
            const open = indexedDB.open('otagai');
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const get = open.result.transaction('meta').objectStore('meta').get(key);
              get.onsuccess = () => { resolve(get.result ?? null); open.result.close(); };
            };
        })""", key)

    def session(self) -> dict[str, Any]:
        return dict(self.stored("session"))

    def check_in(self, *buttons: str) -> None:
        page = self.page
        for name in buttons:
            page.get_by_role("button", name=name).click()
        page.get_by_role("button", name="安否を送る").click()


class ReleaseProxy:
    """A pass-through HTTP proxy in front of the site that can swap in a file of the next
    release, the way a deployment changes what the server sends (for the update flow)."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.replaced: dict[str, bytes] = {}
        # One client for every request: a new one each time builds an SSL context (slow on a busy machine).
        self.client = httpx.Client(timeout=30)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                path = self.path.split("?", 1)[0]
                if self.command == "GET" and path in proxy.replaced:
                    kind = "application/json" if path.endswith(".json") else "text/javascript"
                    status, headers, body = 200, {"content-type": kind}, proxy.replaced[path]
                else:
                    length = int(self.headers.get("content-length") or 0)
                    reply = proxy.client.request(
                        self.command, proxy.upstream + self.path, content=self.rfile.read(length),
                        headers={k: v for k, v in self.headers.items() if k.lower() not in _HOP},
                        timeout=30,
                    )
                    status, headers, body = reply.status_code, dict(reply.headers), reply.content
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() not in _HOP | {"content-encoding"}:
                        self.send_header(name, value)
                if status != 304:  # a 304 has no body and no length of its own
                    self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _forward

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def release(self, path: str, body: str) -> None:
        self.replaced[path] = body.encode()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.client.close()


_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "upgrade"}
_CONDITIONAL = {"if-none-match", "if-modified-since"}


AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

# Tap targets under 44 × 44 CSS px on the page as it is now (WCAG 2.5.5, the product's rule).
TARGETS = """() => [...document.querySelectorAll(
    'button, .button, .menu a, select, textarea, label.choice, ' +
    'input:not([type=checkbox]):not([type=radio])')]
  .filter((el) => el.getClientRects().length)
  .map((el) => { const r = el.getBoundingClientRect();
                 return {what: el.outerHTML.slice(0, 80), width: r.width, height: r.height}; })
  .filter((t) => t.width < 44 || t.height < 44)"""


def audit(page: Any) -> list[str]:
    """axe-core's violations on the page as it is now (every rule axe runs by default)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(Path(AXE).read_text(encoding="utf-8"))  # via DevTools: the CSP stays on
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
    ]


def shown(page: Any, text: str, **options: Any) -> Any:
    """Text as the page shows it: the status line and banners come before the screen-reader
    announcement that may repeat them (a strict locator would see both)."""
    return page.get_by_text(text, **options).first
