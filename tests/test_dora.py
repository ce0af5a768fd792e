"""DORA metrics (docs/definitions.md §7) on a real git repository built in tmp_path, deployments
and incidents files, and SARIF scans with commits (§6 "time to remediate in production").

The repository (all times UTC, January 2026; Mon 5 .. Wed 14)::

    A  Mon 05 09:00 ── B  Mon 05 12:00 ──┬── C  Tue 06 11:00 ──┬── M (merge) Wed 07 09:00 ── D Thu 08 10:00
                                         └── F1 (feature) ─────┘    F1 committed Wed 07 13:00 (a skewed clock)
    D ── E  Mon 12 09:00 ── G (squash of S1+S2) Tue 13 09:00 ── H  Wed 14 09:00
    D ── S1 Fri 09 10:00 ── S2 Sat 10 10:00      (branch feat2, squashed into G, never merged)

Deployments of ``acme/app`` (production unless said)::

    dep1  sha B  finished Mon 05 18:00  success  planned yes
    stg1  sha M  finished Wed 07 10:00  success  environment staging (ignored by DORA)
    dep2  sha M  finished Wed 07 12:00  success  planned no
    dep3  sha D  finished Thu 08 14:00  failure  (never reached production)
    dep4  sha E  finished Mon 12 10:00  success  planned true
    dep5  sha G  finished Tue 13 12:00  success  commits "S1 S2" (squash-style), planned empty
    dep6  sha H  finished Wed 14 10:00  success  planned 0
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analytics import dora as dora_module
from analytics import security_delivery
from analytics.dora import deployments_timeline, dora, dora_by_period, dora_headline, lead_times
from analytics.dora_classes import change_failure_class, deployment_frequency_class, lead_time_class, recovery_class
from analytics.filters import Filters
from analytics.security_delivery import production_remediation_summary, security_per_deployment
from ingest.cli import main as ingest_main
from ingest.devops.commits import derive_commit_sets
from ingest.devops.git import parse_log, read_git
from ingest.devops.records import DeploymentRef
from ingest.devops_cli import main as devops_main
from store.db import Store, query_rows
from tests.conftest import new_database, result, sarif_log

pytestmark = pytest.mark.engines

PROJECT = "acme/app"
WINDOW = Filters(projects=(PROJECT,), since=datetime(2026, 1, 5), until=datetime(2026, 1, 19))


# The relations behind two numbers, read row by row to check which rule linked each incident and
# which deployment shipped each fix. No page or export shows them, so the queries live here, built
# from the modules' own CTEs and slots (``dora.query``, ``security_delivery._slots``).
INCIDENT_LINKS_SQL = """
WITH {prod},
{links}
SELECT project, incident_id, deployment_id, link_rule FROM links ORDER BY project, created_at, incident_id
"""
PRODUCTION_REMEDIATION_SQL = """
WITH {prod},
{episodes},
{prodrem}
SELECT * FROM prodrem ORDER BY project, coalesce(deployed_at, closed_at), finding_id, seq
"""


def incident_links(store: Store, filters: Filters) -> pd.DataFrame:
    """Incidents with the deployment they link to and the rule that linked them (``link_rule``:
    'deployment_id' | 'cause_sha' | 'previous_deployment' | None)."""
    return dora_module.query(filters, None, None).run(store, INCIDENT_LINKS_SQL)


def production_remediation(store: Store, filters: Filters) -> pd.DataFrame:
    """Per fixed episode counted by ``production_remediation_summary``: deployment_id, days_to_fix,
    days_to_production…"""
    q = dora_module.query(filters, None, None)
    return q.run(store, PRODUCTION_REMEDIATION_SQL, **security_delivery._slots(q))


def na(value: Any) -> Any:
    """pandas' missing values (NaN in the default string dtype) as None."""
    return None if pd.isna(value) else value


def h(hours: float) -> float:
    return hours / 24.0


@dataclass
class Repo:
    path: Path
    sha: dict[str, str]


