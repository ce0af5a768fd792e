"""Sign-in that holds: a session id alone grants nothing, the configuration is
found wherever the dashboard starts and fails closed, password guessing is limited per name and
globally with one hash at a time, and an anonymous client cannot make the server hold its bytes.

Most tests drive a real ``streamlit run serve.py`` (sign-in guard included) over HTTP and over
Streamlit's own WebSocket protocol (``script_run``: the frames a browser would exchange, without
the browser); ``tests/test_browser_signin.py`` does the take-over end to end in Chromium.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import auth, signin, signin_form, signin_gate
from core import settings as settings_module
from tests.conftest import seed_samples_with_deployments

ROOT = Path(__file__).resolve().parent.parent
PASSWORDS = {"alice": "correct horse battery", "bob": "another long password"}


# --- a real server and a raw client ----------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    base: str
    pid: int
    log: Path

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(
    tmp: Path,
    db: Path,
    users: Path | None,
    script: Path = ROOT / "serve.py",
    cwd: Path = Path("/"),
    hermetic_config: bool = True,
) -> Iterator[Server]:
    """``streamlit run SCRIPT`` from CWD (default: /, not the project) until healthy."""
    port = free_port()
    env = {**os.environ, "FINDINGS_DB": str(db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    for name in ("FINDINGS_USERS_FILE", "FINDINGS_CONFIG"):
        env.pop(name, None)
    if hermetic_config:  # not the developer's own config.toml
        (tmp / "empty-config.toml").write_text("")
        env["FINDINGS_CONFIG"] = str(tmp / "empty-config.toml")
    if users is not None:
        env["FINDINGS_USERS_FILE"] = str(users)
    log = tmp / f"server-{port}.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(script), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            with contextlib.suppress(OSError):
                if request(base, "GET", "/_stcore/health")[0] == 200:
                    break
            time.sleep(0.2)
        else:
            pytest.fail(f"streamlit did not become healthy: {log.read_text()[-2000:]}")
        yield Server(base, proc.pid, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def request(
    base: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, list[str]], bytes]:
    """One HTTP request, redirects not followed: (status, headers by lower-case name, body)."""
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        got: dict[str, list[str]] = {}
        for k, v in resp.getheaders():
            got.setdefault(k.lower(), []).append(v)
        return resp.status, got, resp.read()
    finally:
        conn.close()


def sign_in(base: str, user: str, password: str, origin: str | None = None) -> tuple[int, str | None, str]:
    """POST the sign-in form: (status, the sign-in cookie's value if one was set, page text)."""
    body = urllib.parse.urlencode({"user": user, "password": password, "next": "/"}).encode()
    status, headers, page = request(
        base, "POST", "/auth/signin", body,
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin or base},
    )  # fmt: skip
    cookie = None
    for value in headers.get("set-cookie", []):
        name, _, rest = value.partition("=")
        if name == signin.COOKIE:
            cookie = rest.split(";", 1)[0] or None
    return status, cookie, page.decode("utf-8", "replace")


@dataclass(frozen=True)
class Run:
    """What Streamlit sent for one script run over one WebSocket connection."""

    session_id: str
    data: bytes

    def shows(self, text: str) -> bool:
        return text.encode() in self.data


