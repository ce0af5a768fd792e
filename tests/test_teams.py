"""Teams and ownership (docs/teams.md, docs/definitions.md §10) on a fixture worked out by hand.

Config (``CONFIG``): ``payments`` owns ``acme/pay-*`` and ``acme/shop:src/checkout/**``; ``web``
owns ``acme/shop``. Global SLA: critical 7 days, high 30. Three projects, each scanned (one tool)
at 2026-01-01, 01-03, 01-06, 01-11, 01-21 and 01-31 (00:00 UTC); the window is 2026-01-01 ..
2026-02-01 (exclusive).

    finding  project       path                  sev.      present       episode            team
    P1       acme/pay-api  src/a.py              critical  01-01..01-06  fixed 01-11, 10 d  payments (project pattern)
    P2       acme/pay-api  src/b.py              critical  every scan    open               payments
    P3       acme/pay-api  src/c.py              critical  01-21, 01-31  open (from 01-21)  payments
    S1       acme/shop     src/checkout/cart.py  critical  01-01, 01-03  fixed 01-06, 5 d   payments (its project:path
                                                                                           rule beats web's acme/shop)
    S2       acme/shop     src/ui/page.py        high      01-01..01-11  fixed 01-21, 20 d  web
    S3       acme/shop     src/ui/login.py       critical  every scan    open               web
    O1       acme/other    src/x.py              critical  01-01, 01-03  fixed 01-06, 5 d   unowned (no rule)

Global SLA due dates (first seen + days): P1 01-08, P2 01-08, P3 01-28, S1 01-08, S2 01-31,
S3 01-08, O1 01-08. At the window's end (02-01): overdue = open and due before 02-01 = P2, P3, S3.
Fixed within SLA: P1 no (01-11 > 01-08), S1 yes, S2 yes (01-21 ≤ 01-31), O1 yes.

Per team:
    payments: open 2 (P2, P3); fixed 2 (P1 10 d, S1 5 d) → MTTR mean = median = 7.5, n 2;
              SLA 1 of 2 within → 0.5; overdue 2 (P2, P3).
              KM over P1, P2, P3, S1 (all opened in the window): durations 5 (S1, event), 10 (P1,
              event), P3 censored at 11 (01-21 → 02-01), P2 censored at 31. S(5) = 3/4, S(10) =
              3/4 · 2/3 = 1/2 ≤ 0.5 → half-life 10 d, n 4.
    web:      open 1 (S3); fixed 1 (S2 20 d) → MTTR 20, n 1; SLA 1/1 → 1.0; overdue 1 (S3).
              KM: S2 event at 20 (S = 1/2), S3 censored at 31 → half-life 20 d, n 2.
    unowned:  open 0; fixed 1 (O1 5 d) → MTTR 5; SLA 1/1; overdue 0; KM S(5) = 0 → 5 d, n 1.
    all:      open 3; fixed 4 (10, 5, 20, 5) → mean 10, median 7.5; SLA 3/4; overdue 3.

With ``[sla.teams.payments] critical = 14`` (``OVERRIDE``): payments' critical findings are due 14
days after first seen: P1 01-15 (fixed 01-11: now within), P2 01-15 (still overdue), P3 02-04 (no
longer overdue at 02-01), S1 01-15 (within). payments: SLA 2/2 = 1.0, overdue 1 (P2). web and
unowned keep the global table (S3 due 01-08: overdue). All: SLA 4/4, overdue 2.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from analytics import remediation as rem
from analytics import survival
from analytics.cli import main as analytics_main
from analytics.exports import KINDS, Request, export
from analytics.filters import Filters
from analytics.summary import summary
from core.settings import Settings, parse_settings
from core.teams import Rule, literal_chars, parse_rules, path_regex, resolve
from ingest.cli import main as ingest_main
from tests.conftest import new_database, result, sarif_log

pytestmark = pytest.mark.engines

CONFIG = """
[sla]
critical = 7
high = 30