def _git(repo: Path, *args: str, when: str | None = None) -> str:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo.parent),  # no global config of whoever runs the tests
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
    }
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    cmd = [
        "git",
        "-c",
        "user.name=Test",
        "-c",
        "user.email=test@example.com",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "tag.gpgsign=false",
        "-c",
        "init.defaultBranch=main",
        "-C",
        str(repo),
        *args,
    ]
    return subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    path = tmp_path / "repo"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    sha: dict[str, str] = {}

    def commit(name: str, when: str) -> None:
        _git(path, "commit", "-q", "--allow-empty", "-m", name, when=when)
        sha[name] = _git(path, "rev-parse", "HEAD")

    commit("A", "2026-01-05T09:00:00+00:00")
    commit("B", "2026-01-05T12:00:00+00:00")
    _git(path, "checkout", "-q", "-b", "feature")
    commit("F1", "2026-01-07T13:00:00+00:00")  # a skewed clock: after dep2 finished
    _git(path, "checkout", "-q", "main")
    commit("C", "2026-01-06T11:00:00+00:00")
    _git(path, "merge", "-q", "--no-ff", "-m", "M", "feature", when="2026-01-07T09:00:00+00:00")
    sha["M"] = _git(path, "rev-parse", "HEAD")
    commit("D", "2026-01-08T10:00:00+00:00")
    commit("E", "2026-01-12T09:00:00+00:00")
    _git(path, "checkout", "-q", "-b", "feat2", sha["D"])
    commit("S1", "2026-01-09T10:00:00+00:00")
    commit("S2", "2026-01-10T10:00:00+00:00")
    _git(path, "checkout", "-q", "main")
    commit("G", "2026-01-13T09:00:00+00:00")
    commit("H", "2026-01-14T09:00:00+00:00")
    # tags: annotated v1.0 on B (tagged Tue 06 08:00), lightweight v1.1 on M, and one not matching v*
    _git(path, "tag", "-a", "v1.0", "-m", "release 1.0", sha["B"], when="2026-01-06T08:00:00+00:00")
    _git(path, "tag", "v1.1", sha["M"])
    _git(path, "tag", "nightly", sha["H"])
    return Repo(path, sha)


DEPLOYMENTS_CSV = """\
id,project,environment,started_at,finished_at,status,sha,commits,planned
dep1,acme/app,production,2026-01-05T17:50:00Z,2026-01-05T18:00:00Z,success,{B},,yes
stg1,acme/app,staging,2026-01-07T09:50:00Z,2026-01-07T10:00:00Z,success,{M},,
dep2,acme/app,production,2026-01-07T11:50:00Z,2026-01-07T12:00:00Z,success,{M},,no
dep3,acme/app,production,2026-01-08T13:50:00Z,2026-01-08T14:00:00Z,failure,{D},,
dep4,acme/app,production,2026-01-12T09:50:00Z,2026-01-12T10:00:00Z,success,{E},,true
dep5,acme/app,production,2026-01-13T11:50:00Z,2026-01-13T12:00:00Z,success,{G},{S1} {S2},
dep6,,production,2026-01-14T09:50:00+01:00,2026-01-14T11:00:00+01:00,success,{H},,0
"""

INCIDENTS_CSV = """\
id,project,created_at,resolved_at,deployment_id,cause_sha
INC-1,acme/app,2026-01-07T13:00:00Z,2026-01-07T15:00:00Z,dep2,
INC-2,acme/app,2026-01-13T20:00:00Z,2026-01-14T08:00:00Z,,{C10}
INC-3,acme/app,2026-01-14T11:00:00Z,2026-01-14T11:30:00Z,,
INC-4,acme/app,2026-01-05T10:00:00Z,2026-01-05T14:00:00Z,,
INC-5,acme/app,2026-01-14T12:00:00Z,,,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def devops(db: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run a DevOps ingest subcommand in-process: (exit code, stdout, stderr)."""

    def run(*args: str | Path) -> tuple[int, str, str]:
        argv = [str(a) for a in args]
        if "--db" not in argv:
            argv += ["--db", str(db)]
        code = devops_main(argv)
        out, err = capsys.readouterr()
        return int(code), out, err

    return run


@pytest.fixture
def loaded(tmp_path: Path, repo: Repo, devops: Callable[..., tuple[int, str, str]]) -> Repo:
    """The repository, the deployments and the incidents of acme/app, loaded."""
    s = repo.sha
    deps = write(tmp_path, "deployments.csv", DEPLOYMENTS_CSV.format(**s))
    incs = write(tmp_path, "incidents.csv", INCIDENTS_CSV.format(C10=s["C"][:10]))
    assert devops("git", repo.path, "--project", PROJECT)[0] == 0
    assert devops("deployments", deps, "--project", PROJECT)[0] == 0
    assert devops("incidents", incs)[0] == 0
    return repo


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with store.read() as conn:
        return query_rows(conn, sql, params or [])


