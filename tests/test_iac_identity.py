"""Identity on infrastructure-as-code, on real checkov output.

``tests/data/iac/v1`` … ``v4`` are four releases of a small Terraform module (written for this
project), each with two examples that call it; ``checkov-vN.sarif`` is what checkov 3.3.30 really
wrote for each (``tests/data/iac/make_checkov_fixtures.sh`` regenerates them; see SOURCES.md).

* v1 — three flagged resources in ``main.tf``: ``aws_s3_bucket.logs`` (7 failed checks),
  ``aws_cloudwatch_log_group.flow`` (3) and ``aws_security_group.ssh`` (3): 13 findings. Checkov
  reports each once per example calling the module, byte for byte the same: 26 results.
* v2 — ``region = var.region`` added inside every block (every line below moves too). Nothing is
  fixed, nothing is new. (Before: the snippet is the whole block, so all 13 were "fixed" and 13
  "new" — and, counting the copies as ``#2``, 26 and 26.)
* v3 — the security group renamed ``ssh`` → ``bastion_ssh``: its 3 findings close and 3 open under
  the new address (a rename is indistinguishable from a removal plus an addition in checkov's SARIF).
* v4 — the log group fixed (retention of a year, a KMS key): its 3 checks pass; 20 results.

Scans one day apart from 2026-01-01, so the episodes, worked out by hand, are:

| findings                     | opened | closed | status | days |
|------------------------------|--------|--------|--------|------|
| 7 × ``aws_s3_bucket.logs``   | 01     | —      | open   |      |
| 3 × ``aws_cloudwatch_log_group.flow`` | 01 | 04 | fixed | 3 |
| 3 × ``aws_security_group.ssh`` | 01   | 03     | fixed  | 2    |
| 3 × ``aws_security_group.bastion_ssh`` | 03 | — | open  |      |
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from analytics.filters import Filters
from analytics.quality import identity_churn
from store.db import Store
from tests.conftest import DATA

IAC = DATA / "iac"
DAYS = ["2026-01-01T09:00:00Z", "2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z", "2026-01-04T09:00:00Z"]
S3 = {"CKV2_AWS_6", "CKV2_AWS_61", "CKV2_AWS_62", "CKV_AWS_18", "CKV_AWS_21", "CKV_AWS_144", "CKV_AWS_145"}
LOG_GROUP = {"CKV_AWS_66", "CKV_AWS_158", "CKV_AWS_338"}
SECURITY_GROUP = {"CKV_AWS_23", "CKV_AWS_24", "CKV2_AWS_5"}


def load(run_ingest: Callable[..., tuple[int, str, str]], versions: list[int]) -> None:
    for v in versions:
        path = IAC / f"checkov-v{v}.sarif"
        code, _, err = run_ingest("sarif", path, "--project", "acme/flow-logs", "--branch", "main",
                                  "--scanned-at", DAYS[v - 1])  # fmt: skip
        assert code == 0, err


def test_fixtures_are_real_checkov_output_with_repeats() -> None:
    """What the test relies on, in the committed files: checkov 3.3.30, every result twice."""
    for v, results in ((1, 26), (2, 26), (3, 26), (4, 20)):
        run = json.loads((IAC / f"checkov-v{v}.sarif").read_text())["runs"][0]
        assert (run["tool"]["driver"]["name"], run["tool"]["driver"]["version"]) == ("Checkov", "3.3.30")
        copies = Counter(json.dumps(r, sort_keys=True) for r in run["results"])
        assert len(run["results"]) == results and set(copies.values()) == {2}


def episodes_by_rule(sql: Callable[..., list[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    return sql(
        "SELECT f.rule_id, strftime(e.opened_at, '%d'), strftime(e.closed_at, '%d'), e.status "
        "FROM episodes e JOIN findings f USING (finding_id) ORDER BY ALL"
    )


def expected_episodes() -> list[tuple[Any, ...]]:
    rows = [(r, "01", None, "open") for r in S3]
    rows += [(r, "01", "04", "fixed") for r in LOG_GROUP]
    rows += [(r, "01", "03", "fixed") for r in SECURITY_GROUP] + [(r, "03", None, "open") for r in SECURITY_GROUP]
    return sorted(rows, key=lambda t: (t[0], t[1], t[2] or "~"))


def test_checkov_history_episodes(run_ingest, sql) -> None:  # type: ignore[no-untyped-def]
    load(run_ingest, [1, 2, 3, 4])
    assert sql("SELECT results_total, occurrences, skipped FROM scans ORDER BY scanned_at") == [
        (26, 13, 13),
        (26, 13, 13),
        (26, 13, 13),
        (20, 10, 10),
    ]
    assert sql("SELECT DISTINCT fingerprint_source FROM occurrences") == [("computed:address",)]
    assert sql("SELECT count(*) FROM findings WHERE fingerprint LIKE '%#%'") == [(0,)]
    assert episodes_by_rule(sql) == expected_episodes()
    # the release that only added a line to every block changed nothing
    day2 = "'2026-01-02 09:00:00'"
    assert sql(f"SELECT count(*) FROM episodes WHERE closed_at = {day2} OR opened_at = {day2}") == [(0,)]
    days = sql(
        "SELECT f.rule_id, date_diff('day', e.opened_at, e.closed_at) FROM episodes e JOIN findings f "
        "USING (finding_id) WHERE e.status = 'fixed' ORDER BY ALL"
    )
    assert days == sorted([(r, 3) for r in LOG_GROUP] + [(r, 2) for r in SECURITY_GROUP])


def test_checkov_history_in_any_order_gives_the_same_episodes(run_ingest, sql) -> None:  # type: ignore[no-untyped-def]
    load(run_ingest, [4, 2, 1, 3])
    assert episodes_by_rule(sql) == expected_episodes()


def test_checkov_history_raises_no_churn_warning(run_ingest, db: Path) -> None:  # type: ignore[no-untyped-def]
    """The rename closes and opens one finding per rule: a real change, not churn (which needs two
    or more of one rule in one file)."""
    load(run_ingest, [1, 2, 3, 4])
    assert identity_churn(Store(db), Filters()).empty


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_each_address_is_the_block_header(version: int) -> None:
    """Every result's context is the address of the block its snippet starts with, as written in
    that release's main.tf."""
    from ingest.adapters.iac import block_address

    run = json.loads((IAC / f"checkov-v{version}.sarif").read_text())["runs"][0]
    source = (IAC / f"v{version}" / "main.tf").read_text().splitlines()
    for r in run["results"]:
        region = r["locations"][0]["physicalLocation"]["region"]
        header = source[region["startLine"] - 1]
        kind, rtype, name = header.split('"')[0].strip(), header.split('"')[1], header.split('"')[3]
        assert block_address(region["snippet"]["text"]) == f"{kind}.{rtype}.{name}"