[teams]
"payments" = ["acme/pay-*", "acme/shop:src/checkout/**"]
"web" = ["acme/shop"]
"""
OVERRIDE = f"""{CONFIG}
[sla.teams.payments]
critical = 14
"""
WINDOW = Filters(since=datetime(2026, 1, 1), until=datetime(2026, 2, 1))
DATES = ["2026-01-01", "2026-01-03", "2026-01-06", "2026-01-11", "2026-01-21", "2026-01-31"]
# project → {name: (path, security-severity score, dates present)}
PLAN: dict[str, dict[str, tuple[str, str, list[str]]]] = {
    "acme/pay-api": {
        "P1": ("src/a.py", "9.5", DATES[:3]),
        "P2": ("src/b.py", "9.5", DATES),
        "P3": ("src/c.py", "9.5", DATES[4:]),
    },
    "acme/shop": {
        "S1": ("src/checkout/cart.py", "9.5", DATES[:2]),
        "S2": ("src/ui/page.py", "8.0", DATES[:4]),
        "S3": ("src/ui/login.py", "9.5", DATES),
    },
    "acme/other": {"O1": ("src/x.py", "9.5", DATES[:2])},
}


def settings(text: str = CONFIG) -> Settings:
    return parse_settings(tomllib.loads(text))


def _result(name: str, path: str, score: str) -> dict[str, Any]:
    r = result(f"R-{name}", path, 1, properties={"security-severity": score})
    r["locations"][0]["physicalLocation"]["region"]["snippet"] = {"text": f"code_{name}()"}
    return r


@pytest.fixture(scope="module")
def teams_db(tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest) -> Path | str:
    tmp = tmp_path_factory.mktemp("teams")
    db = new_database(engine, tmp, request)
    load_plan(db, tmp)
    return db


def load_plan(db: Path | str, tmp: Path) -> None:
    for project, findings in PLAN.items():
        scans = [
            (f"{day}T00:00:00Z", [_result(n, p, s) for n, (p, s, present) in findings.items() if day in present])
            for day in DATES
        ]
        for i, (when, results) in enumerate(scans):
            path = tmp / f"{project.replace('/', '_')}-{i}.sarif"
            path.write_text(json.dumps(sarif_log(results, tool="demo")))
            assert ingest_main(["sarif", str(path), "--db", str(db), "--project", project, "--scanned-at", when]) == 0


@pytest.fixture(scope="module")
def store(teams_db: Path | str) -> Any:
    from store.db import Store

    return Store(teams_db)


def _by_team(df: Any, cols: list[str]) -> dict[str, list[Any]]:
    return {row["team"]: [row[c] for c in cols] for row in df.to_dict("records")}


# ------------------------------------------------------------------------------ resolution rules
def test_specificity_path_rule_beats_project_rule_then_literals_then_order() -> None:
    rules = parse_rules({"a": ["acme/*"], "b": ["acme/shop"], "c": ["acme/*:src/**"], "d": ["acme/sh?p"]})
    assert [r.team for r in rules] == ["c", "b", "d", "a"]  # path first; then 9 > 8 > 5 literals
    assert resolve(rules, "acme/shop", "src/x.py") == "c"
    assert resolve(rules, "acme/shop", "lib/x.py") == "b"
    assert resolve(rules, "acme/shap", "lib/x.py") == "d"
    assert resolve(rules, "other/x", "src/x.py") == "unowned"
    tie = parse_rules({"first": ["acme/a*"], "second": ["acme/*b"]})  # 6 literals each: config order
    assert resolve(tie, "acme/ab", "") == "first"
    assert literal_chars("acme/shop:src/checkout/**") == len("acme/shopsrc/checkout/") + 1


def test_path_patterns() -> None:
    assert path_regex("src/checkout/**") == "^src/checkout/.*$"
    assert path_regex("/docs/") == "^docs/.*$"
    assert path_regex("**/test_*.py") == "^(.*/)?test_[^/]*\\.py$"
    r = Rule.parse("t", "p:src/*.py", 0)
    assert (r.project, r.path) == ("p", "src/*.py")
    assert resolve([r], "p", "src/a.py") == "t" and resolve([r], "p", "src/x/a.py") == "unowned"


# ----------------------------------------------------------------------------- the hand-worked numbers
def test_mttr_and_km_by_team(store: Any) -> None:
    """payments: closed 2, mean 7.5, KM 10, open 2; web: 1, 20, 20, 1; unowned: 1, 5, 5, 0."""
    df = rem.mttr(store, WINDOW, by=["team"], settings=settings())
    assert _by_team(df, ["closed", "mean_days", "median_days", "km_median_days", "open"]) == {
        "payments": [2, 7.5, 7.5, 10.0, 2],
        "unowned": [1, 5.0, 5.0, 5.0, 0],
        "web": [1, 20.0, 20.0, 20.0, 1],
    }


def test_sla_by_team_and_the_override(store: Any) -> None:
    """Global: payments 1/2 within, overdue 2; web 1/1, 1; unowned 1/1, 0. Override
    (payments critical 14 d): payments 2/2, overdue 1; the others unchanged."""
    cols = ["closed_with_sla", "closed_within_sla", "compliance", "overdue_open"]
    df = rem.sla(store, WINDOW, by=["team"], settings=settings())
    assert _by_team(df, cols) == {
        "payments": [2, 1, 0.5, 2],
        "unowned": [1, 1, 1.0, 0],
        "web": [1, 1, 1.0, 1],
    }
    df = rem.sla(store, WINDOW, by=["team"], settings=settings(OVERRIDE))
    assert _by_team(df, cols) == {
        "payments": [2, 2, 1.0, 1],
        "unowned": [1, 1, 1.0, 0],
        "web": [1, 1, 1.0, 1],
    }
    assert _by_team(df, ["sla_source"]) == {"payments": ["team:payments"], "unowned": ["global"], "web": ["global"]}
    total = rem.sla(store, WINDOW, settings=settings(OVERRIDE)).iloc[0]
    assert [total["closed_within_sla"], total["closed_with_sla"], total["overdue_open"]] == [4, 4, 2]
    assert total["sla_source"] == "global;team:payments"  # the export says which SLA tables it used


def test_every_grouped_export_groups_by_team(store: Any) -> None:
    """Every kind that takes --by accepts team; the unowned finding is its own group, never dropped."""
    s = settings()
    backlog = export(store, "backlog", Request(WINDOW, ("team",), None, s))
    assert _by_team(backlog, ["open"]) == {"payments": [2], "web": [1]}  # unowned has nothing open
    aging = export(store, "aging", Request(WINDOW, ("team",), None, s))
    assert _by_team(aging, ["open"]) == {"payments": [2], "web": [1]}
    flow = export(store, "flow", Request(WINDOW, ("team",), None, s))
    # inflow: payments P1 P2 P3 S1 = 4, web 2, unowned 1; outflow = the fixed ones: 2, 1, 1
    assert _by_team(flow, ["inflow", "outflow"]) == {"payments": [4, 2], "unowned": [1, 1], "web": [2, 1]}
    capacity = export(store, "capacity", Request(WINDOW, ("team",), None, s))
    assert capacity.groupby("team")["closed"].sum().to_dict() == {"payments": 2, "unowned": 1, "web": 1}
    km = survival.survival(store, WINDOW, by=["team"], settings=s)
    assert km.groupby("team")["events"].sum().to_dict() == {"payments": 2, "unowned": 1, "web": 1}
    assert km[km["team"] == "payments"]["at_risk"].max() == 4
    for kind in ("mttr", "survival", "sla", "backlog", "flow", "aging", "capacity"):
        assert "team" in export(store, kind, Request(WINDOW, ("team",), None, s)).columns, kind


def test_row_exports_name_the_team_and_the_sla(store: Any) -> None:
    """findings/episodes/overdue: one team per finding; sla_days/sla_source say which table applied."""
    findings = export(store, "findings", Request(WINDOW, settings=settings(OVERRIDE)))
    by_path = {r["path"]: (r["team"], r["sla_days"], r["sla_source"]) for r in findings.to_dict("records")}
    assert by_path == {
        "src/a.py": ("payments", 14, "team:payments"),
        "src/b.py": ("payments", 14, "team:payments"),
        "src/c.py": ("payments", 14, "team:payments"),
        "src/checkout/cart.py": ("payments", 14, "team:payments"),
        "src/ui/page.py": ("web", 30, "global"),
        "src/ui/login.py": ("web", 7, "global"),
        "src/x.py": ("unowned", 7, "global"),
    }
    overdue = export(store, "overdue", Request(WINDOW, settings=settings(OVERRIDE)))
    assert sorted(zip(overdue["path"], overdue["team"], overdue["sla_source"], strict=True)) == [
        ("src/b.py", "payments", "team:payments"),
        ("src/ui/login.py", "web", "global"),
    ]
    episodes = export(store, "episodes", Request(WINDOW, settings=settings()))
    assert sorted(episodes["team"]) == ["payments"] * 4 + ["unowned"] + ["web"] * 2


def test_team_filter(store: Any) -> None:
    """--team web: S2, S3 only. --team unowned: O1. --team payments,web: everything but O1."""
    s = settings()
    web = rem.mttr(store, Filters(since=WINDOW.since, until=WINDOW.until, teams=("web",)), settings=s).iloc[0]
    assert [web["closed"], web["mean_days"], web["open"]] == [1, 20.0, 1]
    unowned = export(store, "findings", Request(Filters(teams=("unowned",)), settings=s))
    assert unowned["path"].tolist() == ["src/x.py"]
    two = export(store, "findings", Request(Filters(teams=("payments", "web")), settings=s))
    assert len(two) == 6


def test_summary_headline_for_one_team(store: Any) -> None:
    """--team payments: findings 4; occurrences P1 3 + P2 6 + P3 2 + S1 2 = 13; open 2, fixed 2,
    MTTR mean = median = 7.5. Scans are not split by team: all 18 (3 projects × 6)."""
    out = summary(store, Filters(since=WINDOW.since, until=WINDOW.until, teams=("payments",)), settings())
    assert (out.findings, out.occurrences, out.scans) == (4, 13, 18)
    assert (out.episodes.open, out.episodes.fixed, out.mttr_mean_days, out.mttr_median_days) == (2, 2, 7.5, 7.5)
    everyone = summary(store, WINDOW, settings())
    assert (everyone.findings, everyone.episodes.open, everyone.episodes.fixed) == (7, 3, 4)
    assert (everyone.mttr_mean_days, everyone.mttr_median_days) == (10.0, 7.5)


def test_cli_team_flag_and_by_team(teams_db: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(OVERRIDE)
    common = ["--db", str(teams_db), "--config", str(config), "--since", "2026-01-01", "--until", "2026-01-31"]
    assert analytics_main(["export", "sla", *common, "--by", "team", "-o", "-"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {r["team"]: (r["compliance"], r["overdue_open"]) for r in rows} == {
        "payments": ("1", "1"),
        "unowned": ("1", "0"),
        "web": ("1", "1"),
    }
    assert analytics_main(["summary", *common, "--team", "payments", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["findings"], out["episodes"]["open"], out["sla"]["overdue_open"]) == (4, 2, 1)
    assert analytics_main(["summary", *common, "--team", "nobody", "--json"]) == 0
    assert "'nobody' is no team" in capsys.readouterr().err


def test_sprint_report_names_the_sla_tables(store: Any) -> None:
    """Sprints from 2026-01-05 (14 days). With the override, overdue at the end of the window
    (02-01): P2 (payments, team:payments) and S3 (web, global); the last sprint (01-19 .. 02-01)
    names both tables; --team web names only the global one."""
    report = export(store, "sprint-report", Request(WINDOW, settings=settings(OVERRIDE)))
    assert report["sla_source"].iloc[-1] == "global;team:payments"
    web = export(store, "sprint-report", Request(replace(WINDOW, teams=("web",)), settings=settings(OVERRIDE)))
    assert web["sla_source"].iloc[-1] == "global"


def test_every_kind_runs_with_a_team_filter(store: Any) -> None:
    for kind in KINDS:
        export(store, kind, Request(Filters(teams=("web",)), settings=settings(OVERRIDE)))


# ------------------------------------------------------------------------------------ CODEOWNERS
CODEOWNERS = """# owners of acme/shop
*                 @acme/web-devs
/src/checkout/    @acme/payments-devs   # the checkout
src/ui/login.py   @alice
"""


def test_codeowners_import_maps_owners_to_teams(
    teams_db: Path | str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """acme/shop's CODEOWNERS, owners mapped by [team_owners] (an empty import puts the module's
    store back as the other tests expect it).
    Specificity (literal characters of project + pattern, acme/shop = 9):
        S1 src/checkout/cart.py: "*" (9), "/src/checkout/" (9 + 12 = 21)      → payments-devs → payments
        S2 src/ui/page.py:       "*" (9), config "acme/shop:src/ui/*.py" (18)  → sec (the config's rule)
        S3 src/ui/login.py:      "*", config rule (18), "src/ui/login.py" (24) → alice (unmapped: '@' dropped)
    acme/pay-api has no CODEOWNERS: its config rule still holds; acme/other stays unowned."""
    file = tmp_path / "CODEOWNERS"
    argv = ["codeowners", str(file), "--project", "acme/shop", "--db", str(teams_db)]
    try:
        _codeowners(file, argv, teams_db, capsys)
    finally:
        file.write_text("# nobody\n")
        assert ingest_main(argv) == 0


def _codeowners(file: Path, argv: list[str], teams_db: Path | str, capsys: pytest.CaptureFixture[str]) -> None:
    file.write_text(CODEOWNERS)
    assert ingest_main(argv) == 0
    assert "3 ownership rule(s)" in capsys.readouterr().out
    assert ingest_main(argv) == 0  # the same file again: the same 3 rules, not 6
    config = parse_settings(
        tomllib.loads(
            '[teams]\n"payments" = ["acme/pay-*"]\n"sec" = ["acme/shop:src/ui/*.py"]\n'
            '[team_owners]\n"@acme/payments-devs" = "payments"\n"@acme/web-devs" = "web"\n'
        )
    )
    from analytics.catalog import teams
    from store.db import Store

    # the sidebar's and --team's choices: the config's teams, then the unmapped owners, unowned last
    assert teams(Store(teams_db), config) == ["payments", "sec", "web", "alice", "unowned"]
    found = export(Store(teams_db), "findings", Request(Filters(), settings=config))
    assert dict(zip(found["path"], found["team"], strict=True)) == {
        "src/a.py": "payments",
        "src/b.py": "payments",
        "src/c.py": "payments",
        "src/checkout/cart.py": "payments",
        "src/ui/page.py": "sec",
        "src/ui/login.py": "alice",
        "src/x.py": "unowned",
    }
    file.write_text("* @acme/web-devs\n")
    assert ingest_main(argv) == 0  # a new import replaces the project's rules
    found = export(Store(teams_db), "findings", Request(Filters(teams=("web",)), settings=config))
    # "*" (9) now owns only cart.py: page.py and login.py match the config's sec rule (18) too
    assert sorted(found["path"]) == ["src/checkout/cart.py"]


def test_the_api_takes_team_and_by_team(store: Any) -> None:
    """The query parameter ``team`` and ``by=team`` give what the command line gives (same numbers
    as ``test_sla_by_team_and_the_override`` and ``test_summary_headline_for_one_team``)."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.context import Context
    from tests.api_support import bearer, make_tokens

    tokens = make_tokens(store)
    client = TestClient(create_app(Context(store, settings=settings(OVERRIDE))), raise_server_exceptions=False)
    window = {"since": "2026-01-01", "until": "2026-01-31"}
    answer = client.get("/api/v1/exports/sla.csv", params=window | {"by": "team"}, headers=bearer(tokens.read))
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert {r["team"]: (r["closed_within_sla"], r["overdue_open"]) for r in rows} == {
        "payments": ("2", "1"),
        "unowned": ("1", "0"),
        "web": ("1", "1"),
    }
    answer = client.get("/api/v1/summary", params=window | {"team": "payments"}, headers=bearer(tokens.read))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["findings"], body["episodes"]["open"], body["mttr_mean_days"]) == (4, 2, 7.5)