def commit_sets(store: Store, project: str = PROJECT) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for dep, sha in rows(store, "SELECT deployment_id, sha FROM deployment_commits WHERE project = ?", [project]):
        out.setdefault(dep, set()).add(sha)
    return out


# ---------------------------------------------------------------------------------------------


def test_commit_sets_follow_git_ancestry_through_merges(loaded: Repo, store: Store) -> None:
    """reach(sha) − reach(previous successful sha of the same environment):
    dep1 {A,B} (first); dep2 {C,F1,M} (F1 comes in through the merge's second parent);
    dep3 failed: {D} against dep2; dep4 {D,E} against dep2 (dep3 failed, so not "previous");
    dep5 its list {S1,S2} plus its own sha G; dep6 {H} against dep5's G;
    stg1 is the first staging deployment: everything reachable from M."""
    s = loaded.sha
    names = {v: k for k, v in s.items()}
    got = {dep: {names[x] for x in shas} for dep, shas in commit_sets(store).items()}
    assert got == {
        "dep1": {"A", "B"},
        "stg1": {"A", "B", "C", "F1", "M"},
        "dep2": {"C", "F1", "M"},
        "dep3": {"D"},
        "dep4": {"D", "E"},
        "dep5": {"S1", "S2", "G"},
        "dep6": {"H"},
    }
    assert rows(store, "SELECT source FROM deployment_commits WHERE sha = ?", [s["G"]]) == [("sha",)]


def test_lead_time_frequency_failure_rate_recovery_by_hand(loaded: Repo, store: Store) -> None:
    """Window Mon 2026-01-05 .. Mon 2026-01-19 (ISO weeks 2 and 3), production, successful:
    dep1, dep2, dep4, dep5, dep6 = 5 deployments (dep3 failed: 1 unsuccessful; stg1 is staging).

    Lead time (first deployment containing the commit − committed_at):
      dep1 18:00: A 9 h, B 6 h;  dep2 Wed 12:00: C 25 h, M 3 h, F1 −1 h (left out and counted as
      negative: committed 13:00);
      dep4 Mon 12 10:00: D 96 h, E 1 h;  dep5 Tue 13 12:00: S1 98 h, S2 74 h (G, the squash sha, is no change);
      dep6 Wed 14 10:00 (11:00+01:00): H 1 h.
      Sorted (h): 1, 1, 3, 6, 9, 25, 74, 96, 98 → median 9 h = 0.375 d (elite);
      p90 (linear): position 8·0.9 = 7.2 → 96 + 0.2·(98 − 96) = 96.4 h = 4.016667 d.
    Frequency: week 2 deploy days Mon 5, Wed 7 = 2; week 3 Mon 12, Tue 13, Wed 14 = 3 → median 2.5 (high).
    Incidents: INC-1 → dep2 (deployment_id); INC-2 cause C (10-char prefix) → dep2 (not dep5, the latest
      before it); INC-3 → dep6 (latest finished before Wed 14 11:00); INC-5 (open) → dep6; INC-4 created
      before any deployment → none.  Deployments with an incident: dep2, dep6 → CFR 2/5 = 0.4 (low).
    Recovery (resolved in window): INC-1 15:00 − dep2 12:00 = 3 h; INC-2 Wed 14 08:00 − Wed 07 12:00 = 164 h;
      INC-3 11:30 − 10:00 = 1.5 h; INC-4 unlinked 14:00 − 10:00 = 4 h → median of 1.5, 3, 4, 164 = 3.5 h (high).
    Rework: planned known for dep1 yes, dep2 no, dep4 true, dep6 0 → unplanned 2/4 = 0.5.
    """
    df = dora(store, WINDOW)
    assert len(df) == 1
    row = df.iloc[0]
    assert row["project"] == PROJECT
    assert row["deployments"] == 5
    assert row["unsuccessful_deployments"] == 1
    assert row["failed_deployments"] == 2
    assert row["window_days"] == 14
    assert row["lead_time_commits"] == 9
    assert row["lead_time_negative"] == 1
    assert row["lead_time_median_days"] == pytest.approx(0.375)
    assert row["lead_time_p90_days"] == pytest.approx(h(96.4))
    assert row["lead_time_class"] == "elite"
    assert row["deploy_days_per_week_median"] == pytest.approx(2.5)
    assert row["deployment_frequency_class"] == "high"
    assert row["change_failure_rate"] == pytest.approx(0.4)
    assert row["change_failure_class"] == "low"
    assert row["incidents_resolved"] == 4
    assert row["recovery_median_hours"] == pytest.approx(3.5)
    assert row["recovery_class"] == "high"
    assert row["rework_rate"] == pytest.approx(0.5)

    lt = lead_times(store, WINDOW)
    names = {v: k for k, v in loaded.sha.items()}
    got = {
        names[s]: (d, round(v * 24, 6))
        for d, s, v in zip(lt["deployment_id"], lt["sha"], lt["lead_time_days"], strict=True)
    }
    assert got == {
        "A": ("dep1", 9),
        "B": ("dep1", 6),
        "C": ("dep2", 25),
        "M": ("dep2", 3),
        "D": ("dep4", 96),
        "E": ("dep4", 1),
        "S1": ("dep5", 98),
        "S2": ("dep5", 74),
        "H": ("dep6", 1),
    }

    headline = dora_headline(store, WINDOW)
    assert headline == {
        PROJECT: {
            "deployments": 5,
            "lead_time_median_days": pytest.approx(0.375),
            "lead_time_commits": 9,
            "lead_time_negative": 1,
            "change_failure_rate": pytest.approx(0.4),
            "recovery_median_hours": pytest.approx(3.5),
            "deployment_frequency_class": "high",
        }
    }


