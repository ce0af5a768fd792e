"""``python -m ingest triage accept|false-positive|wont-fix|revoke``: record risk decisions.

A decision names one finding (its id, as the findings export and the dashboard show it) or a
rule's findings in a path pattern of a project and tool (``--project --tool --rule [--path]``), and
always a reason. An acceptance expires after ``[decisions] accept_days`` unless ``--expires`` says
when. ``revoke DECISION_ID`` ends a decision. Nothing is ever overwritten: ``python -m analytics
export decisions`` lists every decision and revocation. Exit codes: 0 recorded, 2 usage error (no
reason, unknown finding or decision, an expiry in the past), 4 busy store, 5 unreachable server.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import Any, TextIO

from core.errors import ConfigError, ExitCode, StoreError, UsageError
from core.settings import load_settings
from core.times import time_arg
from ingest import decisions
from store.db import Store

COMMAND = "triage"
KINDS = {"accept": "accepted", "false-positive": "false_positive", "wont-fix": "wont_fix"}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--reason", required=True, help="why (required; kept in the audit trail)")
    p.add_argument("--by", help="who decides (default: the signed-in OS user)")
    p.add_argument("--db", help="database path or SQLAlchemy URL (default $FINDINGS_DB or data/findings.duckdb)")
    p.add_argument("--config", help="settings file (default $FINDINGS_CONFIG or ./config.toml)")
    p.add_argument("--json", action="store_true", help="print the recorded row as JSON")


def add_parser(subparsers: Any) -> None:
    """Add ``triage`` and its subcommands to the ingest parser."""
    triage = subparsers.add_parser(COMMAND, help="mark findings accepted, false positive or won't fix; revoke")
    sub = triage.add_subparsers(dest="action", required=True)
    for action, kind in KINDS.items():
        p = sub.add_parser(action, help=f"mark a finding, or a rule's findings in a path pattern, {kind}")
        p.add_argument("finding_id", nargs="?", metavar="FINDING_ID", help="one finding (else --project --tool --rule)")
        p.add_argument("--project", help="with --tool and --rule: every finding of the rule in the project")
        p.add_argument("--tool")
        p.add_argument("--rule")
        p.add_argument("--path", metavar="GLOB", help="only paths matching GLOB (* matches across /; default *)")
        default = "default: [decisions] accept_days from now" if kind == "accepted" else "default: never"
        p.add_argument("--expires", type=time_arg, metavar="ISO8601", help=f"when the decision ends ({default})")
        _common(p)
    revoke = sub.add_parser("revoke", help="end a decision (the decision and its revocation both stay on record)")
    revoke.add_argument("decision_id", metavar="DECISION_ID")
    _common(revoke)


def _row(d: decisions.Decision) -> dict[str, Any]:
    s = d.scope
    return {
        "decision_id": d.decision_id,
        "kind": d.kind,
        "finding_id": s.finding_id,
        "project": s.project,
        "tool": s.tool,
        "rule_id": s.rule_id,
        "path_glob": s.path_glob,
        "reason": d.reason,
        "decided_by": d.decided_by,
        "decided_at": d.decided_at.isoformat() + "Z",
        "expires_at": d.expires_at.isoformat() + "Z" if d.expires_at else None,
        "revokes": d.revokes,
    }


def _line(d: decisions.Decision) -> str:
    if d.kind == decisions.REVOKE:
        return f"decision {d.revokes} revoked ({d.decision_id}) by {d.decided_by}"
    s = d.scope
    what = f"finding {s.finding_id}" if s.finding_id else f"{s.project} {s.tool} {s.rule_id} in {s.path_glob}"
    until = f", expires {d.expires_at:%Y-%m-%dT%H:%M:%SZ}" if d.expires_at else ""
    return f"decision {d.decision_id}: {what} {d.kind} by {d.decided_by}{until}"


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run a parsed ``triage`` command; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        by = args.by or getpass.getuser()
        store = Store(args.db)
        if args.action == "revoke":
            d = decisions.revoke(store, args.decision_id, args.reason, by)
        else:
            scope = decisions.Scope(args.finding_id, args.project, args.tool, args.rule, args.path)
            settings = load_settings(args.config)
            d = decisions.decide(store, KINDS[args.action], scope, args.reason, by, expires_at=args.expires,
                                 settings=settings)  # fmt: skip
    except (UsageError, StoreError, ConfigError) as e:
        err.write(f"error: {e}\n")
        return e.exit_code
    out.write(json.dumps(_row(d), indent=2) + "\n" if args.json else _line(d) + "\n")
    return ExitCode.OK