# ------------------------------------------------------------------- the SQL agrees with the rules
_WORD = st.sampled_from(["acme", "pay", "shop", "src", "ui", "a.py", "b.js", "x-1", "checkout"])
_GLOB = st.sampled_from(["*", "**", "?", "pay-*", "*.py", "sh?p"])
_PROJECT = st.lists(_WORD, min_size=1, max_size=2).map("/".join)
_PATH = st.lists(_WORD, min_size=1, max_size=4).map("/".join)
_PATTERN = st.lists(st.one_of(_WORD, _GLOB), min_size=1, max_size=3).map("/".join)
_RULE = st.tuples(st.sampled_from(["t1", "t2", "t3"]), _PATTERN, st.one_of(st.none(), _PATTERN))


@hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    rules=st.lists(_RULE, max_size=6),
    findings=st.lists(st.tuples(_PROJECT, _PATH), min_size=1, max_size=8),
)
def test_the_sql_resolves_teams_as_the_rules_say(
    store: Any, rules: list[tuple[str, str, str | None]], findings: list[tuple[str, str]]
) -> None:
    """On random rules and findings, ``analytics.teams.team_sql`` (in the database) gives the team
    that ``core.teams.resolve`` (the rules read in Python) gives, on both engines."""
    from analytics.definitions import run
    from analytics.teams import team_params, team_sql

    teams: dict[str, list[str]] = {}
    for team, project, path in rules:
        teams.setdefault(team, []).append(project if path is None else f"{project}:{path}")
    config = Settings(team_rules=parse_rules(teams))
    sql = (
        f"SELECT f.i, {team_sql('f')} AS team FROM (SELECT unnest($i::INTEGER[]) AS i, "
        "unnest($p::VARCHAR[]) AS project, unnest($x::VARCHAR[]) AS path) f ORDER BY f.i"
    )
    params = team_params(config) | {
        "i": list(range(len(findings))),
        "p": [p for p, _ in findings],
        "x": [x for _, x in findings],
    }
    got = run(store, sql, params)["team"].tolist()
    assert got == [resolve(config.team_rules, p, x) for p, x in findings]


