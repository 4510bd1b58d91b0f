"""Where the tests find real open data: the shared directory beside the repo, and our excerpts."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
OPEN_DATA = REPO.parent / "shared/data/open-data"
EXCERPTS = REPO / "fixtures/open-data"