def test_frequency_over_a_longer_window_and_per_week(loaded: Repo, store: Store) -> None:
    """Window Jan 5 .. Mar 2 = 8 ISO weeks with 2, 3, 0, 0, 0, 0, 0, 0 deploy days → median 0;
    5 deployments in 56 days = 5 / (56 / 30.44) ≈ 2.7 a month ≥ 1 → medium.
    Per week: week 2 has dep1, dep2 (2 deploy days), week 3 dep4, dep5, dep6 (3), the others none."""
    wide = Filters(projects=(PROJECT,), since=datetime(2026, 1, 5), until=datetime(2026, 3, 2))
    row = dora(store, wide).iloc[0]
    assert row["window_days"] == 56
    assert row["deploy_days_per_week_median"] == 0
    assert row["deployment_frequency_class"] == "medium"

    weekly = dora(store, wide, period="week")
    assert list(weekly["period"]) == [f"2026-W{w:02d}" for w in range(2, 10)]
    assert list(weekly["deployments"]) == [2, 3, 0, 0, 0, 0, 0, 0]
    assert list(weekly["deploy_days_per_week_median"]) == [2, 3, 0, 0, 0, 0, 0, 0]
    assert list(weekly["deployment_frequency_class"][:3]) == ["high", "high", "low"]
    # the recovery of INC-2 (resolved Wed 14) belongs to week 3, INC-1 and INC-4 to week 2
    assert list(weekly["incidents_resolved"][:3]) == [2, 2, 0]
    # lead times per week of deployment: week 2 = A, B, C, M → 3, 6, 9, 25 h → median 7.5 h
    assert weekly["lead_time_median_days"].iloc[0] == pytest.approx(h(7.5))


def test_dora_classes() -> None:
    assert [lead_time_class(v) for v in (0.5, 1.0, 6.9, 7.0, 29.9, 30.0, None)] == [
        "elite",
        "high",
        "high",
        "medium",
        "medium",
        "low",
        None,
    ]
    assert [change_failure_class(v) for v in (0.0, 0.05, 0.051, 0.10, 0.15, 0.16)] == [
        "elite",
        "elite",
        "high",
        "high",
        "medium",
        "low",
    ]
    assert [recovery_class(v) for v in (0.5, 1.0, 23.9, 24.0, 167.0, 168.0)] == [
        "elite",
        "high",
        "high",
        "medium",
        "medium",
        "low",
    ]
    assert deployment_frequency_class(5, 30, 28) == "elite"
    assert deployment_frequency_class(1, 4, 28) == "high"
    assert deployment_frequency_class(0, 2, 56) == "medium"  # 2 in 56 days ≈ 1.09 a month
    assert deployment_frequency_class(0, 1, 56) == "low"
    assert deployment_frequency_class(float("nan"), 0, 0) is None