def test_the_sprint_review_for_one_team(store: Any) -> None:
    """Sprints of 14 days from 2026-01-05: sprint 1 = 01-05 .. 01-19, sprint 2 = 01-19 .. 02-01
    (cut by the window). --team web (S2, S3, both in acme/shop):
    new critical/high: none opened in either sprint → 0 (before 0);
    critical/high past SLA at 02-01: S3 (due 01-08) → 1; at 01-19: S3 again (S2 is due 01-31) → 1;
    fixed: S2 on 01-21 → 1 in sprint 2, none in sprint 1 → 1 (before 0).
    Coverage with stale_days 1 at 02-01: every project's last scan is 01-31 (one day old), but a
    scan has no team: web's projects are those where it owns a finding, acme/shop only."""
    from analytics.report import filters_text
    from analytics.review import review

    web = replace(WINDOW, teams=("web",))
    out = review(store, web, replace(settings(), stale_days=1), "sprint 2")
    counts = {s.key: (s.count.now, s.count.before) for s in out.actions.sections() if s.key != "expiring"}
    assert counts == {"new": (0, 0), "past_sla": (1, 1), "fixed": (1, 0)}
    assert out.actions.past_sla.rows["path"].tolist() == ["src/ui/login.py"]
    assert out.coverage.stale[["kind", "project"]].values.tolist() == [["project", "acme/shop"]]
    everyone = review(store, WINDOW, replace(settings(), stale_days=1), "sprint 2")
    assert sorted(everyone.coverage.stale["project"]) == ["acme/other", "acme/pay-api", "acme/shop"]
    assert "team web" in filters_text(web)


