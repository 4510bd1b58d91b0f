"""`otagai serve` builds the app with the garbage collector set for a long-lived server
(backend/api/serving.py): what exists once the app is built is frozen out of the collector's
sight, and young collections run less often. Checked in a fresh interpreter, since freezing
the test process would keep every later test's garbage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from backend.api.serving import YOUNG_THRESHOLD

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import gc, json
from backend.api.serving import create_serving_app
before = gc.get_freeze_count()
app = create_serving_app()
print(json.dumps({"before": before, "frozen": gc.get_freeze_count(), "threshold": gc.get_threshold(),
                  "routes": [getattr(r, "path", "") for r in app.routes]}))
"""


def test_the_served_app_is_frozen_out_of_the_collectors_sight(tmp_path: Path) -> None:
    env = {**os.environ, "OTAGAI_DATABASE_URL": f"sqlite:///{tmp_path / 'otagai.db'}", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["before"] == 0
    assert seen["frozen"] > 10_000  # the schema, the tables, the modules: all of it
    assert seen["threshold"][0] == YOUNG_THRESHOLD
    assert "/graphql" in seen["routes"]
