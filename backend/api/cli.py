"""The `otagai` command (API.md "Processes")."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from backend.core.errors import DomainError
from backend.core.settings import load_settings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


class UsageError(Exception):
    """Bad input to a command: one line on stderr, exit status 2."""


def _fail(message: str) -> NoReturn:
    print(f"otagai: error: {message}", file=sys.stderr)
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


def cmd_db_new_epoch(_: argparse.Namespace) -> None:
    from backend.core.db import Database
    from backend.sync.server_state import new_epoch

    async def go() -> str:
        db = Database(load_settings().database_url)
        try:
            async with db.unit_of_work() as uow:
                epoch = await new_epoch(uow.session)
                await uow.commit()
            return epoch
        finally:
            await db.dispose()

    print(_run(go))


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from backend.api.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    uvicorn.run(
        "backend.api.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        ws="websockets-sansio",
    )


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


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="otagai", description="Otagai (お互い様) server and tools")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="run the app (migrates first)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)

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

    demo = sub.add_parser("demo", help="the demo ward")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True, parser_class=_Parser)
    demo_sub.add_parser("load", help="load fixtures/demo (idempotent)").set_defaults(func=cmd_demo_load)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except DomainError as exc:
        _fail(f"{exc.message} ({exc.code})")
    except (UsageError, ValueError) as exc:
        _fail(str(exc))


if __name__ == "__main__":
    main()
