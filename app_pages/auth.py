"""Optional sign-in for the dashboard, offline: users with salted PBKDF2-SHA256 password hashes
in a TOML file named by ``[auth] users_file`` in config.toml (or ``$FINDINGS_USERS_FILE``).

    python -m app_pages.auth add alice [--file users.toml]     # asks for the password twice
    python -m app_pages.auth check alice [--file users.toml]

Without a users file the app has no sign-in and listens on localhost only (.streamlit/config.toml),
and says so in the sidebar.

This module holds what does not depend on the web server: the users file, password hashes, the
signed sign-in tokens the browser keeps in a cookie (``Tokens``) and the limits on password
guessing (``Limiter``). ``app_pages/signin*.py`` put them on the web.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import getpass
import hashlib
import hmac
import json
import math
import os
import secrets
import sys
import threading
import time
import tomllib
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

ITERATIONS = 600_000
ENV_USERS = "FINDINGS_USERS_FILE"
_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")
MAX_NAME_CHARS = 64
MAX_PASSWORD_CHARS = 1024


@dataclass(frozen=True)
class User:
    name: str
    salt: str
    hash: str
    iterations: int


def users_file(configured: str | None) -> Path | None:
    value = os.environ.get(ENV_USERS) or configured
    return Path(value) if value else None


class UsersFileError(Exception):
    """The users file cannot be read or is malformed (the message says why, in one line)."""


def load_users(path: Path) -> dict[str, User]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        out = {}
        for name, entry in (data.get("users") or {}).items():
            out[name] = User(name, str(entry["salt"]), str(entry["hash"]), int(entry.get("iterations", ITERATIONS)))
            bytes.fromhex(out[name].salt)
    except OSError as e:
        raise UsersFileError(e.strerror or str(e)) from e
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, KeyError, TypeError, ValueError, AttributeError) as e:
        raise UsersFileError(f"not a valid users file ({type(e).__name__}: {e})") from e
    return out


class UsersCache:
    """The users file, read again only when it changes (its size, time or inode), thread-safe:
    the sign-in guard looks at it on every request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[str, int, int, int] | None = None
        self._users: dict[str, User] = {}

    def get(self, path: Path) -> dict[str, User]:
        try:
            st = path.stat()
        except OSError as e:
            raise UsersFileError(e.strerror or str(e)) from e
        key = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
        with self._lock:
            if key != self._key:
                self._users, self._key = load_users(path), key
            return self._users


def _digest(password: str, salt: str, iterations: int) -> str:
    return hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), bytes.fromhex(salt), iterations).hex()


def verify(users: Mapping[str, User], name: str, password: str) -> bool:
    """Constant-time comparison; unknown users cost the same as known ones."""
    user = users.get(name)
    salt, iterations, expected = (user.salt, user.iterations, user.hash) if user else ("00" * 16, ITERATIONS, "")
    ok = hmac.compare_digest(_digest(password, salt, iterations), expected)
    return bool(user) and ok


# --- sign-in tokens ---------------------------------------------------------------------------------

SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Token:
    """What a sign-in cookie says, once its signature and freshness are checked."""

    user: str
    token_id: str  # random per sign-in: binds the Streamlit session to this sign-in
    expires: int  # unix time


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Tokens:
    """Sign-in tokens: ``v1.<payload>.<HMAC-SHA256>``, the payload naming the user, a random token
    id, the expiry and a stamp of the user's password hash (changing the password ends every
    sign-in of that user). The key is made at start-up and never leaves the process, so a restart
    signs everyone out. Signed-out tokens are remembered until they expire (thread-safe)."""

    def __init__(self, key: bytes | None = None, clock: Callable[[], float] = time.time) -> None:
        self._key = key or secrets.token_bytes(32)
        self._clock = clock
        self._lock = threading.Lock()
        self._revoked: dict[str, int] = {}

    def _mac(self, data: bytes) -> bytes:
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def _stamp(self, user: User) -> str:
        return _b64(self._mac(f"stamp\x1f{user.name}\x1f{user.salt}\x1f{user.hash}".encode()))[:16]

    def issue(self, user: User, seconds: int = SESSION_SECONDS) -> str:
        expires = int(self._clock()) + seconds
        payload = {"u": user.name, "i": secrets.token_hex(16), "e": expires, "s": self._stamp(user)}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"v1.{body}.{_b64(self._mac(body.encode()))}"

    def check(self, value: str | None, users: Mapping[str, User]) -> Token | None:
        """The token's sign-in if the value is a token this process issued, not expired, not
        signed out, of a user still in the users file with the same password; else None."""
        if not value or len(value) > 1024:
            return None
        parts = value.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            return None
        try:
            mac = _unb64(parts[2])
            payload = json.loads(_unb64(parts[1]))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(mac, self._mac(parts[1].encode())) or not isinstance(payload, dict):
            return None
        name, token_id, expires, stamp = payload.get("u"), payload.get("i"), payload.get("e"), payload.get("s")
        if not (isinstance(name, str) and isinstance(token_id, str) and isinstance(expires, int)):
            return None
        user = users.get(name)
        if user is None or not isinstance(stamp, str) or not hmac.compare_digest(stamp, self._stamp(user)):
            return None
        now = int(self._clock())
        with self._lock:
            if expires <= now or token_id in self._revoked:
                return None
        return Token(name, token_id, expires)

    def revoke(self, token: Token) -> None:
        now = int(self._clock())
        with self._lock:
            self._revoked = {k: e for k, e in self._revoked.items() if e > now}
            self._revoked[token.token_id] = token.expires


