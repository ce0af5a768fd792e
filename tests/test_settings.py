"""config.toml: defaults, validation with clear messages, and its effect on ingest and analytics."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from core.errors import ConfigError
from core.settings import Settings, load_settings, parse_settings
from core.severity import Severity
from tests.conftest import result, sarif_log


def test_defaults_are_the_spec() -> None:
    s = Settings()
    assert dict(s.sla_days) == {
        Severity.CRITICAL: 7, Severity.HIGH: 30, Severity.MEDIUM: 90, Severity.LOW: 120, Severity.INFO: None
    }  # fmt: skip
    assert s.sprint_days == 14 and s.sprint_start == date(2026, 1, 5)


def test_parse_all_sections() -> None:
    s = parse_settings(
        {
            "sla": {"critical": 3, "info": 365, "low": 0},
            "sprints": {"start": "2026-02-02", "length_days": 7},
            "severity": {"ruff": "low", "bandit/B602": "CRITICAL"},
            "paths": {"strip_prefixes": ["/opt/build/"]},
            "review": {"stale_days": 30},
        }
    )
    assert s.sla_days[Severity.CRITICAL] == 3 and s.sla_days[Severity.INFO] == 365 and s.sla_days[Severity.LOW] is None
    assert (s.sprint_start, s.sprint_days) == (date(2026, 2, 2), 7)
    assert s.severity_overrides == {("ruff", "*"): Severity.LOW, ("bandit", "B602"): Severity.CRITICAL}
    assert s.strip_prefixes == ("/opt/build/",)
    assert s.stale_days == 30 and Settings().stale_days == 14


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"sla": {"urgent": 3}}, "'urgent' is not a severity"),
        ({"sla": {"high": -1}}, "days must be a whole number"),
        ({"sprints": {"start": "next monday"}}, "is not a date"),
        ({"sprints": {"length_days": 0}}, "length_days: must be 1–366"),
        ({"severity": {"ruff": "scary"}}, "'scary' is not a severity"),
        ({"paths": {"strip_prefixes": "/x"}}, "must be a list of strings"),
        ({"review": {"stale_days": 0}}, r"\[review\] stale_days: must be 1–3660"),
        ({"review": {"stale_days": "2w"}}, r"\[review\] stale_days: must be 1–3660"),
    ],
)
def test_bad_values_name_the_setting(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_settings(data, "config.toml")


def test_missing_explicit_file_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[sla\ncritical = 7")
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_settings(bad)


def test_config_overrides_severity_and_strips_prefixes_at_ingest(tmp_path: Path, run_ingest, sql) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text('[severity]\n"demo-tool/R2" = "critical"\n[paths]\nstrip_prefixes = ["/opt/build/"]\n')
    log = sarif_log([result("R1", "/opt/build/src/a.py"), result("R2", "/opt/build/src/b.py")])
    path = tmp_path / "s.sarif"
    path.write_text(json.dumps(log))
    code, _, err = run_ingest("sarif", path, "--project", "p", "--config", cfg)
    assert code == 0, err
    assert sql("SELECT rule_id, path, severity, severity_source FROM occurrences ORDER BY 1") == [
        ("R1", "src/a.py", "medium", "level"),
        ("R2", "src/b.py", "critical", "override"),
    ]


def test_bad_config_is_a_usage_error(tmp_path: Path, run_ingest) -> None:  # type: ignore[no-untyped-def]
    cfg = tmp_path / "config.toml"
    cfg.write_text("[sla]\nurgent = 1\n")
    path = tmp_path / "s.sarif"
    path.write_text(json.dumps(sarif_log([result("R1")])))
    code, _, err = run_ingest("sarif", path, "--project", "p", "--config", cfg)
    assert code == 2 and "'urgent' is not a severity" in err
