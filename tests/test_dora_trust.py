"""DORA numbers a sprint review can trust: zero lead times count and
negative ones are counted apart; a stream's first-scan backlog is not introduced by a deployment;
classes of several projects are shown as their spread, never as one flattering pooled class.

Every store here is built in tmp_path from real inputs: a git repository made with ``git``,
deployments CSV files, SARIF scans loaded through the command line.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analytics.cli import main as analytics_main
from analytics.dora import dora, dora_by_period, dora_headline, lead_times
from analytics.dora_classes import CLASS_COLUMNS, ClassSpread, class_spread
from analytics.filters import Filters
from analytics.security_delivery import security_per_deployment
from analytics.summary import summary_with_extras
from ingest.cli import main as ingest_main
from ingest.devops_cli import main as devops_main
from store.db import Store
from tests.conftest import result, sarif_log

pytestmark = pytest.mark.engines

ROOT = Path(__file__).resolve().parent.parent


def git(repo: Path, *args: str, when: str | None = None) -> str:
    """``git`` in ``repo`` with no user or system configuration; ``when`` sets both commit dates."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(repo.parent),
        "GIT_CONFIG_NOSYSTEM": "1",
        "LC_ALL": "C",
    }
    if when:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when
    config = ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "commit.gpgsign=false"]
    config += ["-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"]
    done = subprocess.run(["git", *config, "-C", str(repo), *args], env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit(repo: Path, name: str, when: str) -> str:
    git(repo, "commit", "-q", "--allow-empty", "-m", name, when=when)
    return git(repo, "rev-parse", "HEAD")


# ---------------------------------------------------------------------------------------------
# item 2: lead time — zero is valid, negative is left out and counted


def test_lead_time_counts_a_commit_deployed_the_second_it_was_made(tmp_path: Path, db: Path, store: Store) -> None:
    """A hand-worked fixture: commits from git, deployments from a CSV (UTC, Mon 2 Mar 2026).

        a  committed Mon 02 09:00     b  committed Mon 02 12:00     c  committed Mon 02 13:00
        dep1 sha b  finished Mon 02 12:00:00 (the very second b was committed)  ships a, b
        dep2 sha c  finished Mon 02 12:30:00 (c's clock is 30 min ahead)        ships c

    Lead times: a 3 h, b 0 h (valid: the deployment of the commit just made), c −0.5 h (left out,
    counted as negative). Median of 0, 3 h = 1.5 h = 0.0625 d; p90 = 0 + 0.9 · 3 h = 2.7 h.
    Before the fix b was dropped too: 1 commit, median 3 h.
    """
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    sha = {n: commit(repo, n, f"2026-03-02T{t}:00+00:00") for n, t in (("a", "09:00"), ("b", "12:00"), ("c", "13:00"))}
    deployments = tmp_path / "deployments.csv"
    deployments.write_text(
        "id,project,environment,started_at,finished_at,status,sha\n"
        f"dep1,p,production,2026-03-02T11:50:00Z,2026-03-02T12:00:00Z,success,{sha['b']}\n"
        f"dep2,p,production,2026-03-02T12:20:00Z,2026-03-02T12:30:00Z,success,{sha['c']}\n",
        encoding="utf-8",
    )
    assert devops_main(["git", str(repo), "--project", "p", "--db", str(db)]) == 0
    assert devops_main(["deployments", str(deployments), "--db", str(db)]) == 0

    window = Filters(projects=("p",), since=datetime(2026, 3, 2), until=datetime(2026, 3, 3))
    row = dora(store, window).iloc[0]
    assert row["lead_time_commits"] == 2
    assert row["lead_time_negative"] == 1
    assert row["lead_time_median_days"] == pytest.approx(1.5 / 24)
    assert row["lead_time_p90_days"] == pytest.approx(2.7 / 24)
    lt = lead_times(store, window)
    got = {s: (d, v * 24) for s, d, v in zip(lt["sha"], lt["deployment_id"], lt["lead_time_days"], strict=True)}
    assert got == {sha["a"]: ("dep1", pytest.approx(3.0)), sha["b"]: ("dep1", 0.0)}
    head = dora_headline(store, window)["p"]
    assert (head["lead_time_commits"], head["lead_time_negative"]) == (2, 1)


@pytest.fixture
def tagged_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "tagged"
    repo.mkdir()
    git(repo, "init", "-q", "-b", "main")
    times = {
        "c1": "02T09:00",
        "c2": "02T15:00",
        "c3": "03T10:00",
        "c4": "04T10:00",
        "c5": "05T12:00",
        "c6": "05T11:00",
        "c7": "06T10:00",
    }
    sha = {name: commit(repo, name, f"2026-03-{t}:00+00:00") for name, t in times.items()}
    git(repo, "tag", "v0.1", sha["c2"])
    git(repo, "tag", "v0.2", sha["c6"])
    git(repo, "tag", "-a", "v0.3", "-m", "release 0.3", sha["c7"], when="2026-03-06T16:00:00+00:00")
    git(repo, "tag", "nightly", sha["c7"])
    return repo


def ingest_tags(repo: Path, db: Path, project: str = "acme/tagged") -> None:
    """The real command line, in its own process, as a user runs it."""
    argv = ["git", str(repo), "--project", project, "--tags-as-deployments", "v*", "--db", str(db)]
    done = subprocess.run(
        [sys.executable, "-m", "ingest", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_tags_as_deployments_lead_time_on_a_real_repository(
    tagged_repo: Path, db: Path, store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real repository with release tags, read by ``python -m ingest git --tags-as-deployments
    'v*'`` in its own process (UTC, March 2026; a lightweight tag deploys at its commit's committed
    time, an annotated one at its tagger date):

        c1 Mon 02 09:00 ── c2 Mon 02 15:00 [v0.1 lightweight]
        ── c3 Tue 03 10:00 ── c4 Wed 04 10:00 ── c5 Thu 05 12:00 ── c6 Thu 05 11:00 [v0.2 lightweight]
           (c6's clock is behind: it is dated an hour before its parent c5)
        ── c7 Fri 06 10:00 [v0.3 annotated, tagged Fri 06 16:00; also 'nightly', not v*]

    Lead times: v0.1 (Mon 15:00): c1 6 h, c2 0 h; v0.2 (Thu 11:00): c3 49 h, c4 25 h, c5 −1 h
    (negative: left out, counted), c6 0 h; v0.3 (Fri 16:00): c7 6 h.
    Sorted: 0, 0, 6, 6, 25, 49 → median (6 + 6) / 2 = 6 h = 0.25 d over 6 commits, 1 negative;
    p90: position 5 · 0.9 = 4.5 → 25 + 0.5 · (49 − 25) = 37 h.
    Before the fix both tag commits were dropped: 6, 6, 25, 49 → median 15.5 h over 4 commits.
    """
    ingest_tags(tagged_repo, db)
    window = Filters(projects=("acme/tagged",), since=datetime(2026, 3, 2), until=datetime(2026, 3, 9))
    row = dora(store, window).iloc[0]
    assert row["deployments"] == 3
    assert row["lead_time_commits"] == 6
    assert row["lead_time_negative"] == 1
    assert row["lead_time_median_days"] == pytest.approx(0.25)
    assert row["lead_time_p90_days"] == pytest.approx(37 / 24)
    hours = sorted(round(v * 24, 6) for v in lead_times(store, window)["lead_time_days"])
    assert hours == [0, 0, 6, 6, 25, 49]

    # the dora export carries the count in its own column, after lead_time_commits
    assert analytics_main(["export", "dora", "--db", str(db), "--project", "acme/tagged", "-o", "-"]) == 0
    exported = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [(r["lead_time_commits"], r["lead_time_negative"]) for r in exported] == [("6", "1")]
    header = list(exported[0])
    assert header.index("lead_time_negative") == header.index("lead_time_commits") + 1
    # and the summary's DORA headline exposes it (the CLI text is the summary's to word)
    summary = summary_with_extras(store, window)
    assert summary["dora"]["acme/tagged"]["lead_time_negative"] == 1
    assert summary["dora"]["acme/tagged"]["lead_time_commits"] == 6
    assert json.loads(json.dumps(summary))["dora"]["acme/tagged"]["lead_time_median_days"] == pytest.approx(0.25)


# ---------------------------------------------------------------------------------------------
# item 5: a stream's first-scan backlog is not introduced by a deployment

SEC = "acme/sec"
C = {n: f"{n:x}" * 40 for n in range(1, 6)}  # five commits, full lower-case SHAs (c1 = "111…")

SEC_DEPLOYMENTS = f"""\
id,project,environment,started_at,finished_at,status,sha,commits
d1,{SEC},production,2026-02-02T11:50:00Z,2026-02-02T12:00:00Z,success,{C[1]},{C[1]}
d2,{SEC},production,2026-02-04T11:50:00Z,2026-02-04T12:00:00Z,success,{C[3]},{C[2]} {C[3]}
d3,{SEC},production,2026-02-06T11:50:00Z,2026-02-06T12:00:00Z,success,{C[5]},{C[4]} {C[5]}
"""


def _scan(tmp_path: Path, db: Path, tool: str, rules: list[str], commit_no: int, when: str) -> None:
    path = tmp_path / f"{tool}-{when[:13]}.sarif"
    path.write_text(json.dumps(sarif_log([result(r, line=i + 1) for i, r in enumerate(rules)], tool=tool)))
    argv = ["sarif", str(path), "--db", str(db), "--project", SEC, "--branch", "main"]
    assert ingest_main([*argv, "--commit", C[commit_no], "--scanned-at", when]) == 0


@pytest.fixture
def sec_store(tmp_path: Path, db: Path, store: Store, capsys: pytest.CaptureFixture[str]) -> Store:
    deployments = tmp_path / "sec-deployments.csv"
    deployments.write_text(SEC_DEPLOYMENTS, encoding="utf-8")
    assert devops_main(["deployments", str(deployments), "--db", str(db)]) == 0
    _scan(tmp_path, db, "alpha", ["R1", "R2"], 1, "2026-02-02T10:00:00Z")
    _scan(tmp_path, db, "alpha", ["R1", "R3"], 2, "2026-02-03T10:00:00Z")
    _scan(tmp_path, db, "beta", ["B1", "B2", "B3"], 3, "2026-02-04T09:00:00Z")
    _scan(tmp_path, db, "alpha", ["R3"], 4, "2026-02-05T10:00:00Z")
    _scan(tmp_path, db, "alpha", ["R3", "R1"], 5, "2026-02-05T15:00:00Z")
    _scan(tmp_path, db, "beta", ["B1", "B4"], 5, "2026-02-05T16:00:00Z")
    capsys.readouterr()
    return store


def test_first_scan_backlog_is_not_introduced_by_a_deployment(sec_store: Store) -> None:
    """Deployments ship d1 {c1}, d2 {c2, c3}, d3 {c4, c5}. Scans (commit: findings):

        alpha  c1 Mon 02: R1 R2 (alpha's first scan) | c2 Tue 03: R1 R3 | c4 Thu 05: R3 | c5 Thu 05: R3 R1
        beta   c3 Wed 04: B1 B2 B3 (beta's first scan, two days after the project's first) | c5 Thu 05: B1 B4

    d1: R1, R2 are alpha's first-scan backlog → introduced 0, backlog 2, fixed 0, net 0.
    d2: R3 new at c2 → introduced 1; B1–B3 beta's first-scan backlog → backlog 3; R2 gone at c2 →
        fixed 1; net 0.
    d3: R1 back at c5 (a reopening, seq 2: introduced) and B4 new → introduced 2; R1 gone at c4,
        B2, B3 gone at c5 → fixed 3; net −1.
    Before the fix: d1 introduced 2 (its first-scan backlog), d2 introduced 4.
    """
    window = Filters(projects=(SEC,), since=datetime(2026, 2, 2), until=datetime(2026, 2, 9))
    per = security_per_deployment(sec_store, window)
    got = {
        r["deployment_id"]: (r["findings_introduced"], r["first_scan_backlog"], r["findings_fixed"], r["net_findings"])
        for r in per.to_dict("records")
    }
    assert got == {"d1": (0, 2, 0, 0), "d2": (1, 3, 1, 0), "d3": (2, 0, 3, -1)}
    assert list(per.columns[-4:]) == ["findings_introduced", "first_scan_backlog", "findings_fixed", "net_findings"]

    # the finding filters apply to both counts: beta only
    beta = security_per_deployment(sec_store, Filters(projects=(SEC,), tools=("beta",), until=datetime(2026, 2, 9)))
    only_beta = {r["deployment_id"]: (r["findings_introduced"], r["first_scan_backlog"]) for _, r in beta.iterrows()}
    assert only_beta == {"d1": (0, 0), "d2": (0, 3), "d3": (1, 0)}


# ---------------------------------------------------------------------------------------------
# item 6: the classes of several projects


def _classes(**columns: list[str | None]) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_class_spread_counts_projects_per_class() -> None:
    """8 projects: frequency elite 2, high 2, medium 3, low 1 — the issue's own example."""
    df = _classes(
        deployment_frequency_class=["elite", "medium", "high", "low", "medium", "elite", "high", "medium"],
        lead_time_class=["high", None, "high", "high", float("nan"), "elite", "high", "high"],  # type: ignore[list-item]
    )
    freq = class_spread(df, "deployment_frequency_class")
    counts = (("elite", 2), ("high", 2), ("medium", 3), ("low", 1))
    assert freq == ClassSpread(counts=counts, unclassified=0, projects=8)
    assert freq.text() == "elite 2 · high 2 · medium 3 · low 1 of 8 projects"
    lead = class_spread(df, "lead_time_class")
    assert lead.counts == (("elite", 1), ("high", 5), ("medium", 0), ("low", 0))
    assert lead.text() == "elite 1 · high 5 · no data 2 of 8 projects"
    assert class_spread(df.iloc[[3]], "deployment_frequency_class").text() == "low 1 of 1 project"
    assert class_spread(df.iloc[[]], "deployment_frequency_class").text() == "no projects"
    with pytest.raises(ValueError, match="not a DORA class column"):
        class_spread(df, "lead_time_median_days")
    assert CLASS_COLUMNS == ("deployment_frequency_class", "lead_time_class", "change_failure_class", "recovery_class")


def four_teams_csv() -> str:
    """Production deployments of four projects over the 8 ISO weeks Mon 2 Mar .. Sun 26 Apr 2026
    (56 days; a month = 30.4375 days, so the window is 1.84 months):

        p/daily    every weekday: 40 deployments, 5 deploy days every week → median 5 → elite
        p/weekly   Tuesdays and Thursdays: 16, median 2 → high
        p/monthly  Wed 4 Mar, Wed 1 Apr, Wed 22 Apr: median 0 deploy days a week, but 3 / 1.84 =
                   1.63 deployments a month ≥ 1 → medium
        p/rare     Wed 15 Apr only: median 0, 1 / 1.84 = 0.54 a month → low

    Pooled, some project deploys every weekday: median 5 deploy days a week, "elite" — the
    flattering class the Velocity page must not show alone.
    """
    rows = ["id,project,environment,started_at,finished_at,status,sha"]
    days = pd.date_range("2026-03-02", "2026-04-26", freq="D")
    plan = {
        "p/daily": [d for d in days if d.weekday() < 5],
        "p/weekly": [d for d in days if d.weekday() in (1, 3)],
        "p/monthly": [pd.Timestamp(x) for x in ("2026-03-04", "2026-04-01", "2026-04-22")],
        "p/rare": [pd.Timestamp("2026-04-15")],
    }
    for project, when in plan.items():
        for i, d in enumerate(when):
            day = d.strftime("%Y-%m-%d")
            rows.append(f"{project}-{i},{project},production,{day}T10:00:00Z,{day}T10:10:00Z,success,{i + 1:040x}")
    return "\n".join(rows) + "\n"


FOUR_TEAMS = Filters(since=datetime(2026, 3, 2), until=datetime(2026, 4, 27))


def test_four_teams_classes_by_hand(tmp_path: Path, db: Path, store: Store) -> None:
    """See ``four_teams_csv``: the table explains every class with its numbers."""
    path = tmp_path / "four.csv"
    path.write_text(four_teams_csv(), encoding="utf-8")
    assert devops_main(["deployments", str(path), "--db", str(db)]) == 0
    df = dora(store, FOUR_TEAMS).set_index("project")
    columns = ["deployments", "deploy_days_per_week_median", "deployments_per_month", "deployment_frequency_class"]
    got = {p: (n, days, round(per_month, 2), klass) for p, (n, days, per_month, klass) in df[columns].iterrows()}
    assert got == {
        "p/daily": (40, 5, round(40 / (56 / 30.4375), 2), "elite"),
        "p/weekly": (16, 2, round(16 / (56 / 30.4375), 2), "high"),
        "p/monthly": (3, 0, 1.63, "medium"),
        "p/rare": (1, 0, 0.54, "low"),
    }
    spread = class_spread(df.reset_index(), "deployment_frequency_class")
    assert spread.text() == "elite 1 · high 1 · medium 1 · low 1 of 4 projects"


# ---------------------------------------------------------------------------------------------
# the Velocity page on a store of five projects


APP = str(ROOT / "app.py")


@pytest.fixture
def five_projects(tmp_path: Path, db: Path, tagged_repo: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The four teams of ``four_teams_csv``, the tagged repository as acme/tagged (3 deployments in
    the window's first week: median 0 deploy days a week, 1.63 a month → medium; one commit dated
    after its deployment), and a scan of p/daily and of p/monthly so that the app has something
    loaded and the sidebar offers those two."""
    path = tmp_path / "four.csv"
    path.write_text(four_teams_csv(), encoding="utf-8")
    assert devops_main(["deployments", str(path), "--db", str(db)]) == 0
    ingest_tags(tagged_repo, db)
    scan = tmp_path / "one.sarif"
    scan.write_text(json.dumps(sarif_log([result("R1")])), encoding="utf-8")
    for project in ("p/daily", "p/monthly"):  # the sidebar offers the projects that have scans
        assert ingest_main(["sarif", str(scan), "--db", str(db), "--project", project,
                            "--scanned-at", "2026-03-02T09:00:00Z"]) == 0  # fmt: skip
    monkeypatch.setenv("FINDINGS_DB", str(db))
    monkeypatch.chdir(tmp_path)  # no config.toml here: defaults
    return db


def open_velocity(since: str, until: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["since"] = since
    at.query_params["until"] = until
    at.run()
    at.switch_page("app_pages/velocity.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def plain(markdown: str) -> str:
    """A caption's text without its colour and bold markup."""
    return re.sub(r":\w+\[\*\*(\w+)\*\*\]", r"\1", markdown)


def test_velocity_page_shows_the_spread_of_classes_not_a_pooled_class(five_projects: Path) -> None:
    """Window Mon 2 Mar .. Sun 26 Apr 2026. Pooled, some project deploys every weekday, so
    ``dora_by_period`` classes the selection "elite"; per project the frequency classes are
    elite 1 (p/daily), high 1 (p/weekly), medium 2 (p/monthly, acme/tagged), low 1 (p/rare).
    Only acme/tagged has commits: its lead time 0.25 d is elite, the others have none."""
    pooled = dora_by_period(Store(five_projects), Filters(since=datetime(2026, 3, 2), until=datetime(2026, 4, 27)))
    assert pooled.iloc[0]["deployment_frequency_class"] == "elite"  # the flattering pooled class

    at = open_velocity("2026-03-02", "2026-04-26")
    captions = [plain(c.value) for c in at.caption]
    assert "in 56 days  \nBy project: elite 1 · high 1 · medium 2 · low 1 of 5 projects" in captions
    assert "6 commits  \nBy project: elite 1 · no data 4 of 5 projects" in captions
    assert not any("elite" in c and "By project" not in c and "Class" not in c for c in captions), captions
    assert [m.value for m in at.metric][:2] == ["63", "0.2 d"]  # 40 + 16 + 3 + 1 + 3 deployments

    # the data-quality warning names the commit left out of lead time
    warnings = [w.value for w in at.warning]
    assert any("1 commit(s) are dated after the deployment" in w and "acme/tagged 1" in w for w in warnings), warnings

    # the frequency table explains each class with the number that decides it
    frequency_table, lead_table, failure_table, recovery_table = at.dataframe  # the tabs, in order
    freq = frequency_table.value.set_index("Project")
    assert list(freq.columns) == ["Deployments", "Window (days)", "Deploy days / week (median)",
                                  "Deployments / month", "Class"]  # fmt: skip
    assert freq.loc["p/monthly"].tolist() == [3, 56, 0.0, pytest.approx(3 / (56 / 30.4375)), "medium"]
    assert freq.loc["p/rare"].tolist() == [1, 56, 0.0, pytest.approx(1 / (56 / 30.4375)), "low"]
    assert freq.loc["p/daily", "Class"] == "elite"

    # missing values are empty cells, not "None"; counts are integers, rates and days formatted
    for shown in at.dataframe:  # a missing number is drawn as the placeholder: nothing
        assert shown.proto.HasField("placeholder") and shown.proto.placeholder == ""
    assert recovery_table.value["Median recovery (h)"].isna().all()  # no incident anywhere
    assert set(recovery_table.value["Class"]) == {""}
    config = json.loads(recovery_table.proto.columns)
    assert config["Incidents resolved"]["type_config"]["format"] == "%d"
    assert config["Median recovery (h)"]["type_config"]["format"] == "%.1f"
    failure = json.loads(failure_table.proto.columns)
    assert failure["Change failure rate"]["type_config"]["format"] == "%.1f%%"
    lead = lead_table.value.set_index("Project")
    assert lead.loc["acme/tagged"].tolist() == [6, 1, 0.25, pytest.approx(37 / 24), "elite"]
    assert lead.loc["p/daily", "Class"] == ""

    # one project: its own class, no spread
    at.multiselect(key="f_project").set_value(["p/monthly"]).run()
    assert not at.exception
    captions = [plain(c.value) for c in at.caption]
    assert "in 56 days  \nClass: medium" in captions, captions


def test_velocity_page_says_how_much_first_scan_backlog_it_leaves_out(
    sec_store: Store, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store of ``test_first_scan_backlog_is_not_introduced_by_a_deployment``: 2 + 3 = 5
    findings are first-scan backlog. The page says so under the chart and shows them on request;
    the chart's count axis has whole numbers only."""
    monkeypatch.setenv("FINDINGS_DB", str(db))
    monkeypatch.chdir(tmp_path)
    at = open_velocity("2026-02-02", "2026-02-08")
    assert any("Introduced leaves out 5 finding(s) found by their stream's first scan" in c.value for c in at.caption)

    def security_spec() -> dict[str, Any]:
        specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
        return next(s for s in specs if "introduced" in json.dumps(s.get("title", "")))

    spec = security_spec()
    assert spec["encoding"]["color"]["scale"]["domain"] == ["introduced", "fixed"]
    assert spec["encoding"]["y"]["axis"]["format"] == "d" and spec["encoding"]["y"]["axis"]["tickMinStep"] == 1
    at.checkbox(key="velocity_first_scans").check().run()
    assert not at.exception
    assert not any("Introduced leaves out" in c.value for c in at.caption)
    assert security_spec()["encoding"]["color"]["scale"]["domain"] == ["introduced", "fixed", "first-scan backlog"]
