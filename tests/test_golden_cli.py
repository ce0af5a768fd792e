"""Real scanner files through the ``ingest sarif`` command into the database: the rows the golden
table promises (``test_golden.py``) are the rows stored, scans and findings included."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import DATA
from tests.golden_support import partial, sarif_file

pytestmark = pytest.mark.engines

Sql = Callable[..., list[tuple[Any, ...]]]


def test_cli_and_database(run_ingest: Callable[..., tuple[int, str, str]], sql: Sql) -> None:
    files = [
        DATA / "codeql-action-valid-sarif-2runs.sarif",
        DATA / "grype-presenter-image-golden.sarif",
        DATA / "sarif-tutorials-baseline.sarif",
    ]
    code, out, err = run_ingest(
        "sarif", *files, "--project", "acme/web", "--branch", "main", "--scanned-at", "2024-05-01T12:00:00Z"
    )
    assert code == 0, (out, err)
    scans = sql("select tool, tool_name, category, occurrences, skipped from scans order by tool")
    assert scans == [
        ("codeql", "CodeQL command-line toolchain", "", 2, 0),
        ("grype", "grype", "", 2, 0),
        ("lgtm-com", "LGTM.com", "", 1, 0),
        ("sarifsamples", "SarifSamples", "", 3, 1),
    ]
    rows = sql(
        "select s.tool, o.result_index, o.rule_id, o.severity, o.severity_source, o.tool_severity,"
        " o.security_severity, o.cwes, o.path, o.start_line, o.fingerprint_source, o.fingerprint"
        " from occurrences o join scans s using (scan_id) where s.tool in ('codeql', 'grype')"
        " order by s.tool, o.result_index"
    )
    assert rows == [
        (
            "codeql",
            0,
            "js/unused-local-variable",
            "low",
            "tool",
            "recommendation",
            None,
            [],
            "main.js",
            2,
            "partialFingerprints",
            partial(primaryLocationLineHash="39fa2ee980eb94b0:1", primaryLocationStartColumnFingerprint="4"),
        ),
        (
            "codeql",
            1,
            "js/inconsistent-use-of-new",
            "medium",
            "tool",
            "warning",
            None,
            [],
            "src/promiseUtils.js",
            2,
            "partialFingerprints",
            partial(primaryLocationLineHash="5061c3315a741b7d:1", primaryLocationStartColumnFingerprint="7"),
        ),
        (
            "grype",
            0,
            "CVE-1999-0001-package-1",
            "high",
            "security-severity",
            "low",
            8.2,
            [],
            "user-input/somefile-1.txt",
            1,
            "partialFingerprints",
            partial(primaryLocationLineHash="efe125c0a2b4bdafe476b69ba51a49734780c62b93803950319056acebe4323f:1"),
        ),
        (
            "grype",
            1,
            "CVE-1999-0002-package-2",
            "high",
            "security-severity",
            "critical",
            8.5,
            [],
            "user-input/somefile-2.txt",
            1,
            "partialFingerprints",
            partial(primaryLocationLineHash="bafe9890c7cda00bf4d1b1a57d1d20b08e27162e718235a3d38a9a8d2f449ed1:1"),
        ),
    ]
    # one finding per occurrence, all open, in the streams of the given project and branch
    findings = sql(
        "select tool, count(*), count(distinct finding_id) from findings"
        " where project = 'acme/web' and branch = 'main' and status = 'open' group by tool order by tool"
    )
    assert findings == [("codeql", 2, 2), ("grype", 2, 2), ("lgtm-com", 1, 1), ("sarifsamples", 3, 3)]
    # the same partial fingerprint in two tools' scans is two findings (streams differ by tool)
    lgtm = sql("select fingerprint from findings where tool = 'lgtm-com'")
    assert lgtm == [(partial(primaryLocationLineHash="39fa2ee980eb94b0:1", primaryLocationStartColumnFingerprint="4"),)]


@pytest.mark.corpus
def test_cli_and_database_corpus(run_ingest: Callable[..., tuple[int, str, str]], sql: Sql) -> None:
    files = [sarif_file("nightvision/nimbler-nightvision-0.1.0.sarif"), sarif_file("polyspace/polyspace-r2022a.sarif")]
    code, out, err = run_ingest("sarif", *files, "--project", "acme/api", "--scanned-at", "2024-05-01T12:00:00Z")
    assert code == 0, (out, err)
    rows = sql(
        "select s.tool, s.tool_name, o.result_index, o.severity, o.severity_source, o.security_severity, o.path,"
        " o.start_line, o.fingerprint_source from occurrences o join scans s using (scan_id)"
        " where o.result_index in (0, 2) order by s.tool, o.result_index"
    )
    assert rows == [
        (
            "nightvision",
            "NightVision",
            0,
            "high",
            "security-severity",
            8.0,
            "src/main/java/hawk/controller/SearchController.java",
            36,
            "partialFingerprints",
        ),
        (
            "nightvision",
            "NightVision",
            2,
            "medium",
            "security-severity",
            5.0,
            "src/main/java/hawk/controller/SearchController.java",
            36,
            "partialFingerprints",
        ),
        ("polyspace", "Polyspace", 0, "high", "level", None, "/example/pi_task/pi_utils.c", 27, "computed:message"),
        ("polyspace", "Polyspace", 2, "high", "level", None, "/example/pi_alg/pi_alg.c", 102, "computed:message"),
    ]
    assert sql("select tool, count(*) from findings group by tool order by tool") == [
        ("nightvision", 4),
        ("polyspace", 10),
    ]