def test_teams_with_risk_decisions(
    tmp_path_factory: pytest.TempPathFactory, engine: str, request: pytest.FixtureRequest
) -> None:
    """The fixture above plus three decisions (docs/decisions.md):

    * P1 (payments) accepted 01-04 → 01-30, and fixed 01-11 while accepted: a fix counts as fixed,
      with its whole time (10 d), as without the decision;
    * P2 (payments) accepted 01-05 → 01-15, which expired: the part 01-01 .. 01-05 closes as
      ``accepted``; from 01-15 it is open again with its first-detection clock (due 01-08), so at
      02-01 it is open and overdue as before;
    * S3 (web) a false positive from 01-10, no expiry: out of the backlog and the overdue list.
    payments: open 2 (P2, P3), fixed 2 (P1 10 d, S1 5 d) → mean 7.5; accepted 1; overdue 2.
    web: open 0; fixed 1 (S2 20 d); false_positive 1; overdue 0. unowned: as before (O1 fixed 5 d).
    Summary for --team web: open 0, fixed 1, MTTR 20; with --show-decided S3 is open again (1)."""
    from analytics.tables import findings as findings_table
    from ingest.decisions import Scope, decide
    from store.db import Store

    tmp = tmp_path_factory.mktemp("teams-decided")
    db = new_database(engine, tmp, request)
    load_plan(db, tmp)
    store = Store(db)
    ids = {
        r["rule_id"].removeprefix("R-"): r["finding_id"] for r in findings_table(store, Filters()).to_dict("records")
    }

    def decide_on(name: str, kind: str, at: str, until: str | None = None) -> None:
        expires = datetime.fromisoformat(until) if until else None
        decide(store, kind, Scope(ids[name]), "hand-worked", "lead", expires_at=expires, at=datetime.fromisoformat(at))

    decide_on("P1", "accepted", "2026-01-04", "2026-01-30")
    decide_on("P2", "accepted", "2026-01-05", "2026-01-15")
    decide_on("S3", "false_positive", "2026-01-10")
    s = settings()
    cols = ["open", "closed", "mean_days", "accepted", "false_positive"]
    got = _by_team(rem.mttr(store, WINDOW, by=["team"], settings=s), cols)
    assert got == {
        "payments": [2, 2, 7.5, 1, 0],
        "unowned": [0, 1, 5.0, 0, 0],
        "web": [0, 1, 20.0, 0, 1],
    }
    overdue = export(store, "overdue", Request(WINDOW, settings=s))
    assert sorted(zip(overdue["team"], overdue["path"], strict=True)) == [
        ("payments", "src/b.py"),
        ("payments", "src/c.py"),
    ]
    web = summary(store, replace(WINDOW, teams=("web",)), s)
    assert (web.episodes.open, web.episodes.fixed, web.mttr_mean_days) == (0, 1, 20.0)
    shown = summary(store, replace(WINDOW, teams=("web",), show_decided=True), s)
    assert (shown.episodes.open, shown.episodes.fixed) == (1, 1)