@contextlib.contextmanager
def connected(base: str, cookie: str | None = None, session_id: str | None = None) -> Iterator[Run]:
    """Connect to /_stcore/stream as the Streamlit frontend does (presenting SESSION_ID to resume
    that session, as its reconnects do), ask for a run, collect what comes back until it ends and
    keep the connection (so the session stays active) until the block ends. Raises websockets'
    InvalidStatus when the handshake is refused."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    headers = {"Origin": base}
    if cookie:
        headers["Cookie"] = f"{signin.COOKIE}={cookie}"
    protocols = ["streamlit", "PLACEHOLDER_AUTH_TOKEN", *([session_id] if session_id else [])]
    url = base.replace("http://", "ws://") + "/_stcore/stream"
    with connect(url, subprotocols=protocols, additional_headers=headers, open_timeout=15, max_size=None) as ws:  # type: ignore[arg-type]
        back = BackMsg()
        back.rerun_script.query_string = ""
        ws.send(back.SerializeToString())
        sid, chunks = "", []
        deadline = time.monotonic() + 60
        while True:
            assert time.monotonic() < deadline, "the script run did not finish"
            raw = ws.recv(timeout=deadline - time.monotonic())
            assert isinstance(raw, bytes)
            chunks.append(raw)
            msg = ForwardMsg()
            msg.ParseFromString(raw)
            if msg.HasField("new_session"):
                sid = msg.new_session.initialize.session_id
            if msg.HasField("script_finished"):
                break
        yield Run(sid, b"".join(chunks))


def script_run(base: str, cookie: str | None = None, session_id: str | None = None) -> Run:
    with connected(base, cookie, session_id) as run:
        return run


def refused(base: str, cookie: str | None = None, session_id: str | None = None) -> bool:
    from websockets.exceptions import InvalidStatus

    try:
        script_run(base, cookie, session_id)
    except InvalidStatus as e:
        return e.response.status_code == 403
    return False


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("signin")
    db = tmp / "app.duckdb"
    seed_samples_with_deployments(db, tmp)
    return db


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.toml"
    for name, password in PASSWORDS.items():
        auth.add_user(path, name, password)
    return path


@pytest.fixture(scope="module")
def server(seeded: Path, users: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with serve(tmp_path_factory.mktemp("server"), seeded, users) as s:
        yield s


# --- item 1: a session id alone grants nothing ---------------------------------------------------------


def test_a_session_id_alone_does_not_resume_a_signed_in_session(server: Server) -> None:
    """Alice's session, then: the same id with no cookie is refused at the handshake; the same id
    with Bob's cookie gets a fresh session of Bob's; Alice herself resumes her own session."""
    status, alice, _ = sign_in(server.base, "alice", PASSWORDS["alice"])
    assert status == 303 and alice
    first = script_run(server.base, alice)
    assert first.session_id and first.shows("Signed in as alice") and first.shows("Overview")
    assert refused(server.base, None, first.session_id)
    assert refused(server.base, "v1.forged.cookie", first.session_id)
    _, bob, _ = sign_in(server.base, "bob", PASSWORDS["bob"])
    as_bob = script_run(server.base, bob, first.session_id)
    assert as_bob.session_id != first.session_id
    assert as_bob.shows("Signed in as bob") and not as_bob.shows("Signed in as alice")
    again = script_run(server.base, alice, first.session_id)
    assert again.session_id == first.session_id and again.shows("Signed in as alice")


def test_anonymous_clients_get_only_the_sign_in_page(server: Server) -> None:
    status, headers, _ = request(server.base, "GET", "/findings?until=2026-08-31", headers={"Accept": "text/html"})
    assert status == 303
    assert headers["location"] == ["/auth/signin?next=%2Ffindings%3Funtil%3D2026-08-31"]
    status, headers, page = request(server.base, "GET", "/auth/signin?next=%2Ffindings")
    assert status == 200 and b'<form method=post action="/auth/signin">' in page and b'value="/findings"' in page
    assert "frame-ancestors 'none'" in headers["content-security-policy"][0]
    for path in ("/_stcore/host-config", "/media/x.csv", "/static/index.html", "/app_pages/auth.py", "/"):
        assert request(server.base, "GET", path)[0] == 401, path
    assert request(server.base, "GET", "/_stcore/health")[0] == 200
    assert refused(server.base)
    # a client's own X-Findings-Session header is dropped: it cannot pick a session's identity
    assert request(server.base, "GET", "/", headers={"X-Findings-Session": "x", "Accept": "text/html"})[0] == 303


def test_sign_out_ends_the_cookie_and_its_copies(server: Server) -> None:
    _, cookie, _ = sign_in(server.base, "alice", PASSWORDS["alice"])
    assert cookie and script_run(server.base, cookie).shows("Signed in as alice")
    status, headers, _ = request(server.base, "GET", "/auth/signout", headers={"Cookie": f"{signin.COOKIE}={cookie}"})
    assert status == 303 and headers["location"] == ["/auth/signin?signed_out=1"]
    assert any(v.startswith(f"{signin.COOKIE}=;") and "Max-Age=0" in v for v in headers["set-cookie"])
    assert refused(server.base, cookie)  # a copy kept elsewhere is worthless too
    page = request(server.base, "GET", "/auth/signin?signed_out=1")[2]
    assert b"You are signed out." in page


def test_the_cookie_is_http_only_same_site_and_bound_to_the_password(server: Server, users: Path) -> None:
    body = urllib.parse.urlencode({"user": "bob", "password": PASSWORDS["bob"], "next": "//evil.example/x"}).encode()
    status, headers, _ = request(
        server.base, "POST", "/auth/signin", body,
        {"Content-Type": "application/x-www-form-urlencoded", "Origin": server.base},
    )  # fmt: skip
    assert status == 303 and headers["location"] == ["/"]  # never to another site
    (set_cookie,) = [v for v in headers["set-cookie"] if v.startswith(signin.COOKIE)]
    attributes = {a.strip().split("=")[0] for a in set_cookie.split(";")[1:]}
    assert {"HttpOnly", "SameSite", "Path", "Max-Age"} <= attributes and "SameSite=Lax" in set_cookie
    cookie = set_cookie.split(";")[0].split("=", 1)[1]
    assert script_run(server.base, cookie).shows("Signed in as bob")
    auth.add_user(users, "bob", "a brand new password")  # a changed password ends bob's sign-ins
    try:
        assert refused(server.base, cookie)
    finally:
        auth.add_user(users, "bob", PASSWORDS["bob"])


def test_users_file_is_private_and_a_wrong_password_is_refused(server: Server, users: Path) -> None:
    assert users.stat().st_mode & 0o777 == 0o600
    loaded = auth.load_users(users)
    assert auth.verify(loaded, "alice", PASSWORDS["alice"]) and not auth.verify(loaded, "mallory", PASSWORDS["alice"])
    status, cookie, page = sign_in(server.base, "mallory", PASSWORDS["alice"])
    assert (status, cookie) == (401, None) and "Wrong user name or password." in page
    assert 'value="mallory"' in page  # the form comes back filled in, the name as text


def test_the_sign_in_form_refuses_cross_site_and_oversized_posts(server: Server) -> None:
    assert sign_in(server.base, "alice", PASSWORDS["alice"], origin="https://evil.example")[0] == 403
    assert sign_in(server.base, "alice", PASSWORDS["alice"], origin="null")[0] == 403
    form = urllib.parse.urlencode({"user": "alice", "password": PASSWORDS["alice"]}).encode()
    behind_a_proxy = {  # a TLS proxy that rewrites Host and says which host the browser asked for
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": "https://findings.example",
        "X-Forwarded-Host": "findings.example",
        "X-Forwarded-Proto": "https",
    }
    status, headers, _ = request(server.base, "POST", "/auth/signin", form, behind_a_proxy)
    assert status == 303 and "; Secure" in headers["set-cookie"][0]
    big = b"user=alice&password=" + b"x" * 100_000
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": server.base}
    assert request(server.base, "POST", "/auth/signin", big, headers)[0] == 413
    assert sign_in(server.base, "", "")[0] == 400


# --- item 2: configuration found wherever the app starts; fails closed -------------------------------------


def test_settings_are_not_taken_from_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config.toml in the folder the app happens to start from is not read; the project's is,
    from any folder."""
    monkeypatch.delenv("FINDINGS_CONFIG", raising=False)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "config.toml").write_text("[sla]\ncritical = 1\n")
    project = tmp_path / "project" / "config.toml"
    project.parent.mkdir()
    project.write_text('[sla]\ncritical = 3\n[auth]\nusers_file = "users.toml"\n')
    monkeypatch.setattr(settings_module, "PROJECT_CONFIG", project)
    monkeypatch.chdir(elsewhere)
    loaded = settings_module.load_settings()
    assert loaded.source == str(project) and loaded.users_file == str(project.parent / "users.toml")
    assert min(v for v in loaded.sla_days.values() if v) == 3
    project.unlink()
    assert settings_module.load_settings().source is None  # defaults: still not ./config.toml
    project.symlink_to(tmp_path / "gone.toml")  # there but unreadable: an error, not silently no [auth]
    with pytest.raises(settings_module.ConfigError, match="not found"):
        settings_module.load_settings()