def test_incident_linking_rules(loaded: Repo, store: Store) -> None:
    """deployment_id wins; else the first deployment containing cause_sha (a prefix); else the latest
    successful production deployment finished before created_at; else none."""
    links = incident_links(store, Filters(projects=(PROJECT,)))
    got = {r["incident_id"]: (na(r["deployment_id"]), na(r["link_rule"])) for r in links.to_dict("records")}
    assert got == {
        "INC-1": ("dep2", "deployment_id"),
        "INC-2": ("dep2", "cause_sha"),
        "INC-3": ("dep6", "previous_deployment"),
        "INC-4": (None, None),
        "INC-5": ("dep6", "previous_deployment"),
    }
    timeline = deployments_timeline(store, WINDOW)
    assert list(timeline["deployment_id"]) == ["dep1", "stg1", "dep2", "dep3", "dep4", "dep5", "dep6"]
    assert dict(zip(timeline["deployment_id"], timeline["incidents"], strict=True)) == {
        "dep1": 0,
        "stg1": 0,
        "dep2": 2,
        "dep3": 0,
        "dep4": 0,
        "dep5": 0,
        "dep6": 2,
    }
    assert dict(zip(timeline["deployment_id"], timeline["commit_count"], strict=True))["dep5"] == 2
    assert list(timeline["status"]) == ["success"] * 3 + ["failure"] + ["success"] * 3


def test_tags_as_deployments_annotated_vs_lightweight(
    repo: Repo, store: Store, devops: Callable[..., tuple[int, str, str]]
) -> None:
    """--tags-as-deployments 'v*': v1.0 is annotated → its tagger date Tue 06 08:00 (not B's commit
    time); v1.1 is lightweight → M's committed time Wed 07 09:00; 'nightly' does not match.
    Lead times: v1.0: A 23 h, B 20 h; v1.1: C 22 h, M 0 h (the tag's own commit: zero is valid),
    F1 −4 h (left out, counted as negative) → 0, 20, 22, 23 → median 21 h."""
    code, out, _ = devops("git", repo.path, "--project", "acme/tags", "--tags-as-deployments", "v*")
    assert code == 0, out
    deps = rows(
        store,
        "SELECT deployment_id, environment, status, sha, started_at, finished_at FROM deployments "
        "WHERE project = 'acme/tags' ORDER BY deployment_id",
    )
    assert deps == [
        ("v1.0", "production", "success", repo.sha["B"], datetime(2026, 1, 6, 8), datetime(2026, 1, 6, 8)),
        ("v1.1", "production", "success", repo.sha["M"], datetime(2026, 1, 7, 9), datetime(2026, 1, 7, 9)),
    ]
    f = Filters(projects=("acme/tags",), since=datetime(2026, 1, 5), until=datetime(2026, 1, 12))
    row = dora(store, f).iloc[0]
    assert row["deployments"] == 2
    assert row["lead_time_commits"] == 4
    assert row["lead_time_negative"] == 1
    assert row["lead_time_median_days"] == pytest.approx(h(21))
    # reading again is harmless: same commits, same deployments
    code, out, _ = devops("git", repo.path, "--project", "acme/tags", "--tags-as-deployments", "v*")
    assert code == 0 and "0 new" in out
    assert rows(store, "SELECT count(*) FROM commits WHERE project = 'acme/tags'") == [(11,)]
    assert rows(store, "SELECT count(*) FROM deployments WHERE project = 'acme/tags'") == [(2,)]
    history = read_git(repo.path, "x", branch="main")
    assert {c.sha for c in history.commits} == {repo.sha[k] for k in ("A", "B", "C", "F1", "M", "D", "E", "G", "H")}


def test_old_and_impossible_commit_dates_never_reject_the_repository(
    tmp_path: Path, store: Store, devops: Callable[..., tuple[int, str, str]]
) -> None:
    """An imported history with a commit from 1985 was rejected whole ("unreadable author date"),
    and so was one whose clock said year 5138: no DORA at all. Now 1985 is kept, 5138 is left out
    with a count, and the commit after it counts the commit before it as its parent, so the
    deployment that ships it still ships both. A tag dated in 5138 is not a deployment."""
    path = tmp_path / "old"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    shas = {}
    for name, when in (
        ("A", "1985-06-01T00:00:00+00:00"),
        ("X", "@99999999999 +0000"),  # git takes a raw timestamp: year 5138
        ("B", "2026-01-05T09:00:00+00:00"),
    ):
        _git(path, "commit", "-q", "--allow-empty", "-m", name, when=when)
        shas[name] = _git(path, "rev-parse", "HEAD")
    _git(path, "tag", "v1", shas["B"])
    _git(path, "tag", "-a", "v2", "-m", "far", shas["B"], when="@99999999999 +0000")
    code, out, err = devops("git", path, "--project", "acme/old", "--tags-as-deployments", "v*")
    assert code == 0, err
    assert f"{path}: 2 commit(s) read, 2 new; 1 tag deployment(s)" in out
    assert f"1 commit(s) dated outside 1970–2100 left out (e.g. {shas['X'][:12]})" in err
    assert "1 tag(s) dated outside 1970–2100 are not deployments (e.g. 'v2')" in err
    got = rows(store, "SELECT sha, committed_at, parents FROM commits WHERE project = 'acme/old' ORDER BY 2")
    assert got == [(shas["A"], datetime(1985, 6, 1), []), (shas["B"], datetime(2026, 1, 5, 9), [shas["A"]])]
    assert commit_sets(store, "acme/old") == {"v1": {shas["A"], shas["B"]}}