# --- limits on password guessing ----------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in attempt is not even checked, in words for the person signing in."""

    message: str
    retry_after: float  # seconds


def wait_words(seconds: float) -> str:
    s = max(1, math.ceil(seconds))
    return f"{s // 60} min {s % 60} s" if s >= 60 else f"{s} s"


@dataclass
class _NameState:
    failures: int = 0
    last_failure: float = 0.0
    locked_until: float = 0.0


class Limiter:
    """Process-wide, thread-safe limits on password guessing.

    - per user name: after ``per_name`` wrong passwords in a row, the name is paused for ``pause_s``
      seconds, doubling with every further wrong password up to ``max_pause_s``; a right password
      or an hour without a wrong one starts the count again;
    - globally: at most ``global_failures`` wrong passwords per ``global_window_s`` seconds across
      all names (spraying one guess over many names), then every sign-in waits for the window;
    - hashing: at most ``slots`` password hashes are computed at once (PBKDF2 keeps one core busy
      for ~0.15 s), with at most ``queue`` attempts waiting for a slot; the rest are told to retry,
      so that guessing never takes more than ``slots`` cores from the people using the dashboard.

    Names are remembered up to ``max_names`` (the oldest are forgotten first).
    """

    def __init__(
        self,
        per_name: int = 5,
        pause_s: float = 60.0,
        max_pause_s: float = 900.0,
        global_failures: int = 30,
        global_window_s: float = 300.0,
        slots: int = 1,
        queue: int = 4,
        max_names: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_name, self.pause_s, self.max_pause_s = per_name, pause_s, max_pause_s
        self.global_failures, self.global_window_s = global_failures, global_window_s
        self.slots, self.queue, self.max_names = slots, queue, max_names
        self._clock = clock
        self._lock = threading.Lock()
        self._names: OrderedDict[str, _NameState] = OrderedDict()
        self._recent: deque[float] = deque()
        self._hashing = threading.BoundedSemaphore(slots)
        self._in_line = 0  # attempts hashing or waiting to

    @staticmethod
    def key(name: str) -> str:
        return name.strip().lower()[:MAX_NAME_CHARS]

    def refusal(self, name: str) -> Refusal | None:
        """Whether an attempt for ``name`` may be checked now (None) or must wait (why, how long)."""
        now = self._clock()
        with self._lock:
            while self._recent and self._recent[0] <= now - self.global_window_s:
                self._recent.popleft()
            state = self._names.get(self.key(name))
            if state and state.locked_until > now:
                wait = state.locked_until - now
                return Refusal(
                    f"Too many wrong passwords for this user name: it can sign in again in {wait_words(wait)} "
                    f"(each further wrong password doubles the pause, up to {wait_words(self.max_pause_s)}).",
                    wait,
                )
            if len(self._recent) >= self.global_failures:
                wait = self._recent[0] + self.global_window_s - now
                return Refusal(
                    f"Too many failed sign-ins on this server in the last {wait_words(self.global_window_s)}: "
                    f"try again in {wait_words(wait)}.",
                    wait,
                )
        return None

    def record(self, name: str, ok: bool) -> None:
        now = self._clock()
        key = self.key(name)
        with self._lock:
            if ok:
                self._names.pop(key, None)
                return
            self._recent.append(now)
            state = self._names.pop(key, None) or _NameState()
            if now - state.last_failure > 3600:
                state.failures = 0
            state.failures += 1
            state.last_failure = now
            if state.failures >= self.per_name:
                pause = self.pause_s * 2 ** min(state.failures - self.per_name, 30)
                state.locked_until = now + min(self.max_pause_s, pause)
            self._names[key] = state  # most recent last
            while len(self._names) > self.max_names:
                self._names.popitem(last=False)

    def take_place(self) -> bool:
        """Join the line for a hash slot; False (a refusal) when the line is full."""
        with self._lock:
            if self._in_line >= self.slots + self.queue:
                return False
            self._in_line += 1
            return True

    def leave_place(self) -> None:
        with self._lock:
            self._in_line -= 1

    @contextlib.contextmanager
    def hashing(self, timeout_s: float = 30.0) -> Iterator[bool]:
        """Hold one of the hash slots (True), or False when none came free within the timeout."""
        got = self._hashing.acquire(timeout=timeout_s)
        try:
            yield got
        finally:
            if got:
                self._hashing.release()


BUSY = Refusal("The server is checking other sign-ins: try again in a few seconds.", 5.0)


@dataclass(frozen=True)
class Attempt:
    """The outcome of one sign-in attempt: a user, or a refusal / wrong password message."""

    user: User | None
    refusal: Refusal | None = None


def attempt(users: Mapping[str, User], limiter: Limiter, name: str, password: str) -> Attempt:
    """Check a password within the limits (blocking: run it in a worker thread). The caller has
    taken a place in line (``Limiter.take_place``); this gives it back."""
    try:
        with limiter.hashing() as got:
            if not got:
                return Attempt(None, BUSY)
            refusal = limiter.refusal(name)  # again: others may have failed while this one waited
            if refusal:
                return Attempt(None, refusal)
            ok = verify(users, name, password[:MAX_PASSWORD_CHARS])
            limiter.record(name, ok)  # inside the slot, so the next attempt sees it
        return Attempt(users[name] if ok else None)
    finally:
        limiter.leave_place()


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
    except (ValueError, OSError, UsersFileError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("ok" if ok else "wrong user name or password")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