def _copy_project(dest: Path) -> Path:
    dest.mkdir()
    for name in ("app.py", "serve.py"):
        shutil.copy2(ROOT / name, dest / name)
    for name in ("app_pages", "analytics", "ingest", "store", "core", "demo", ".streamlit"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "demo_out"))
    return dest


def test_sign_in_holds_when_started_from_another_folder(seeded: Path, tmp_path: Path) -> None:
    """``cd / && streamlit run /path/serve.py`` with [auth] in the project's config.toml: sign-in is
    on; a users file that cannot be read then serves nothing at all (503, WebSocket refused)."""
    project = _copy_project(tmp_path / "project")
    (project / "config.toml").write_text('[auth]\nusers_file = "users.toml"\n')
    auth.add_user(project / "users.toml", "alice", PASSWORDS["alice"])
    with serve(tmp_path, seeded, None, script=project / "serve.py", cwd=Path("/"), hermetic_config=False) as s:
        assert request(s.base, "GET", "/", headers={"Accept": "text/html"})[1]["location"] == ["/auth/signin?next=%2F"]
        _, cookie, _ = sign_in(s.base, "alice", PASSWORDS["alice"])
        assert cookie and script_run(s.base, cookie).shows("Signed in as alice")
        (project / "users.toml").write_text("this is [not toml")
        status, _, page = request(s.base, "GET", "/", headers={"Accept": "text/html"})
        assert status == 503 and b"the users file named in the configuration cannot be read" in page
        assert refused(s.base, cookie)
        assert sign_in(s.base, "alice", PASSWORDS["alice"])[0] == 503
        (project / "users.toml").unlink()
        assert request(s.base, "GET", "/_stcore/host-config", headers={"Cookie": f"{signin.COOKIE}={cookie}"})[0] == 503


