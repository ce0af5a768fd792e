"""The web part of ``make stress`` (docs/hardening.md, "Sign-in"): against a real
``streamlit run serve.py`` with sign-in,

- parallel password guessing: rounds of 64 simultaneous wrong passwords for one name (at most five
  may be checked, the rest must be told to wait, the right password of another name must still
  get in), then one guess each for many names until the global pause;
- session take-over: a signed-in session's id presented with no cookie, a forged one or another
  user's, many times over (never "Signed in as alice");
- anonymous uploads: 12 × 50 MB PUTs to the upload endpoint without signing in (all refused, the
  server grows by less than 8 MB);
- uploads through the dashboard's loader (the command line in a child) of the same files in
  shuffled orders without a project: every file stored once (lost / doubled otherwise).

``web(work, tally)`` records cases, crashes, notes, lost and doubled files in ``tally`` (the
``Tally`` of bench/stress.py). Run alone: ``python bench/stress_web.py``.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app_pages import auth  # noqa: E402
from app_pages.loading import load_uploads  # noqa: E402
from ingest.models import ScanMeta  # noqa: E402
from store.db import Store, query_rows  # noqa: E402
from tests.conftest import result, sarif_log, seed_samples_with_deployments  # noqa: E402
from tests.test_signin import PASSWORDS, Server, _anonymous_session, _put, script_run, serve, sign_in  # noqa: E402


class Tally(Protocol):
    cases: int
    loaded: int
    lost: list[str]
    doubled: list[str]
    notes: list[str]

    def crash(self, what: str) -> None: ...


def _parallel_guesses(s: Server, name: str, n: int = 64) -> list[tuple[int, str]]:
    outcomes: list[tuple[int, str]] = []
    start = threading.Barrier(n)

    def guess(i: int) -> None:
        start.wait()
        try:
            status, _, page = sign_in(s.base, name, f"wrong guess {i}")
        except OSError as e:
            status, page = -1, str(e)
        outcomes.append((status, page))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def guessing(s: Server, t: Tally, rounds: int = 3) -> None:
    checked = 0
    cpu0, started = s.cpu_s(), time.monotonic()
    for r in range(rounds):
        outcomes = _parallel_guesses(s, "alice")
        t.cases += len(outcomes)
        statuses = [status for status, _ in outcomes]
        checked += statuses.count(401)
        if any(status not in (401, 429) for status in statuses):
            t.crash(f"guessing round {r}: unexpected answers {sorted(set(statuses))}")
        if any(
            status == 429 and "try again" not in page and "sign in again in" not in page for status, page in outcomes
        ):
            t.crash(f"guessing round {r}: a refusal without a reason the user can act on")
    if checked > 5:
        t.crash(f"guessing: {checked} wrong passwords for one name were checked (at most 5)")
    cpu, wall = s.cpu_s() - cpu0, time.monotonic() - started
    t.cases += 1
    if sign_in(s.base, "bob", PASSWORDS["bob"])[0] != 303:
        t.crash("guessing: bob could not sign in while alice's name was attacked")
    t.notes.append(
        f"web: {rounds * 64} parallel guesses for one name: {checked} checked, the rest told to wait; "
        f"server {cpu:.1f} CPU-s in {wall:.1f} s"
    )
    sprayed = 0
    for i in range(60):
        status = sign_in(s.base, f"sprayed-{i}", "wrong")[0]
        t.cases += 1
        if status == 429:
            break
        sprayed += 1
    if sprayed > 30:
        t.crash(f"guessing: {sprayed} names sprayed before the global pause (at most 30 in 5 min)")
    t.notes.append(f"web: spraying one guess per name met the global pause after {sprayed} failures")


def take_over(s: Server, t: Tally, attempts: int = 20) -> None:
    _, alice, _ = sign_in(s.base, "alice-2", PASSWORDS["alice"])
    _, bob, _ = sign_in(s.base, "bob", PASSWORDS["bob"])
    if not alice or not bob:
        t.crash("take-over: could not sign in the two users")
        return
    sid = script_run(s.base, alice).session_id
    cookies = [None, "v1.forged.cookie", alice[:-4] + "AAAA", bob]
    for i in range(attempts):
        cookie = cookies[i % len(cookies)]
        t.cases += 1
        try:
            run = script_run(s.base, cookie, sid)
        except Exception:  # refused at the handshake: as it should be without a valid cookie
            if cookie == bob:
                t.crash("take-over: bob's own cookie was refused")
            continue
        if run.shows("Signed in as alice-2") or run.session_id == sid:
            t.crash(f"take-over: a connection with cookie #{i % len(cookies)} got alice's session")


def anonymous_uploads(s: Server, t: Tally) -> None:
    with _anonymous_session(s.base) as (session_id, xsrf):
        before = s.rss_mb()
        answers = [_put(s.base, f"/_stcore/upload_file/{session_id}/f{i}", 50 << 20, xsrf) for i in range(12)]
        time.sleep(0.5)
        grown = s.rss_mb() - before
    t.cases += len(answers)
    if any(a not in (401, None) for a in answers):
        t.crash(f"anonymous uploads: answers {answers}")
    if grown >= 8:
        t.crash(f"anonymous uploads: the server grew by {grown:.0f} MB")
    t.notes.append(f"web: 12 × 50 MB anonymous uploads refused; the server grew by {grown:.1f} MB")


COUNTS = "SELECT count(*), (SELECT count(*) FROM occurrences) FROM files"


def reuploads(work: Path, t: Tally, rng: random.Random, files: int = 20, rounds: int = 3) -> None:
    db = work / "uploads.duckdb"
    payloads = [
        (f"scan-{i}.sarif", json.dumps(sarif_log([result(f"R{i}", f"src/f{i}.py", 1)], tool=f"t{i % 4}")).encode())
        for i in range(files)
    ]
    for r in range(rounds):
        order = payloads[:]
        rng.shuffle(order)
        report = load_uploads(Store(db), order, ScanMeta())
        t.cases += len(order)
        t.loaded += report.totals()["loaded"]
        if report.rejected or report.busy:
            t.crash(f"re-upload round {r}: {report.totals()}")
    with Store(db).read() as conn:
        ((stored, occurrences),) = query_rows(conn, COUNTS)
    if stored < files or occurrences < files:
        t.lost.append(f"re-uploads: {stored} files, {occurrences} occurrences for {files} distinct files")
    if stored > files or occurrences > files:
        t.doubled.append(f"re-uploads: {stored} files, {occurrences} occurrences for {files} distinct files")


def web(work: Path, t: Tally, rng: random.Random | None = None) -> None:
    """Every web case above against one server; a traceback in its log is a crash."""
    rng = rng or random.Random(0)  # noqa: S311 (not crypto)
    print("web: sign-in guessing, session take-over, anonymous and repeated uploads", flush=True)
    folder = work / "web"
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "web.duckdb"
    seed_samples_with_deployments(db, folder)
    users = folder / "users.toml"
    for name, password in (*PASSWORDS.items(), ("alice-2", PASSWORDS["alice"])):
        auth.add_user(users, name, password)
    with serve(folder, db, users) as s:
        for phase in (take_over, anonymous_uploads, guessing):  # guessing last: it ends in the global pause
            try:
                phase(s, t)
            except Exception as e:  # the phase itself broke: count it, go on with the next
                t.crash(f"web {phase.__name__}: {type(e).__name__}: {e}")
        log = s.log.read_text(errors="replace")
    if "Traceback" in log:
        t.crash(f"web: a traceback in the server's log: {log[log.index('Traceback') :][:300]!r}")
    reuploads(folder, t, rng)


@dataclass
class _Tally:
    cases: int = 0
    loaded: int = 0
    crashes: list[str] = field(default_factory=list)
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def crash(self, what: str) -> None:
        self.crashes.append(what)
        print(f"  CRASH: {what}", flush=True)


def main() -> int:
    t = _Tally()
    with tempfile.TemporaryDirectory(prefix="stress-web-") as tmp:
        web(Path(tmp), t)
    for note in t.notes:
        print(f"  {note}")
    print(f"cases tried {t.cases}, crashes {len(t.crashes)}, lost files {len(t.lost)}, doubled files {len(t.doubled)}")
    return 1 if t.crashes or t.lost or t.doubled else 0


if __name__ == "__main__":
    sys.exit(main())
