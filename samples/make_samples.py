"""Build the bundled sample history: real Ruff and Bandit SARIF over 8 commits of a tiny web shop.

Run once by a developer (output is committed):

    .venv/bin/python samples/make_samples.py

It writes a small Flask-style code base (``shop/``) into a temporary checkout, edits it commit by
commit (fixed dates from 2026-06-01 to 2026-08-10), runs ``ruff check --output-format sarif`` and
``bandit -f sarif -r .`` after each commit, and writes

* ``samples/sarif/ruff-<n>.sarif`` and ``samples/sarif/bandit-<n>.sarif`` — scanner output verbatim;
* ``samples/manifest.csv`` — one row per file for ``python -m ingest manifest``.

Ruff writes absolute ``file:///<checkout>/…`` URIs; the checkout's path goes into the manifest's
``source_root`` column so that ingest strips it. Bandit, run as ``-r .`` inside the checkout,
writes relative URIs already. The checkout is deleted afterwards, so Ruff's findings keep their
identity through the message text (``computed:message``), Bandit's through its snippets.

The story (see ``COMMITS``): findings introduced, lines shifted, fixes, an inline waiver
(``# noqa`` / ``# nosec``: both tools then omit the result, they write no SARIF suppression, so
the finding closes like a fix) and an MD5 hash that is fixed and later reintroduced (a reopen).
Only the edits and dates are deterministic: Bandit stamps the run time, and the checkout path
differs per run.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
SARIF_DIR = HERE / "sarif"
MANIFEST = HERE / "manifest.csv"
PROJECT, BRANCH = "sample-shop", "main"
START = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
RUFF_SELECT = "S,F,E"


@dataclass(frozen=True)
class Commit:
    n: int
    day: int  # days after START
    message: str


COMMITS = [
    Commit(1, 0, "initial shop: hard-coded secret key, SQL built with an f-string, MD5, assert, unused import"),
    Commit(2, 8, "add CSV export through a shell command (subprocess shell=True)"),
    Commit(3, 17, "hash passwords with SHA-256; drop the unused import"),
    Commit(4, 28, "pickle-backed cart cookie; settings and pagination helpers move code down"),
    Commit(5, 37, "parameterised product search; waive the login assert with noqa/nosec"),
    Commit(6, 49, "export without a shell"),
    Commit(7, 59, "restore the legacy MD5 password hash for old accounts (reintroduced)"),
    Commit(8, 70, "cart cookie as JSON instead of pickle"),
]


def commit_sha(n: int) -> str:
    """A fake but well-formed 40-hex commit id, stable for commit n."""
    return hashlib.sha1(f"{PROJECT} commit {n}".encode(), usedforsecurity=False).hexdigest()


# ------------------------------------------------------------------------------ the code base
INIT_PY = '''"""Sample shop: a tiny Flask-style web shop used to demonstrate a findings history."""

from flask import Flask

from shop import config, views


def create_app():
    app = Flask(__name__)
    app.config.from_object(config)
    views.register(app)
    return app
'''


def config_py(n: int) -> str:
    head = '"""Settings for the sample shop."""\n\nimport os\n\n'
    extra = ""
    if n >= 4:  # a block of settings lands above the secret: everything below moves down
        extra = (
            "# Display\n"
            'PAGE_SIZE = int(os.environ.get("SHOP_PAGE_SIZE", "20"))\n'
            'CURRENCY = os.environ.get("SHOP_CURRENCY", "EUR")\n'
            "MAX_CART_ITEMS = 50\n\n"
            "# Security\n"
        )
    return (
        head
        + extra
        + (
            'DEBUG = os.environ.get("SHOP_DEBUG") == "1"\n'
            'SECRET_KEY = "dev-secret-change-me"\n'
            'DATABASE = os.environ.get("SHOP_DB", "shop.sqlite3")\n'
        )
    )


def db_py(n: int) -> str:
    hash_name = "md5" if n in (1, 2, 7, 8) else "sha256"
    users = ""
    if n >= 6:  # new helpers above the hash function shift it down
        users = """

def find_user(conn, email):
    row = conn.execute("SELECT id, salt, hash FROM users WHERE email = ?", (email,))
    return row.fetchone()


def create_user(conn, email, salt, digest):
    conn.execute(
        "INSERT INTO users (email, salt, hash) VALUES (?, ?, ?)",
        (email, salt, digest),
    )
"""
    return f'''"""Database helpers for the sample shop."""

import hashlib
import sqlite3

from shop import config


def connect():
    return sqlite3.connect(config.DATABASE)
{users}

def password_hash(password, salt):
    data = (salt + password).encode("utf-8")
    return hashlib.{hash_name}(data).hexdigest()
'''


def views_py(n: int) -> str:
    imports = ["import base64"] if n >= 4 else []
    if n <= 2 or n >= 8:
        imports.append("import json")  # unused in commits 1-2 (F401), used again from commit 8
    if 4 <= n < 8:
        imports.append("import pickle")
    if n >= 2:
        imports.append("import subprocess")
    routes = ["search", "account"] + (["export"] if n >= 2 else []) + (["cart"] if n >= 4 else [])
    parts = [
        '"""HTTP views of the sample shop."""\n\n',
        "".join(f"{line}\n" for line in imports) + ("\n" if imports else ""),
        "from flask import request, session\n\nfrom shop import config, db\n",
    ]
    if n >= 4:
        parts.append(
            """

