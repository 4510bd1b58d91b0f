"""`otagai` commands that run or maintain the server: serve, worker, drill, backup,
restore and db (API.md "Processes")."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from backend.api.cli_support import Parser, fail, run
from backend.core.settings import load_settings


def cmd_db_upgrade(_: argparse.Namespace) -> None:
    from backend.api.migrate import upgrade

    upgrade(load_settings().database_url)
    print("database is up to date")


def _new_epoch(database_url: str) -> str:
    from backend.core.db import Database
    from backend.sync.server_state import new_epoch

    async def go() -> str:
        db = Database(database_url)
        try:
            async with db.unit_of_work() as uow:
                epoch = await new_epoch(uow.session)
                await uow.commit()
            return epoch
        finally:
            await db.dispose()

    epoch: str = run(go)
    return epoch


def cmd_db_new_epoch(_: argparse.Namespace) -> None:
    print(_new_epoch(load_settings().database_url))


def cmd_backup(args: argparse.Namespace) -> None:
    from backend.api.backup import BackupError, backup

    try:
        backup(load_settings().database_url, Path(args.file))
    except BackupError as exc:
        fail(str(exc))
    print(f"backup written to {args.file}")


def cmd_restore(args: argparse.Namespace) -> None:
    """Restore, migrate, and start a new epoch; prints the new epoch on the last line."""
    from backend.api.backup import BackupError, restore
    from backend.api.migrate import upgrade

    database_url = load_settings().database_url
    try:
        restore(database_url, Path(args.file))
    except BackupError as exc:
        fail(str(exc))
    upgrade(database_url)
    print("restored; devices will re-register and re-send (new server epoch):")
    print(_new_epoch(database_url))


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from backend.api.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    # Servers log JSON lines with request ids unless told otherwise (the workers read this).
    os.environ.setdefault("OTAGAI_LOG_FORMAT", "json")
    if args.workers > 1:
        _share_metrics_between_workers(settings.data_dir)
    uvicorn.run(
        "backend.api.serving:create_serving_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        log_config=None,  # uvicorn's own messages go through our handlers (backend/core/logs.py)
        access_log=False,  # the request guard logs each request, with its request id
        ws="websockets-sansio",
        # A worker has this long to import the app and answer the supervisor's first ping;
        # uvicorn's 5 s default killed and restarted workers forever on a loaded machine.
        timeout_worker_healthcheck=30,
    )


def cmd_drill(args: argparse.Namespace) -> None:
    """A whole-ward drill against its own server process(es); exit 1 if anything was lost."""
    from backend.api.drill.runner import DrillError, DrillOptions, parse_faults, run_drill

    try:
        options = DrillOptions(
            residents=args.residents, faults=parse_faults(args.faults), database_url=args.database_url,
            workers=args.workers, seconds=args.seconds,
        )
        if options.residents < 1 or options.seconds <= 0 or options.workers < 1:
            raise DrillError("--residents, --seconds and --workers must be positive")
        status = run(lambda: run_drill(options))
    except DrillError as exc:
        fail(str(exc))
    raise SystemExit(status)


def _share_metrics_between_workers(data_dir: Path) -> None:
    """prometheus_client's multiprocess mode: each worker writes its counters to files in a
    fresh directory and /metrics sums them (read before the workers start, hence the env)."""
    import shutil

    directory = (data_dir / "metrics").resolve()
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)


def cmd_worker(_: argparse.Namespace) -> None:
    from backend.push.parts import run_until_signalled

    run(lambda: run_until_signalled(load_settings()))


def add_server_commands(sub: Any) -> None:
    serve = sub.add_parser("serve", help="run the app (migrates first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

    drill = sub.add_parser("drill", help="a whole-ward disaster drill against a real server, with faults")
    drill.add_argument("--residents", type=int, default=20_000)
    drill.add_argument("--faults", default="none", help="none, all, or a list of kill,net,db,clock")
    drill.add_argument("--database-url", default=None, help="an empty database (default: a new SQLite file)")
    drill.add_argument("--workers", type=int, default=1)
    drill.add_argument("--seconds", type=float, default=120.0)
    drill.set_defaults(func=cmd_drill)

    backup = sub.add_parser("backup", help="write a consistent backup of the database to FILE")
    backup.add_argument("file")
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore FILE (server stopped) and start a new epoch")
    restore.add_argument("file")
    restore.set_defaults(func=cmd_restore)

    sub.add_parser("worker", help="run the push delivery worker on its own").set_defaults(func=cmd_worker)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=Parser)
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
    db_sub.add_parser(
        "new-epoch", help="after restoring a backup: make clients re-register and re-send"
    ).set_defaults(func=cmd_db_new_epoch)
