"""Drafts memoised across files (ingest/normalise/memo.py): a result is reused only where drafting
it again would give the same draft. Each test reads the same result bytes in two contexts and
checks the second reading against a cold one (the memo emptied first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.errors import Rejected
from core.severity import Severity
from ingest.identity import finding_id
from ingest.models import FingerprintSource, ParsedFile, ScanMeta
from ingest.normalise import memo
from ingest.normalise.options import Options
from ingest.normalise.scans import normalise
from ingest.reader import RawLog, load_log
from tests.conftest import CORPUS, ROOT, result, sarif_log


def parse(log: dict[str, Any], tmp_path: Path, options: Options | None = None, **meta: Any) -> ParsedFile:
    path = tmp_path / "x.sarif"
    path.write_text("{}")
    return normalise(RawLog(path, "0" * 64, 2, log), ScanMeta(**({"project": "p"} | meta)), options)


def cold(log: dict[str, Any], tmp_path: Path, options: Options | None = None, **meta: Any) -> ParsedFile:
    memo._forget_all()
    return parse(log, tmp_path, options, **meta)


def occurrences(parsed: ParsedFile) -> list[Any]:
    return [o for s in parsed.scans for o in s.occurrences]


class MetBefore(set[bytes]):
    """Every context counts as met before: these tests read the same bytes in two contexts and
    must find a memo from the first reading on (the first-meeting rule has its own test)."""

    def __contains__(self, key: object) -> bool:
        return True


@pytest.fixture(autouse=True)
def empty_memo(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if "first_meeting" not in request.node.name:
        monkeypatch.setattr(memo, "_MET_ONCE", MetBefore())
    memo._forget_all()


def test_a_context_gets_a_memo_on_its_second_file_first_meeting(tmp_path: Path) -> None:
    """A context met once keeps nothing (a backfill whose every file has its own source root
    would only pay for it); from the second file on, results are kept and found."""
    log = sarif_log([result("A", "a.py", 3)])
    first = occurrences(parse(log, tmp_path))
    assert memo._MEMOS == {}
    assert occurrences(parse(log, tmp_path)) == first
    assert sum(len(m) for m in memo._MEMOS.values()) == 1
    assert occurrences(parse(log, tmp_path)) == first
    other_root = occurrences(parse(log, tmp_path, source_root=str(tmp_path)))
    assert [o.fingerprint for o in other_root] == [o.fingerprint for o in first]
    assert sum(len(m) for m in memo._MEMOS.values()) == 1  # the new context was met once


def test_the_same_bytes_are_drafted_once_and_give_the_same_occurrences(tmp_path: Path) -> None:
    log = sarif_log([result("A", "a.py", 3), result("B", "b.py", 4, kind="pass")])
    first = parse(log, tmp_path).scans[0]
    assert sum(len(m) for m in memo._MEMOS.values()) == 2  # the pass result's reason is kept too
    again, fresh = parse(log, tmp_path).scans[0], cold(log, tmp_path).scans[0]
    assert (again.occurrences, again.skipped) == (first.occurrences, first.skipped)
    assert (fresh.occurrences, fresh.skipped) == (first.occurrences, first.skipped)


def test_repeats_within_one_scan_keep_their_own_positions_and_fingerprints(tmp_path: Path) -> None:
    same = result("A", "a.py", 3)
    log = sarif_log([same, result("B", kind="pass"), same, same])
    scan = parse(log, tmp_path).scans[0]
    assert [o.result_index for o in scan.occurrences] == [0, 2, 3]
    assert [s.result_index for s in scan.skipped] == [1]
    fps = [o.fingerprint for o in scan.occurrences]
    assert fps[1:] == [f"{fps[0]}#2", f"{fps[0]}#3"]
    assert len({o.finding_id for o in scan.occurrences}) == 3


def test_the_rules_of_the_run_are_part_of_the_context(tmp_path: Path) -> None:
    scored = sarif_log([result("A")])
    scored["runs"][0]["tool"]["driver"]["rules"] = [{"id": "A", "properties": {"security-severity": "9.5"}}]
    noted = sarif_log([result("A")])
    noted["runs"][0]["tool"]["driver"]["rules"] = [{"id": "A", "defaultConfiguration": {"level": "note"}}]
    first = occurrences(parse(scored, tmp_path))[0]
    second = occurrences(parse(noted, tmp_path))[0]
    assert (first.severity, second.severity) == (Severity.CRITICAL, Severity.LOW)
    assert occurrences(cold(noted, tmp_path)) == [second]


def located_log(**run_extra: Any) -> dict[str, Any]:
    located = result("A", "x.py")
    located["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] = "SRC"
    located["taxa"] = [{"id": "79", "toolComponent": {"index": 0}}]
    return sarif_log([located], **({"originalUriBaseIds": {"SRC": {"uri": "file:///one/"}}} | run_extra))


OVERRIDE = {"ruleConfigurationOverrides": [{"descriptor": {"id": "A"}, "configuration": {"level": "error"}}]}


@pytest.mark.parametrize(
    ("run_extra", "field", "plain", "changed"),
    [
        ({"originalUriBaseIds": {"SRC": {"uri": "file:///two/"}}}, "path", "/one/x.py", "/two/x.py"),
        ({"invocations": [OVERRIDE]}, "level", "warning", "error"),
        ({"taxonomies": [{"name": "CWE"}]}, "cwes", (), ("CWE-79",)),
    ],
    ids=["base-ids", "level-overrides", "taxonomies"],
)
def test_what_the_run_offers_for_reading_a_result_is_part_of_the_context(
    tmp_path: Path, run_extra: dict[str, Any], field: str, plain: Any, changed: Any
) -> None:
    first = occurrences(parse(located_log(), tmp_path))[0]
    second = occurrences(parse(located_log(**run_extra), tmp_path))[0]
    assert (getattr(first, field), getattr(second, field)) == (plain, changed)
    assert occurrences(cold(located_log(**run_extra), tmp_path)) == [second]


def test_the_users_severity_overrides_are_part_of_the_context(tmp_path: Path) -> None:
    log = sarif_log([result("A")])
    plain = occurrences(parse(log, tmp_path))[0]
    overridden = occurrences(parse(log, tmp_path, Options(severity_overrides={("demo-tool", "A"): Severity.HIGH})))[0]
    assert (plain.severity, overridden.severity) == (Severity.MEDIUM, Severity.HIGH)


def test_source_lines_are_read_again_for_each_file(tmp_path: Path) -> None:
    """A fingerprint from the source lines around a result is not memoised: the same result bytes
    over a changed checkout (same --source-root) give the identity of the new lines."""
    src = tmp_path / "src"
    src.mkdir()
    code = src / "app.py"
    log = sarif_log([result("A", "app.py", 2)])
    code.write_text("a = 1\nb = 2\nc = 3\n")
    first = occurrences(parse(log, tmp_path, source_root=str(src)))[0]
    code.write_text("a = 1\nb = eval(x)\nc = 3\n")
    second = occurrences(parse(log, tmp_path, source_root=str(src)))[0]
    assert first.fingerprint_source == second.fingerprint_source == FingerprintSource.SOURCE
    assert first.fingerprint != second.fingerprint
    assert occurrences(cold(log, tmp_path, source_root=str(src))) == [second]


def logs() -> list[Path]:
    corpus = sorted(CORPUS.rglob("*.sarif*")) if CORPUS.is_dir() else []
    return corpus or sorted((ROOT / "tests" / "data").rglob("*.sarif"))


def test_every_real_log_reads_the_same_warm_as_cold() -> None:
    """Every corpus file (tests/data without the corpus) normalised after all the others, with the
    memo they filled, equals the same file normalised with an empty memo."""
    readable = []
    for path in logs():
        try:
            readable.append(load_log(path))
        except Rejected:  # the corpus's broken files are test_bad_input's business
            continue
    assert len(readable) >= 10
    meta = ScanMeta(project="p")
    warm = [normalise(raw, meta) for raw in readable + readable][len(readable) :]
    for raw, parsed in zip(readable, warm, strict=True):
        memo._forget_all()
        assert normalise(raw, meta) == parsed, raw.path


def test_finding_ids_are_kept_per_stream(tmp_path: Path) -> None:
    """The same rule and fingerprint in two streams are two findings, whichever stream came first."""
    log = sarif_log([result("A")])
    for project in ("p", "q", "p"):
        o = occurrences(parse(log, tmp_path, project=project))[0]
        assert o.finding_id == finding_id(project, "default", "demo-tool", "", "A", o.fingerprint)


def test_a_tool_listing_only_the_cited_rules_still_finds_yesterdays_results(tmp_path: Path) -> None:
    """Bandit and Ruff list only the rules a file cites: the run's rule list changes from file to
    file, the result and its rule do not."""
    monday = sarif_log([result("A")])
    monday["runs"][0]["tool"]["driver"]["rules"] = [{"id": "A", "name": "a"}]
    tuesday = sarif_log([result("A"), result("B")])
    tuesday["runs"][0]["tool"]["driver"]["rules"] = [{"id": "A", "name": "a"}, {"id": "B", "name": "b"}]
    first = occurrences(parse(monday, tmp_path))[0]
    second = occurrences(parse(tuesday, tmp_path))
    assert sum(len(m) for m in memo._MEMOS.values()) == 2  # A once, B once
    assert second[0] == first
    assert occurrences(cold(tuesday, tmp_path)) == second


def test_the_same_bytes_citing_another_rule_are_drafted_again(tmp_path: Path) -> None:
    """``ruleIndex`` 0 is another rule in another file: the same bytes, another draft."""
    cites_first = {"ruleIndex": 0, "message": {"text": "m"}}
    one = sarif_log([cites_first])
    one["runs"][0]["tool"]["driver"]["rules"] = [{"id": "X", "properties": {"tags": ["CWE-89"]}}]
    other = sarif_log([cites_first])
    other["runs"][0]["tool"]["driver"]["rules"] = [{"id": "Y", "properties": {"security-severity": "9.8"}}]
    a, b = occurrences(parse(one, tmp_path))[0], occurrences(parse(other, tmp_path))[0]
    assert (a.rule_id, a.cwes, a.severity) == ("X", ("CWE-89",), Severity.MEDIUM)
    assert (b.rule_id, b.cwes, b.severity) == ("Y", (), Severity.CRITICAL)
    scan = parse(other, tmp_path).scans[0]
    assert [r.rule_id for r in scan.rules] == ["Y"]


def test_the_memos_stay_within_their_budget_and_start_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memo, "_MAX_BYTES", 8 * (memo._ENTRY_COST + 200))
    log = sarif_log([result(f"R{i}", f"f{i}.py", i + 1) for i in range(20)])
    first = occurrences(parse(log, tmp_path))
    assert 0 < memo._held <= memo._MAX_BYTES
    assert sum(len(m) for m in memo._MEMOS.values()) < 20  # the first ones were let go
    assert occurrences(parse(log, tmp_path)) == first == occurrences(cold(log, tmp_path))


def test_a_result_located_by_an_artifact_index_is_read_in_its_own_file(tmp_path: Path) -> None:
    """``artifacts`` change from file to file and are not part of the context: a result that
    points into them is drafted every time."""
    by_index = {"ruleId": "A", "message": {"text": "m"}}
    by_index["locations"] = [{"physicalLocation": {"artifactLocation": {"index": 0}}}]
    paths = [
        occurrences(parse(sarif_log([by_index], artifacts=[{"location": {"uri": name}}]), tmp_path))[0].path
        for name in ("one.py", "two.py")
    ]
    assert paths == ["one.py", "two.py"]


def test_threads_normalising_at_once_get_what_one_thread_gets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTTP service normalises uploads in threads (``--parallel``): memos made, found and let
    go (a small budget makes them start afresh often) under several threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.setattr(memo, "_MAX_BYTES", 40 * (memo._ENTRY_COST + 200))
    logs = [
        sarif_log([result(f"R{i % 7}", f"f{j}.py", j + 1) for j in range(25)], tool=f"tool-{i % 5}") for i in range(40)
    ]

    def read(i: int) -> list[Any]:
        folder = tmp_path / str(i)
        folder.mkdir(exist_ok=True)
        return occurrences(parse(logs[i % len(logs)], folder))

    expected = [read(i) for i in range(len(logs))]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            got = list(pool.map(read, range(len(logs))))
            assert got == expected
