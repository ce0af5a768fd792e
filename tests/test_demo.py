"""The demo generator (``python -m demo``): deterministic files, a ground truth that ingest +
lifecycle reconstruct exactly from the SARIF alone, and a history rich enough for every page.

One small demo (seed 1, scale 0.2: 4 projects, 18 scanner streams scanned about weekly, ~920
files) is generated and loaded once per test run (the ``demo`` fixture of conftest.py);
summaries are asked with ``--until`` the day after the history ends so that the answers do not
depend on today's date.
"""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from analytics.cli import main as analytics_main
from core.errors import ExitCode
from demo import cli as demo_cli
from demo.build import TRUTH, write_demo
from demo.generate import END, days, make_plan, scan_days
from store.db import Store, query_rows
from tests.conftest import DEMO_SCALE as SCALE

UNTIL = (END.date()).isoformat()  # a bare date as --until includes that whole day


def run_demo(*argv: str) -> tuple[int, str, str]:
    """``python -m demo ARGV`` in-process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = demo_cli.run(demo_cli.build_parser().parse_args(list(argv)), out, err)
    return int(code), out.getvalue(), err.getvalue()


def tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def summary(db: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Any]:
    capsys.readouterr()
    assert analytics_main(["summary", "--json", "--db", str(db), "--until", UNTIL, *extra]) == 0
    return json.loads(capsys.readouterr().out)


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    plan = make_plan(7, 0.2)
    first = write_demo(plan, tmp_path / "a")
    write_demo(plan, tmp_path / "b")
    assert first.sarif_files and first.occurrences > 0
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    write_demo(plan, tmp_path / "a")  # rewriting a demo directory in place gives the same tree
    assert tree_digest(tmp_path / "a") == tree_digest(tmp_path / "b")
    other = write_demo(make_plan(8, 0.2), tmp_path / "c")
    assert tree_digest(tmp_path / "c") != tree_digest(tmp_path / "a")
    assert other.occurrences != first.occurrences


def test_scale_one_scans_every_stream_on_most_working_days() -> None:
    """At scale 1 (the first run's demo) each stream is scanned on most working days and never at
    a weekend, so fix times are measured to the day rather than to the next monthly scan."""
    plan = make_plan(1, 1.0)
    working = [d for d in days(plan.start + timedelta(days=1), plan.end) if d.weekday() < 5]
    assert len(working) > 250
    for project in plan.projects:
        for tool in project.tools:
            scanned = scan_days(plan, project, tool)
            assert all(d.weekday() < 5 for d in scanned), (project.name, tool)
            assert 0.75 < len(scanned) / len(working) < 0.95, (project.name, tool, len(scanned))


def test_report_counts_what_was_written_and_loaded(demo: dict[str, Any]) -> None:
    report = demo["report"]
    generated, loaded = report["generated"], report["loaded"]
    assert report["status"] == "loaded"
    assert loaded["loaded"] == loaded["files"] == generated["files"] == generated["scans"]
    assert loaded["rejected"] == 0 and loaded["warnings"] == 0
    assert loaded["occurrences"] == generated["occurrences"]
    assert 0.5 < generated["occurrences"] / report["expected_occurrences"] < 1.5
    assert loaded["deployments"] == generated["deployments"] > 0
    assert loaded["incidents"] == generated["incidents"] > 0
    assert loaded["commits"] == generated["commits"] > 0
    assert set(report["elapsed_s"]) == {"generate", "load", "total"}


def test_ingest_and_lifecycle_reconstruct_the_intended_episodes(demo: dict[str, Any]) -> None:
    """Every episode the generator intended — keyed by (project, tool, rule, path), with its
    opening and closing scan times and status — is what the store holds, and nothing else: line
    shifts, Semgrep's placeholder fingerprints, Bandit's ``./`` paths, Trivy's ROOTPATH base and
    in-source suppressions all keep one identity per finding."""
    truth = orjson.loads((demo["out"] / TRUTH).read_bytes())
    expected = {
        (e["project"], e["tool"], e["rule_id"], e["path"], e["seq"], e["opened_at"], e["closed_at"], e["status"])
        for e in truth["episodes"]
    }
    assert len(expected) == len(truth["episodes"]) == truth["counts"]["episodes"]
    with Store(demo["db"]).read() as conn:
        rows = query_rows(
            conn,
            """SELECT f.project, f.tool, f.rule_id, f.path, e.seq, strftime(e.opened_at, '%Y-%m-%dT%H:%M:%S'),
                      strftime(e.closed_at, '%Y-%m-%dT%H:%M:%S'), e.status
               FROM episodes e JOIN findings f USING (finding_id)""",
        )
        findings = query_rows(conn, "SELECT count(*), count(DISTINCT (project, tool, rule_id, path)) FROM findings")
        moved = query_rows(
            conn,
            "SELECT count(*) FROM (SELECT finding_id FROM occurrences GROUP BY 1"
            " HAVING count(DISTINCT start_line) > 1)",
        )
    assert len(rows) == len(set(rows))
    got = set(rows)
    assert sorted(expected - got)[:5] == [] and sorted(got - expected)[:5] == []
    assert findings == [(truth["counts"]["findings"], truth["counts"]["findings"])]
    assert moved[0][0] > 100  # many findings changed line between scans without changing identity
    statuses = {e[7] for e in expected}
    assert statuses == {"open", "fixed", "suppressed"}
    assert any(e[4] > 1 for e in expected)  # reopened


def test_summary_shows_a_living_history(demo: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    whole = summary(demo["db"], capsys)
    assert set(whole["per_tool"]) == {"bandit", "checkov", "codeql", "gitleaks", "semgrep", "trivy"}
    episodes = whole["episodes"]
    assert episodes["reopened"] > 0 and episodes["suppressed"] > 0
    assert whole["mttr_median_days"] is not None
    projects = sorted(whole["dora"])
    assert len(projects) == 4 and sorted(whole["per_project"]) == projects
    for project in projects:
        own = whole["per_project"][project]["episodes"]
        assert own["open"] > 0 and own["fixed"] > 0, project
        assert own == summary(demo["db"], capsys, "--project", project)["episodes"], project
    frequency = {d["deployment_frequency_class"] for d in whole["dora"].values()}
    assert len(frequency) >= 3, whole["dora"]
    assert all(d["lead_time_median_days"] is not None for d in whole["dora"].values())
    assert all(d["change_failure_rate"] is not None for d in whole["dora"].values())


def test_old_debt_stays_open_for_more_than_a_year(demo: dict[str, Any]) -> None:
    with Store(demo["db"]).read() as conn:
        (debt,) = query_rows(
            conn,
            "SELECT count(*) FROM episodes WHERE status = 'open' AND closed_at IS NULL "
            "AND date_diff('day', opened_at, ?::TIMESTAMP) > 365",
            [END],
        )[0]
        severities = {r[0] for r in query_rows(conn, "SELECT DISTINCT severity FROM findings")}
    assert debt > 0
    assert {"critical", "high", "medium", "low"} <= severities


def test_running_again_loads_nothing_new(demo: dict[str, Any]) -> None:
    args = ("--seed", "1", "--scale", SCALE, "--out", str(demo["out"]), "--db", str(demo["db"]), "--json")
    code, stdout, _ = run_demo(*args, "--if-empty")
    assert code == ExitCode.OK and json.loads(stdout)["status"] == "skipped"
    code, stdout, stderr = run_demo(*args)
    assert code == ExitCode.OK, stderr
    loaded = json.loads(stdout)["loaded"]
    assert loaded["loaded"] == 0 and loaded["already_loaded"] == loaded["files"] and loaded["occurrences"] == 0


def test_refuses_a_directory_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me", encoding="utf-8")
    code, _, err = run_demo("--out", str(tmp_path), "--no-load", "--scale", "0.1")
    assert code == ExitCode.USAGE and "not empty" in err
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep me"


def test_an_end_date_in_the_future_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run_demo("--out", str(tmp_path / "x"), "--no-load", "--end", "2999-01-01")
    assert code == ExitCode.USAGE and "future" in err
    assert not (tmp_path / "x").exists()


def test_bad_scale_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exc:
        run_demo("--scale", "0")
    assert exc.value.code == 2