def test_left_out_commits_are_bridged_through_merges() -> None:
    """B's parent X2 (left out) merged X1 (left out, child of A) and Y: B's parents become A and Y;
    C's parents B and X1 become B and A. The kept commits reach what they reached before."""
    ok, far = "2020-01-01T00:00:00+00:00", "5138-11-16T09:46:39+00:00"
    listing = "\n".join(
        "\x1f".join(row)
        for row in (
            ("c", "b x1", ok, ok),
            ("b", "x2", ok, ok),
            ("x2", "x1 y", ok, far),
            ("y", "a", ok, ok),
            ("x1", "a", far, ok),
            ("a", "", "1985-06-01T00:00:00+00:00", "1985-06-01T00:00:00+00:00"),
        )
    )
    commits, dropped = parse_log(listing)
    assert dropped == ["x1", "x2"]
    assert {c.sha: c.parents for c in commits} == {"c": ("b", "a"), "b": ("a", "y"), "y": ("a",), "a": ()}


def test_bad_rows_are_all_reported_and_nothing_is_loaded(
    tmp_path: Path, store: Store, devops: Callable[..., tuple[int, str, str]]
) -> None:
    text = (
        "id,project,environment,started_at,finished_at,status,sha,planned\n"
        "ok1,p,production,2026-01-05T10:00:00Z,2026-01-05T10:05:00Z,success,abcdef1,\n"
        "bad1,p,production,2026-01-05T10:00:00Z,2026-01-05T10:05:00Z,ok,abcdef1,\n"
        "bad2,p,production,2026-01-05T10:00:00Z,2026-01-05T09:00:00Z,failure,abcdef1,maybe\n"
        "bad3,p,production,yesterday,2026-01-05T10:05:00Z,success,not-a-sha,\n"
        ",p,production,2026-01-05T10:00:00Z,2026-01-05T10:05:00Z,success,abcdef1,\n"
        "ok1,p,production,2026-01-05T10:00:00Z,2026-01-05T10:05:00Z,success,abcdef1,\n"
    )
    path = write(tmp_path, "bad.csv", text)
    code, _, err = devops("deployments", path)
    assert code == 3
    lines = err.splitlines()
    assert lines[0] == f"{path}: rejected: 5 bad row(s):"
    assert lines[1].strip() == "line 3: status 'ok' is not success|failure"
    assert lines[2].strip().startswith("line 4: ")
    assert "finished_at 2026-01-05T09:00:00 is before started_at" in lines[2]
    assert "planned 'maybe'" in lines[2]
    assert lines[3].strip().startswith("line 5: started_at 'yesterday' is not an ISO 8601 time")
    assert "sha 'not-a-sha'" in lines[3]
    assert lines[4].strip() == "line 6: id is missing or empty"
    assert lines[5].strip() == "line 7: duplicate id 'ok1' (first at line 2)"
    assert rows(store, "SELECT count(*) FROM deployments") == [(0,)]
    assert rows(store, "SELECT count(*) FROM devops_sources") == [(0,)]

    missing = write(tmp_path, "nocol.csv", "id,project,started_at\nx,p,2026-01-01\n")
    code, _, err = devops("deployments", missing)
    assert code == 3 and "line 1: missing column(s): environment, finished_at, status, sha" in err

    incidents = write(
        tmp_path,
        "inc.json",
        json.dumps(
            [
                {
                    "id": "I1",
                    "project": "p",
                    "created_at": "2026-01-05T10:00:00Z",
                    "resolved_at": "2026-01-05T09:00:00Z",
                },
                {"id": "I2", "project": "p", "created_at": "2026-01-05T10:00:00Z"},
                "not an object",
            ]
        ),
    )
    code, _, err = devops("incidents", incidents)
    assert code == 3
    assert "item 1: resolved_at 2026-01-05T09:00:00 is before created_at 2026-01-05T10:00:00" in err
    assert "item 3: not a JSON object" in err
    assert rows(store, "SELECT count(*) FROM incidents") == [(0,)]
    code, _, err = devops("incidents", tmp_path / "nope.csv")
    assert code == 3 and err.startswith(f"{tmp_path / 'nope.csv'}: rejected: no such file")


