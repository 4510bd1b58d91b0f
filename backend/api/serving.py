"""The application as `otagai serve` runs it: `create_app`, then the garbage collector set
for a long-lived server process.

Python's cycle collector looked at every object the process holds, the GraphQL schema,
SQLAlchemy's tables and the imported modules among them, on each full collection: 6 s of
the server's 85 s of CPU in bench/checkin_surge.py (10,000 residents), in pauses of about
170 ms each that stalled every request meanwhile. What exists once the app is built lives as
long as the process, so it is moved out of the collector's sight (`gc.freeze`), and young
collections run less often: most objects a request makes are freed by reference counting
before any collection sees them. Tests build apps with `create_app` and keep the defaults.
"""

from __future__ import annotations

import gc

from starlette.applications import Starlette

from backend.api.app import create_app

YOUNG_THRESHOLD = 10_000  # Python's default is 700 allocations between young collections


def create_serving_app() -> Starlette:
    app = create_app()
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
    return app
