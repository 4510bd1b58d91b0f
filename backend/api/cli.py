"""The `otagai` command (API.md "Processes")."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

from backend.api.cli_server import add_server_commands
from backend.api.cli_support import Parser, UsageError, fail, run
from backend.api.wiring import wire
from backend.core.errors import DomainError
from backend.core.settings import load_settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def cmd_user_create(args: argparse.Namespace) -> None:
    from backend.accounts import service
    from backend.accounts.roles import Role
    from backend.core.db import Database

    role = None
    if args.role:
        try:
            role = Role(args.role.upper())
        except ValueError:
            fail(f"unknown role {args.role!r}; use ward_admin (scoped roles: grantRole)")
        if role is not Role.WARD_ADMIN:
            fail("only ward_admin can be given here; leaders and staff need a scope (grantRole)")

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

    print(run(go))


def cmd_demo_load(_: argparse.Namespace) -> None:
    from backend.api.demo import load_demo

    async def go() -> int:
        return await load_demo(load_settings().database_url, FIXTURES / "demo")

    created = run(go)
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

    return run(go)


def cmd_shelters_import(args: argparse.Namespace) -> None:
    from backend.safety import shelters
    from backend.safety.importer.parse import parse_file

    path = Path(args.file)
    if not path.is_file():
        fail(f"no such file: {path}")
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
            fail(f"no such file: {area_path}")
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
    parser = Parser(prog="otagai", description="Otagai (お互い様) server and tools")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    add_server_commands(sub)

    user = sub.add_parser("user", help="accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, parser_class=Parser)
    create = user_sub.add_parser("create", help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--password", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--locale", default="ja")
    create.add_argument("--role")
    create.set_defaults(func=cmd_user_create)

    shelters = sub.add_parser("shelters", help="shelters and evacuation sites")
    shelters_sub = shelters.add_subparsers(dest="shelters_command", required=True, parser_class=Parser)
    imp = shelters_sub.add_parser("import", help="import an open-data CSV (idempotent)")
    imp.add_argument("file")
    imp.add_argument("--format", default="auto")
    imp.add_argument("--encoding", default="auto")
    imp.set_defaults(func=cmd_shelters_import)

    incident = sub.add_parser("incident", help="incidents and drills")
    incident_sub = incident.add_subparsers(dest="incident_command", required=True, parser_class=Parser)
    inc_open = incident_sub.add_parser("open", help="open an incident (or a drill)")
    inc_open.add_argument("--name", required=True)
    inc_open.add_argument("--drill", action="store_true")
    inc_open.set_defaults(func=cmd_incident_open)
    inc_close = incident_sub.add_parser("close", help="close an incident")
    inc_close.add_argument("id")
    inc_close.set_defaults(func=cmd_incident_close)

    association = sub.add_parser("association", help="neighbourhood associations")
    association_sub = association.add_subparsers(dest="association_command", required=True, parser_class=Parser)
    assoc_create = association_sub.add_parser("create", help="create an association")
    assoc_create.add_argument("--name", required=True)
    assoc_create.add_argument("--area", help="a GeoJSON file with the area polygon")
    assoc_create.set_defaults(func=cmd_association_create)

    export = sub.add_parser("export", help="exports for other systems (written to stdout)")
    export_sub = export.add_subparsers(dest="export_command", required=True, parser_class=Parser)
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
    market.add_subparsers(dest="market_command", required=True, parser_class=Parser).add_parser(
        "expire", help="expire listings and claims past their time (run it from cron)",
    ).set_defaults(func=cmd_market_expire)

    demo = sub.add_parser("demo", help="the demo ward")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True, parser_class=Parser)
    demo_sub.add_parser("load", help="load fixtures/demo (idempotent)").set_defaults(func=cmd_demo_load)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    args = build_parser().parse_args(argv)
    wire()
    try:
        args.func(args)
    except DomainError as exc:
        fail(f"{exc.message} ({exc.code})")
    except (UsageError, ValueError) as exc:
        fail(str(exc))


if __name__ == "__main__":
    main()