DEPLOYMENT_ROWS = (
    "SELECT deployment_id, project, environment, started_at, finished_at, status, sha, commits, planned "
    "FROM deployments ORDER BY deployment_id"
)


def test_same_file_twice_is_already_loaded_and_json_form_matches_csv(
    tmp_path: Path,
    repo: Repo,
    store: Store,
    devops: Callable[..., tuple[int, str, str]],
    engine: str,
    request: pytest.FixtureRequest,
) -> None:
    s = repo.sha
    csv_path = write(tmp_path, "deployments.csv", DEPLOYMENTS_CSV.format(**s))
    assert devops("deployments", csv_path, "--project", PROJECT)[0] == 0
    code, out, _ = devops("deployments", csv_path, "--project", PROJECT)
    assert (code, out.strip()) == (0, f"{csv_path}: already loaded")
    code, out, _ = devops("deployments", csv_path, "--project", PROJECT, "--json")
    assert code == 0 and json.loads(out)["status"] == "already_loaded"
    from_csv = rows(store, DEPLOYMENT_ROWS)

    (tmp_path / "other").mkdir()
    other_db = new_database(engine, tmp_path / "other", request)
    other = Store(other_db)
    items = []
    for line in DEPLOYMENTS_CSV.format(**s).splitlines()[1:]:
        i, p, env, start, end, status, sha, commits, planned = line.split(",")
        item: dict[str, Any] = {
            "id": i,
            "environment": env,
            "started_at": start,
            "finished_at": end,
            "status": status,
            "sha": sha,
        }
        if p:
            item["project"] = p
        if commits:
            item["commits"] = commits.split()
        if planned:
            item["planned"] = {"yes": True, "no": False, "true": True, "0": False}[planned]
        items.append(item)
    json_path = write(tmp_path, "deployments.json", json.dumps({"deployments": items}))
    code, out, _ = devops("deployments", json_path, "--project", PROJECT, "--db", other_db, "--json")
    assert code == 0 and json.loads(out)["rows"] == 7
    assert rows(other, DEPLOYMENT_ROWS) == from_csv


def test_derive_commit_sets_rollback_and_unknown_sha() -> None:
    """a ← b ← c. d1 = c; d2 rolls back to a: nothing new; d3 = c again: {b, c} (after the
    rollback they were no longer reachable from the previous deployment); x is unknown: just {x}."""
    graph = {"a": (), "b": ("a",), "c": ("b",)}
    refs = [
        DeploymentRef("d1", "production", "success", "c", None),
        DeploymentRef("d2", "production", "success", "a", None),
        DeploymentRef("d3", "production", "success", "c", None),
        DeploymentRef("d4", "production", "success", "ffff", None),
    ]
    got: dict[str, set[str]] = {}
    for dep, sha, _ in derive_commit_sets(graph, refs):
        got.setdefault(dep, set()).add(sha)
    assert got == {"d1": {"a", "b", "c"}, "d3": {"b", "c"}, "d4": {"ffff"}}


# ---------------------------------------------------------------------------------------------
# security × deployments


def _scan(tmp_path: Path, db: Path, name: str, rules: list[str], commit: str, when: str) -> None:
    path = tmp_path / f"{name}.sarif"
    path.write_text(json.dumps(sarif_log([result(r, line=i + 1) for i, r in enumerate(rules)])), encoding="utf-8")
    code = ingest_main(
        [
            "sarif",
            str(path),
            "--db",
            str(db),
            "--project",
            PROJECT,
            "--branch",
            "main",
            "--commit",
            commit,
            "--scanned-at",
            when,
        ]
    )
    assert code == 0


