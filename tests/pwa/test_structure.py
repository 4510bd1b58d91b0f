"""The PWA's house rules (STYLE.md): one module touches IndexedDB, one calls fetch, no inline
script or style (the CSP allows neither), and libraries come from npm, not the repository."""

from __future__ import annotations

import re

from tests.pwa.site import ROOT

PWA = ROOT / "pwa"


def _sources() -> dict[str, str]:
    return {
        str(path.relative_to(PWA)): path.read_text(encoding="utf-8")
        for path in PWA.rglob("*.js") if "vendor" not in path.relative_to(PWA).parts
    }


def test_only_outbox_db_touches_indexeddb() -> None:
    users = {name for name, text in _sources().items() if re.search(r"\bindexedDB\b|vendor/idb\.js", text)}
    assert users == {"outbox/db.js"}


def test_only_api_client_calls_fetch() -> None:
    users = {name for name, text in _sources().items() if re.search(r"(?<![.\w])fetch\(", text)}
    assert users == {"api/client.js"}


def test_the_page_has_no_inline_script_or_style() -> None:
    page = (PWA / "index.html").read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "<style" not in page and " style=" not in page


def test_no_library_is_copied_into_the_repository() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert "pwa/vendor/" in ignored and "node_modules/" in ignored


def test_no_module_writes_html_from_text() -> None:
    """Every text a resident typed (names, posts, comments, listings, check-in comments, shelter
    names from open data) reaches the page through preact, which sets it as text: no module
    may hand a string to the HTML parser. The browser tests show it on the board and market."""
    html_sinks = re.compile(r"innerHTML|outerHTML|insertAdjacentHTML|dangerouslySetInnerHTML|document\.write|"
                            r"createContextualFragment|DOMParser|\beval\(|new Function\(")
    users = {name for name, text in _sources().items() if html_sinks.search(text)}
    assert users == set()
