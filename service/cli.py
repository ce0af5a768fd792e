"""``python -m service``: the HTTP API for CI pipelines, and its tokens.

    python -m service [--host 127.0.0.1] [--port 8000] [--db DB] [--config FILE] [--parallel N]
    python -m service token create --name NAME --project PATTERN --scope upload|read [--expires WHEN]
    python -m service token list [--json]
    python -m service token revoke ID_OR_NAME

The service listens on 127.0.0.1 unless ``--host`` says otherwise; put a TLS reverse proxy in
front of it before exposing it (docs/api.md). Exit codes as the other command lines: 0 ok, 2 usage,
4 the DuckDB file stayed locked by another process, 5 the database server cannot be used.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from core.errors import ExitCode, FindingsError
from core.settings import load_settings
from core.times import read_time
from service.auth import SCOPES, create_token
from service.uploads import Spool, clean_spools
from store.db import Store
from store.tokens import all_tokens, revoke_token

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000


def _db(p: argparse.ArgumentParser, nested: bool = False) -> None:
    # A subcommand's own --db must not reset one given before it (argparse's subparser defaults would).
    p.add_argument(
        "--db",
        default=argparse.SUPPRESS if nested else None,
        help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m service", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    _db(parser)
    parser.add_argument("--config", help="settings file (default $FINDINGS_CONFIG or ./config.toml)")
    parser.add_argument(
        "--parallel", type=int, default=2, metavar="N", help="uploads read and normalised at once (default 2)"
    )
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    sub = parser.add_subparsers(dest="command", metavar="{token}")
    token = sub.add_parser("token", help="create, list or revoke API tokens")
    actions = token.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="make a token and print it (once: only its hash is kept)")
    create.add_argument("--name", required=True, help="who uses it, e.g. ci-shop")
    create.add_argument(
        "--project",
        action="append",
        required=True,
        metavar="PATTERN",
        help="projects it may touch, e.g. acme/* (repeatable)",
    )
    create.add_argument("--scope", action="append", required=True, choices=SCOPES, help="upload and/or read")
    create.add_argument("--expires", metavar="ISO8601", help="when it stops working (default: never)")
    _db(create, nested=True)
    listing = actions.add_parser("list", help="the tokens, without their secrets")
    listing.add_argument("--json", action="store_true", help="one JSON object per token, in a list")
    _db(listing, nested=True)
    revoke = actions.add_parser("revoke", help="stop a token (by id, or every active token of a name)")
    revoke.add_argument("token", metavar="ID_OR_NAME")
    _db(revoke, nested=True)
    return parser


def _token(args: argparse.Namespace) -> int:
    store = Store(args.db)
    store.ensure()
    if args.action == "create":
        expires = read_time(args.expires) if args.expires else None
        if expires is not None and expires <= datetime.now(UTC).replace(tzinfo=None):
            print("error: --expires is in the past", file=sys.stderr)
            return ExitCode.USAGE
        text, row = create_token(store, args.name, args.scope, args.project, expires)
        print(text)
        print(
            f"token {row.token_id} ({row.name}): scopes {', '.join(row.scopes)}; projects {', '.join(row.projects)}"
            f"{'; expires ' + str(_stamp(row.expires_at)) if row.expires_at else ''}. Shown once: store it now.",
            file=sys.stderr,
        )
        return ExitCode.OK
    if args.action == "list":
        return _list(store, args.json)
    revoked = revoke_token(store, args.token, datetime.now(UTC).replace(tzinfo=None))
    if not revoked:
        print(f"error: no active token with id or name {args.token!r}", file=sys.stderr)
        return ExitCode.USAGE
    print(f"revoked {', '.join(revoked)}")
    return ExitCode.OK


def _stamp(when: datetime | None) -> str | None:
    return when.isoformat(timespec="seconds") + "Z" if when is not None else None


def _list(store: Store, as_json: bool) -> int:
    rows = all_tokens(store)
    if as_json:
        print(json.dumps([
            {"id": r.token_id, "name": r.name, "scopes": list(r.scopes), "projects": list(r.projects),
             "created_at": _stamp(r.created_at), "expires_at": _stamp(r.expires_at), "revoked_at": _stamp(r.revoked_at)}
            for r in rows
        ], indent=2))  # fmt: skip
        return ExitCode.OK
    for r in rows:
        state = f"revoked {_stamp(r.revoked_at)}" if r.revoked_at else f"expires {_stamp(r.expires_at) or 'never'}"
        created = _stamp(r.created_at)
        print(f"{r.token_id}  {r.name}  {','.join(r.scopes)}  {','.join(r.projects)}  created {created}  {state}")
    return ExitCode.OK


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.app import create_app
    from service.context import Context

    store = Store(args.db)
    store.ensure()  # migrations now, and a clear error before listening when the store cannot be used
    clean_spools()
    spool = Spool()
    try:
        ctx = Context(store, load_settings(args.config), parallel=args.parallel, spool=spool)
        logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        print(f"serving {store.where} on http://{args.host}:{args.port}/api/v1 (Ctrl-C stops)", file=sys.stderr)
        uvicorn.run(create_app(ctx), host=args.host, port=args.port, log_level=args.log_level, timeout_keep_alive=30)
    finally:
        spool.close()
    return ExitCode.OK


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "token":
            return _token(args)
        if args.parallel < 1:
            print("error: --parallel must be at least 1", file=sys.stderr)
            return ExitCode.USAGE
        return _serve(args)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return ExitCode.USAGE
    except FindingsError as e:
        print(f"error: {e}", file=sys.stderr)
        return e.exit_code