@pytest.fixture
def app_env(seeded: Path, users: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "empty.toml").write_text("")
    monkeypatch.setenv("FINDINGS_CONFIG", str(tmp_path / "empty.toml"))
    monkeypatch.setenv("FINDINGS_DB", str(seeded))
    monkeypatch.setenv("FINDINGS_USERS_FILE", str(users))
    return users


def _run_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["until"] = "2026-08-31"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_without_the_guard_the_app_shows_nothing(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``streamlit run app.py`` (no guard) with sign-in configured: no data, and the way out."""
    monkeypatch.setattr(signin.STATE, "guard_installed", False)
    at = _run_app()
    assert [t.value for t in at.title] == ["Sign-in unavailable"] and not at.metric
    assert any("started without its sign-in guard" in e.value for e in at.error)
    assert [c.value for c in at.code] == ["streamlit run serve.py"]


def test_the_gate_checks_the_cookie_on_every_run(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signin.STATE, "guard_installed", True)
    alice = auth.load_users(app_env)["alice"]
    cookie: dict[str, str | None] = {"value": signin.STATE.tokens.issue(alice)}
    monkeypatch.setattr(signin_gate, "_connection_cookie", lambda: cookie["value"])
    at = _run_app()
    assert at.metric and "Signed in as alice" in [t.value for t in at.sidebar.text]
    token = signin.STATE.tokens.check(cookie["value"], auth.load_users(app_env))
    assert token is not None
    signin.STATE.tokens.revoke(token)  # signed out elsewhere: the next run shows nothing
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.metric
    cookie["value"] = None
    at.run()
    assert [t.value for t in at.title] == ["Sign in"] and not at.metric
    assert "view" not in at.session_state and "_signin_session" not in at.session_state  # nothing kept


def test_an_unreadable_users_file_fails_closed(app_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(signin.STATE, "guard_installed", True)
    for content in (None, "[users.alice]\nsalt = 1\n", "not = [toml"):
        broken = tmp_path / "broken-users.toml"
        broken.unlink(missing_ok=True)
        if content is not None:
            broken.write_text(content)
        monkeypatch.setenv("FINDINGS_USERS_FILE", str(broken))
        at = _run_app()
        assert [t.value for t in at.title] == ["Sign-in unavailable"] and not at.metric, content
        assert any("users file named in the configuration cannot be read" in e.value for e in at.error)
    (tmp_path / "bad-config.toml").write_text("[sla\n")
    monkeypatch.setenv("FINDINGS_CONFIG", str(tmp_path / "bad-config.toml"))
    monkeypatch.delenv("FINDINGS_USERS_FILE")
    at = _run_app()  # the settings cannot be read: whether sign-in is on is unknown, so nothing is shown
    assert [t.value for t in at.title] == ["Sign-in unavailable"] and not at.metric


# --- item 3: password guessing is limited --------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_tokens_prove_one_sign_in_and_nothing_else() -> None:
    clock = FakeClock()
    tokens = auth.Tokens(clock=clock)
    alice = auth.User("alice", "00" * 16, "ab" * 32, 1)
    users = {"alice": alice}
    value = tokens.issue(alice, seconds=60)
    token = tokens.check(value, users)
    assert token is not None and token.user == "alice" and len(token.token_id) == 32
    version, body, mac = value.split(".")
    forged_body = auth._b64(auth._unb64(body).replace(b'"alice"', b'"admin"'))
    for bad in (None, "", "x", f"{version}.{forged_body}.{mac}", f"{version}.{body}.{mac[:-2]}AA", value + "x",
                auth.Tokens(clock=clock).issue(alice)):  # fmt: skip
        assert tokens.check(bad, users) is None, bad
    assert tokens.check(value, {}) is None  # user removed
    assert tokens.check(value, {"alice": auth.User("alice", "11" * 16, "cd" * 32, 1)}) is None  # password changed
    clock.now += 61
    assert tokens.check(value, users) is None  # expired
    clock.now -= 61
    tokens.revoke(token)
    assert tokens.check(value, users) is None


def test_a_user_name_is_paused_after_five_wrong_passwords_and_the_pause_doubles() -> None:
    clock = FakeClock()
    limiter = auth.Limiter(clock=clock)
    for _ in range(4):
        limiter.record("Alice", ok=False)
        assert limiter.refusal("alice") is None
    limiter.record("alice ", ok=False)
    refusal = limiter.refusal("ALICE")
    assert refusal is not None and refusal.retry_after == 60
    assert refusal.message.startswith("Too many wrong passwords for this user name: it can sign in again in 1 min 0 s")
    assert limiter.refusal("bob") is None  # other names are not affected
    clock.now += 61
    assert limiter.refusal("alice") is None
    limiter.record("alice", ok=False)
    assert limiter.refusal("alice").retry_after == 120  # type: ignore[union-attr]
    for _ in range(10):
        limiter.record("alice", ok=False)
    assert limiter.refusal("alice").retry_after == 900  # type: ignore[union-attr]  # capped at 15 min
    clock.now += 901
    limiter.record("alice", ok=True)  # the right password starts the count again
    limiter.record("alice", ok=False)
    assert limiter.refusal("alice") is None


def test_guessing_over_many_names_meets_the_global_limit() -> None:
    clock = FakeClock()
    limiter = auth.Limiter(clock=clock)
    for i in range(30):
        assert limiter.refusal(f"user{i}") is None
        limiter.record(f"user{i}", ok=False)
        clock.now += 1
    refusal = limiter.refusal("somebody-else")
    assert refusal is not None and "Too many failed sign-ins on this server" in refusal.message
    assert refusal.retry_after == pytest.approx(300 - 30)
    clock.now += 271
    assert limiter.refusal("somebody-else") is None


def test_parallel_guesses_hash_one_at_a_time_and_stop_at_the_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    """64 threads guess alice's password at once: at most one hash at a time, at most five wrong
    passwords checked before the pause, every other attempt refused with a reason."""
    users = {"alice": auth.User("alice", "00" * 16, "ab" * 32, 1000)}
    limiter = auth.Limiter(queue=64)  # let all 64 wait for the slot: the pause must still hold
    running, peak, hashed = [0], [0], [0]
    lock = threading.Lock()
    real_digest = auth._digest

    def digest(password: str, salt: str, iterations: int) -> str:
        with lock:
            running[0] += 1
            hashed[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.01)
        try:
            return real_digest(password, salt, iterations)
        finally:
            with lock:
                running[0] -= 1

    monkeypatch.setattr(auth, "_digest", digest)
    results: list[auth.Attempt] = []
    start = threading.Barrier(64)

    def guess(i: int) -> None:
        start.wait()
        if limiter.refusal("alice") is None and limiter.take_place():
            results.append(auth.attempt(users, limiter, "alice", f"guess {i}"))
        else:
            results.append(auth.Attempt(None, auth.BUSY))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 1 and hashed[0] == 5
    assert len(results) == 64 and all(r.user is None for r in results)
    assert sum(r.refusal is None for r in results) == 5  # the five wrong passwords
    assert all(r.refusal is not None and r.refusal.retry_after > 0 for r in results if r.refusal is not None)


def test_parallel_guessing_against_the_server(seeded: Path, users: Path, tmp_path: Path) -> None:
    """64 parallel wrong passwords for alice (before the limits, an attacker got 6.9 guesses/s this way):
    at most five are checked, the rest answered 429 with a reason and Retry-After, costing the
    server little CPU; bob signs in meanwhile, and alice's right password waits for the pause."""
    with serve(tmp_path, seeded, users) as s:
        cpu0 = s.cpu_s()
        outcomes: list[tuple[int, str]] = []
        start = threading.Barrier(64)

        def guess(i: int) -> None:
            start.wait()
            status, _, page = sign_in(s.base, "alice", f"wrong guess {i}")
            outcomes.append((status, page))

        threads = [threading.Thread(target=guess, args=(i,)) for i in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu = s.cpu_s() - cpu0
        statuses = sorted(status for status, _ in outcomes)
        assert statuses.count(401) <= 5 and statuses.count(401) + statuses.count(429) == 64, statuses
        assert all(
            "Too many wrong passwords for this user name" in page or "checking other sign-ins" in page
            for status, page in outcomes
            if status == 429
        )
        assert cpu < 3.0, f"{cpu:.2f} CPU-s for 64 guesses"  # ≤ 5 hashes of ~0.15 s, plus HTTP
        assert sign_in(s.base, "bob", PASSWORDS["bob"])[0] == 303
        status, cookie, page = sign_in(s.base, "alice", PASSWORDS["alice"])
        assert status == 429 and cookie is None and "can sign in again in" in page


# --- item 4: an anonymous client cannot fill memory --------------------------------------------------------


@contextlib.contextmanager
def _anonymous_session(base: str) -> Iterator[tuple[str, str]]:
    """An anonymous session's id, kept active (where the server hands one out; else a made-up
    id), and an XSRF token: what an attacker needs to PUT to the upload endpoint."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string
    from websockets.exceptions import InvalidStatus

    xsrf = generate_xsrf_token_string()
    try:
        with connected(base) as run:
            yield run.session_id, xsrf
    except InvalidStatus:  # the guard refuses anonymous WebSockets
        yield str(uuid.uuid4()), xsrf


def _put(base: str, path: str, size: int, xsrf: str, cookie: str | None = None) -> int | None:
    """PUT SIZE bytes (multipart, as the uploader sends them) streamed from a small buffer; the
    status, or None when the server closed the connection before taking the body."""
    boundary = "x" + uuid.uuid4().hex
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.sarif"\r\n'
            "Content-Type: application/json\r\n\r\n").encode()  # fmt: skip
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=30)
    try:
        conn.putrequest("PUT", path)
        for k, v in {
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(len(head) + size + len(tail)),
            "X-Xsrftoken": xsrf,
            "Cookie": f"_streamlit_xsrf={xsrf}" + (f"; {signin.COOKIE}={cookie}" if cookie else ""),
            "Origin": base,
        }.items():
            conn.putheader(k, v)
        conn.endheaders()
        chunk = b"\0" * (1 << 20)
        try:
            conn.send(head)
            for _ in range(size // len(chunk)):
                conn.send(chunk)
            conn.send(tail)
        except OSError:
            pass  # refused early: the server stopped reading
        try:
            return conn.getresponse().status
        except (OSError, http.client.HTTPException):
            return None
    finally:
        conn.close()


def test_anonymous_uploads_cannot_fill_the_servers_memory(server: Server) -> None:
    """12 × 50 MB PUTs to the upload endpoint without signing in (before: the server grew from 381 MB to 1.0 GB)."""
    with _anonymous_session(server.base) as (session_id, xsrf):
        before = server.rss_mb()
        answers = [_put(server.base, f"/_stcore/upload_file/{session_id}/f{i}", 50 << 20, xsrf) for i in range(12)]
        time.sleep(0.5)
        grown = server.rss_mb() - before
    assert all(a in (401, None) for a in answers), answers
    assert grown < 8, f"the server grew by {grown:.0f} MB"


def test_a_signed_in_user_uploads_only_into_their_own_session(server: Server) -> None:
    """Bob has read Alice's session id in a log: his own valid cookie does not let him put files
    (or megabytes) into her session; Alice's uploads go through."""
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    _, alice, _ = sign_in(server.base, "alice", PASSWORDS["alice"])
    _, bob, _ = sign_in(server.base, "bob", PASSWORDS["bob"])
    xsrf = generate_xsrf_token_string()
    with connected(server.base, alice) as run:
        path = f"/_stcore/upload_file/{run.session_id}/f1"
        assert _put(server.base, path, 1 << 20, xsrf, bob) in (403, None)
        assert _put(server.base, path, 1 << 20, xsrf, alice) == 204


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        ("/findings?until=2026-08-31", "/findings?until=2026-08-31"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("/é", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
        (None, "/"),
    ],
)
def test_after_signing_in_only_pages_of_this_app(asked: str | None, goes: str) -> None:
    assert signin_form._safe_next(asked) == goes
