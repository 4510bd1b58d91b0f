"""The `otagai` command (API.md "Processes")."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from backend.api.wiring import wire
from backend.core.errors import DomainError
from backend.core.settings import load_settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


class UsageError(Exception):
    """Bad input to a command: one line on stderr, exit status 2."""


def _fail(message: str) -> NoReturn:
    one_line = "; ".join(part.strip() for part in message.splitlines() if part.strip())
    print(f"otagai: error: {one_line}", file=sys.stderr)
    raise SystemExit(2)


def _run(coro_fn: Callable[[], Awaitable[Any]]) -> Any:
    async def runner() -> Any:
        return await coro_fn()

    return asyncio.run(runner())


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        _fail(message)



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

    epoch: str = _run(go)
    return epoch


def cmd_db_new_epoch(_: argparse.Namespace) -> None:
    print(_new_epoch(load_settings().database_url))


def cmd_backup(args: argparse.Namespace) -> None:
    from backend.api.backup import BackupError, backup

    try:
        backup(load_settings().database_url, Path(args.file))
    except BackupError as exc:
        _fail(str(exc))
    print(f"backup written to {args.file}")


def cmd_restore(args: argparse.Namespace) -> None:
    """Restore, migrate, and start a new epoch; prints the new epoch on the last line."""
    from backend.api.backup import BackupError, restore
    from backend.api.migrate import upgrade

    database_url = load_settings().database_url
    try:
        restore(database_url, Path(args.file))
    except BackupError as exc:
        _fail(str(exc))
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
        "backend.api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        log_config=None,  # uvicorn's own messages go through our handlers (backend/core/logs.py)
        access_log=False,  # the request guard logs each request, with its request id
        ws="websockets-sansio",
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
        status = _run(lambda: run_drill(options))
    except DrillError as exc:
        _fail(str(exc))
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

    _run(lambda: run_until_signalled(load_settings()))


def cmd_user_create(args: argparse.Namespace) -> None:
    from backend.accounts import service
    from backend.accounts.roles import Role
    from backend.core.db import Database

    role = None
    if args.role:
        try:
            role = Role(args.role.upper())
        except ValueError:
            _fail(f"unknown role {args.role!r}; use ward_admin (scoped roles: grantRole)")
        if role is not Role.WARD_ADMIN:
            _fail("only ward_admin can be given here; leaders and staff need a scope (grantRole)")

    async def go() -> str:
        db = Database(load_settings().database_url)
        try:
            async with db.unit_of_work() as uow:
                user, _ = await service.register(
                    uow.session, email=args.email, password=args.password, display_name=args.name,
                    locale=args.locale,
                )
                if role is not None:
                    await service.grant_role(uow.session, actor=None, user_id=user.id, role=role, scope_id=None)
                await uow.commit()
                return user.id
        finally:
            await db.dispose()

    print(_run(go))


def cmd_demo_load(_: argparse.Namespace) -> None:
    from backend.api.demo import load_demo

    async def go() -> int:
        return await load_demo(load_settings().database_url, FIXTURES / "demo")

    created = _run(go)
    print(f"demo ward loaded: {created} new accounts")


def _in_uow(fn: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `fn(session)` in one unit of work against OTAGAI_DATABASE_URL; commit if it returns."""
    from backend.core.db import Database

    async def go() -> Any:
        db = Database(load_settings().database_url)
        try:
            async with db.unit_of_work() as uow:
                result = await fn(uow.session)
                await uow.commit()
                return result
        finally:
            await db.dispose()

    return _run(go)


def cmd_shelters_import(args: argparse.Namespace) -> None:
    from backend.safety import shelters
    from backend.safety.importer.parse import parse_file

    path = Path(args.file)
    if not path.is_file():
        _fail(f"no such file: {path}")
    parsed = parse_file(path, format=args.format, encoding=args.encoding)
    counts = _in_uow(lambda session: shelters.import_records(session, parsed.records))
    print(f"format: {parsed.format} ({parsed.encoding})")
    print(f"created: {counts.created}")
    print(f"updated: {counts.updated}")
    print(f"unchanged: {counts.unchanged}")
    print(f"skipped: {len(parsed.skipped)}")
    for row in parsed.skipped:
        print(f"  skipped {row}")
    for warning in parsed.warnings:
        print(f"  warning {warning}")


def cmd_incident_open(args: argparse.Namespace) -> None:
    from backend.safety import incidents

    incident = _in_uow(lambda s: incidents.open_incident(s, actor=None, name=args.name, is_drill=args.drill))
    print(f"opened {'drill' if incident.is_drill else 'incident'}: {incident.name}")
    print(incident.id)


def cmd_incident_close(args: argparse.Namespace) -> None:
    from backend.safety import incidents

    incident = _in_uow(lambda s: incidents.close_incident(s, actor=None, incident_id=args.id))
    print(f"closed: {incident.name}" + (" (drill: personal data purged)" if incident.is_drill else ""))
    print(incident.id)