def paginate(rows, page):
    start = (page - 1) * config.PAGE_SIZE
    return rows[start : start + config.PAGE_SIZE]


def as_products(rows):
    return [{"id": r[0], "name": r[1]} for r in rows]
"""
        )
    rule_lines = "\n".join(f'    app.add_url_rule("/{r}", view_func={r})' for r in routes)
    parts.append(f"\n\ndef register(app):\n{rule_lines}\n")
    waiver = "  # noqa: S101  # nosec B101" if n >= 5 else ""
    parts.append(
        f'''

def current_user():
    user = session.get("user")
    assert user, "login required"{waiver}
    return user
'''
    )
    if n < 5:
        search = """    query = f"SELECT id, name FROM products WHERE name LIKE '%{term}%'"
    rows = db.connect().execute(query).fetchall()
"""
    else:
        search = """    sql = "SELECT id, name FROM products WHERE name LIKE ?"
    rows = db.connect().execute(sql, (f"%{term}%",)).fetchall()
"""
    listing = "as_products(paginate(rows, 1))" if n >= 4 else '[{"id": r[0], "name": r[1]} for r in rows]'
    parts.append(
        f"""

def search():
    term = request.args.get("q", "")
{search}    return {{"products": {listing}}}


def account():
    return {{"user": current_user(), "secret_set": bool(config.SECRET_KEY)}}
"""
    )
    if n >= 2:
        if n < 6:
            call = 'subprocess.check_output(f"shop-export --format {fmt}", shell=True)'
        else:
            call = 'subprocess.check_output(["shop-export", "--format", fmt])'
        parts.append(
            f"""

def export():
    fmt = request.args.get("format", "csv")
    return {call}
"""
        )
    if n >= 4:
        load = "pickle.loads(base64.b64decode(raw))" if n < 8 else "json.loads(base64.b64decode(raw))"
        parts.append(
            f"""

def cart():
    raw = request.cookies.get("cart", "")
    items = {load} if raw else []
    return {{"items": items[: config.MAX_CART_ITEMS]}}
"""
        )
    return "".join(parts)


def files_at(n: int) -> dict[str, str]:
    return {
        "shop/__init__.py": INIT_PY,
        "shop/config.py": config_py(n),
        "shop/db.py": db_py(n),
        "shop/views.py": views_py(n),
    }


# ------------------------------------------------------------------------------------ scanning
def find_tool(name: str) -> str:
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"{name} not found beside {sys.executable} or on PATH (pip install ruff 'bandit[sarif]')")
    return found


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)  # noqa: S603
    if proc.returncode not in (0, 1):  # both exit 1 when they report something
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')}")
    return proc


def main() -> int:
    ruff, bandit = find_tool("ruff"), find_tool("bandit")
    SARIF_DIR.mkdir(parents=True, exist_ok=True)
    for old in SARIF_DIR.glob("*.sarif"):
        old.unlink()
    rows: list[dict[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="sample-shop-") as tmp:
        checkout = Path(tmp).resolve() / "sample-shop"
        for commit in COMMITS:
            shutil.rmtree(checkout, ignore_errors=True)
            for rel, text in files_at(commit.n).items():
                target = checkout / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
            when = (START + timedelta(days=commit.day, minutes=commit.n)).strftime("%Y-%m-%dT%H:%M:%SZ")
            sha = commit_sha(commit.n)

            ruff_out = SARIF_DIR / f"ruff-{commit.n}.sarif"
            proc = run([ruff, "check", "--isolated", "--no-cache", "--select", RUFF_SELECT,
                        "--output-format", "sarif", "."], checkout)  # fmt: skip
            ruff_out.write_bytes(proc.stdout)
            rows.append(_row(ruff_out, sha, when, source_root=str(checkout)))

            bandit_out = SARIF_DIR / f"bandit-{commit.n}.sarif"
            run([bandit, "-q", "-f", "sarif", "-o", str(bandit_out), "-r", "."], checkout)
            rows.append(_row(bandit_out, sha, when, source_root=""))
            print(f"commit {commit.n} {when} {sha[:10]}  {commit.message}")
    with MANIFEST.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(
            fh, ["path", "project", "branch", "commit", "scanned_at", "category", "source_root"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    total = sum(p.stat().st_size for p in SARIF_DIR.glob("*.sarif")) + MANIFEST.stat().st_size
    print(f"wrote {len(rows)} SARIF files and {MANIFEST.name}: {total / 1024:.0f} KiB")
    return 0


def _row(path: Path, sha: str, when: str, source_root: str) -> dict[str, str]:
    return {
        "path": path.relative_to(HERE).as_posix(),
        "project": PROJECT,
        "branch": BRANCH,
        "commit": sha,
        "scanned_at": when,
        "category": "",
        "source_root": source_root,
    }


if __name__ == "__main__":
    raise SystemExit(main())