def test_security_per_deployment_and_production_remediation(
    tmp_path: Path, db: Path, loaded: Repo, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scans of acme/app main (commit, time) and their findings:
      B Mon 05 13:00: R1 R2 | M Wed 07 10:00: R2 R3 | E Mon 12 09:30: R3 | H Wed 14 09:30: R4 | feedface… Thu 15: —
    Episodes: R1 opened at B, fixed at M; R2 opened B, fixed E; R3 opened M, fixed H; R4 opened H, fixed at a
    commit no deployment shipped.
    Per deployment: dep1 {A,B} shipped B, whose scan is the stream's first: R1, R2 are its first-scan
      backlog, not introduced; dep2 {C,F1,M} introduced R3, fixed R1; dep4 {D,E} fixed R2;
      dep5 nothing; dep6 {H} introduced R4, fixed R3.
    In production (first production deployment shipping the fixing commit; stg1 shipped M at 10:00 but
    is staging): R1 at dep2 Wed 07 12:00 → 47 h = 1.958333 d (closed_at gives 45 h);
      R2 at dep4 Mon 12 10:00 → 165 h = 6.875 d; R3 at dep6 Wed 14 10:00 → 168 h = 7 d; R4 awaiting.
      Mean (47 + 165 + 168) / 3 = 126.67 h = 5.277778 d, median 6.875 d.
    """
    s = loaded.sha
    _scan(tmp_path, db, "s1", ["R1", "R2"], s["B"], "2026-01-05T13:00:00Z")
    _scan(tmp_path, db, "s2", ["R2", "R3"], s["M"], "2026-01-07T10:00:00Z")
    _scan(tmp_path, db, "s3", ["R3"], s["E"], "2026-01-12T09:30:00Z")
    _scan(tmp_path, db, "s4", ["R4"], s["H"], "2026-01-14T09:30:00Z")
    _scan(tmp_path, db, "s5", [], "feedface" * 5, "2026-01-15T09:00:00Z")
    capsys.readouterr()

    per = security_per_deployment(store, WINDOW)
    got = {r["deployment_id"]: (r["findings_introduced"], r["findings_fixed"]) for r in per.to_dict("records")}
    assert got == {"dep1": (0, 0), "dep2": (1, 1), "dep4": (0, 1), "dep5": (0, 0), "dep6": (1, 1)}
    assert list(per["first_scan_backlog"]) == [2, 0, 0, 0, 0]
    assert list(per["net_findings"]) == [0, 0, -1, 0, 0]

    rem = production_remediation(store, WINDOW)
    by_rule = {r["rule_id"]: r for r in rem.to_dict("records")}
    assert set(by_rule) == {"R1", "R2", "R3", "R4"}
    assert by_rule["R1"]["deployment_id"] == "dep2"
    assert by_rule["R1"]["days_to_fix"] == pytest.approx(h(45))
    assert by_rule["R1"]["days_to_production"] == pytest.approx(h(47))
    assert by_rule["R2"]["days_to_production"] == pytest.approx(6.875)
    assert by_rule["R3"]["deployment_id"] == "dep6"
    assert by_rule["R3"]["days_to_production"] == pytest.approx(7.0)
    assert na(by_rule["R4"]["deployment_id"]) is None

    summary = production_remediation_summary(store, WINDOW).iloc[0]
    assert summary["fixed_episodes"] == 4
    assert summary["deployed"] == 3
    assert summary["awaiting_deployment"] == 1
    assert summary["mttr_production_days"] == pytest.approx(h(380) / 3)
    assert summary["median_production_days"] == pytest.approx(6.875)

    # the finding filters apply to the findings side
    none = security_per_deployment(
        store, Filters(projects=(PROJECT,), since=WINDOW.since, until=WINDOW.until, tools=("other",))
    )
    assert none["findings_introduced"].sum() == 0 and len(none) == 5


def test_sprint_period_and_pooled_projects(loaded: Repo, store: Store) -> None:
    """The default sprint calendar starts Mon 2026-01-05 with 14 days: sprint 1 is exactly WINDOW, so
    its row repeats the by-hand numbers; pooled over the one selected project it is the same again."""
    by_sprint = dora(store, WINDOW, period="sprint")
    assert list(by_sprint["period"]) == ["sprint 1"]
    whole = dora(store, WINDOW).drop(columns=["project"]).iloc[0]
    sprint_row = by_sprint.drop(columns=["project", "period_start", "period"]).iloc[0]
    assert sprint_row.to_dict() == whole.to_dict()
    pooled = dora_by_period(store, WINDOW).iloc[0]
    assert pooled.to_dict() == whole.to_dict()
    pooled_sprints = dora_by_period(store, WINDOW, "sprint")
    assert list(pooled_sprints["deployments"]) == [5]