def cmd_association_create(args: argparse.Namespace) -> None:
    from backend.board import associations

    area = None
    if args.area:
        area_path = Path(args.area)
        if not area_path.is_file():
            _fail(f"no such file: {area_path}")
        area = area_path.read_text(encoding="utf-8")
    association = _in_uow(lambda s: associations.create_association(s, name=args.name, area_geojson=area))
    print(association.id)


def cmd_market_expire(_: argparse.Namespace) -> None:
    from backend.core.clock import utcnow
    from backend.market import listings

    print(f"expired: {_in_uow(lambda s: listings.expire_due(s, now=utcnow(), limit=10_000))}")


def cmd_export_pfif(args: argparse.Namespace) -> None:
    from backend.safety import pfif

    document = _in_uow(lambda s: pfif.export_pfif(
        s, incident_id=args.incident, actor=None, domain=args.domain or pfif.DEFAULT_DOMAIN,
        source_name=args.source_name or pfif.DEFAULT_SOURCE_NAME,
    ))
    sys.stdout.buffer.write(document)


def cmd_export_shelters(args: argparse.Namespace) -> None:
    from backend.safety import exports

    async def export(session: Any) -> bytes:
        incident, rows = await exports.shelter_status_rows(session, incident_id=args.incident, actor=None)
        return exports.render(rows, args.format, incident)

    sys.stdout.buffer.write(_in_uow(export))


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="otagai", description="Otagai (お互い様) server and tools")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

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
    db_sub = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)
    db_sub.add_parser(
        "new-epoch", help="after restoring a backup: make clients re-register and re-send"
    ).set_defaults(func=cmd_db_new_epoch)

    user = sub.add_parser("user", help="accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, parser_class=_Parser)
    create = user_sub.add_parser("create", help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--locale", default="ja")
    create.add_argument("--role")
    create.set_defaults(func=cmd_user_create)

    shelters = sub.add_parser("shelters", help="shelters and evacuation sites")
    shelters_sub = shelters.add_subparsers(dest="shelters_command", required=True, parser_class=_Parser)
    imp = shelters_sub.add_parser("import", help="import an open-data CSV (idempotent)")
    imp.add_argument("file")
    imp.add_argument("--format", default="auto")
    imp.add_argument("--encoding", default="auto")
    imp.set_defaults(func=cmd_shelters_import)

    incident = sub.add_parser("incident", help="incidents and drills")
    incident_sub = incident.add_subparsers(dest="incident_command", required=True, parser_class=_Parser)
    inc_open = incident_sub.add_parser("open", help="open an incident (or a drill)")
    inc_open.add_argument("--name", required=True)
    inc_open.add_argument("--drill", action="store_true")
    inc_open.set_defaults(func=cmd_incident_open)
    inc_close = incident_sub.add_parser("close", help="close an incident")
    inc_close.add_argument("id")
    inc_close.set_defaults(func=cmd_incident_close)

    association = sub.add_parser("association", help="neighbourhood associations")
    association_sub = association.add_subparsers(dest="association_command", required=True, parser_class=_Parser)
    assoc_create = association_sub.add_parser("create", help="create an association")
    assoc_create.add_argument("--name", required=True)
    assoc_create.add_argument("--area", help="a GeoJSON file with the area polygon")
    assoc_create.set_defaults(func=cmd_association_create)

    export = sub.add_parser("export", help="exports for other systems (written to stdout)")
    export_sub = export.add_subparsers(dest="export_command", required=True, parser_class=_Parser)
    exp_pfif = export_sub.add_parser("pfif", help="an incident's findable people as PFIF 1.4 XML")
    exp_pfif.add_argument("--incident", required=True)
    exp_pfif.add_argument("--domain", help="this repository's domain in PFIF record ids")
    exp_pfif.add_argument("--source-name")
    exp_pfif.set_defaults(func=cmd_export_pfif)
    exp_shelters = export_sub.add_parser("shelters", help="shelter status in an incident")
    exp_shelters.add_argument("--incident", required=True)
    exp_shelters.add_argument("--format", choices=("csv", "geojson"), default="csv")
    exp_shelters.set_defaults(func=cmd_export_shelters)

    market = sub.add_parser("market", help="the help-each-other marketplace")
    market.add_subparsers(dest="market_command", required=True, parser_class=_Parser).add_parser(
        "expire", help="expire listings and claims past their time (run it from cron)",
    ).set_defaults(func=cmd_market_expire)

    demo = sub.add_parser("demo", help="the demo ward")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True, parser_class=_Parser)
    demo_sub.add_parser("load", help="load fixtures/demo (idempotent)").set_defaults(func=cmd_demo_load)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    args = build_parser().parse_args(argv)
    wire()
    try:
        args.func(args)
    except DomainError as exc:
        _fail(f"{exc.message} ({exc.code})")
    except (UsageError, ValueError) as exc:
        _fail(str(exc))


if __name__ == "__main__":
    main()
