"""Optional sign-in for the dashboard, offline: users with salted PBKDF2-SHA256 password hashes
in a TOML file named by ``[auth] users_file`` in config.toml (or ``$FINDINGS_USERS_FILE``).

    python -m app_pages.auth add alice [--file users.toml]     # asks for the password twice
    python -m app_pages.auth check alice [--file users.toml]

Without a users file the app has no sign-in and listens on localhost only (.streamlit/config.toml),
and says so in the sidebar.
"""

from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import os
import secrets
import sys
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ITERATIONS = 600_000
ENV_USERS = "FINDINGS_USERS_FILE"
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


@dataclass(frozen=True)
class User:
    name: str
    salt: str
    hash: str
    iterations: int


def users_file(configured: str | None) -> Path | None:
    value = os.environ.get(ENV_USERS) or configured
    return Path(value) if value else None


def load_users(path: Path) -> dict[str, User]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = {}
    for name, entry in (data.get("users") or {}).items():
        out[name] = User(name, str(entry["salt"]), str(entry["hash"]), int(entry.get("iterations", ITERATIONS)))
    return out


def _digest(password: str, salt: str, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), iterations).hex()


def verify(users: dict[str, User], name: str, password: str) -> bool:
    """Constant-time comparison; unknown users cost the same as known ones."""
    user = users.get(name)
    salt, iterations, expected = (user.salt, user.iterations, user.hash) if user else ("00" * 16, ITERATIONS, "")
    ok = hmac.compare_digest(_digest(password, salt, iterations), expected)
    return bool(user) and ok


def add_user(path: Path, name: str, password: str) -> None:
    if not name or set(name.lower()) - _NAME_CHARS:
        raise ValueError("user names may hold letters, digits and . _ - @ only")
    if len(password) < 12:
        raise ValueError("passwords need at least 12 characters")
    users = load_users(path) if path.exists() else {}
    salt = secrets.token_hex(16)
    users[name] = User(name, salt, _digest(password, salt, ITERATIONS), ITERATIONS)
    lines = ["# Dashboard users: salted PBKDF2-SHA256 hashes (python -m app_pages.auth add NAME)"]
    for u in sorted(users.values(), key=lambda u: u.name):
        lines += [f'[users."{u.name}"]', f'salt = "{u.salt}"', f'hash = "{u.hash}"', f"iterations = {u.iterations}", ""]
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m app_pages.auth", description="manage dashboard users")
    ap.add_argument("action", choices=["add", "check"])
    ap.add_argument("name")
    ap.add_argument("--file", default=os.environ.get(ENV_USERS, "users.toml"))
    ap.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    args = ap.parse_args(argv)
    path = Path(args.file)
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass("password: ")
        if args.action == "add" and getpass.getpass("again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    try:
        if args.action == "add":
            add_user(path, args.name, password)
            print(f"{args.name} added to {path}")
            return 0
        ok = path.exists() and verify(load_users(path), args.name, password)
    except (ValueError, OSError, tomllib.TOMLDecodeError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("ok" if ok else "wrong user name or password")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
