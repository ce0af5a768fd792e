"""The real scanner files the golden tests read, and small helpers to pick one result out of them.

Used by ``test_golden.py`` (what each result becomes), ``test_golden_identity.py`` (which results keep
the tool's fingerprint) and ``test_golden_cli.py`` (the same files through the CLI into the database).

Files come from two places:
- ``tests/data/`` — permissively licensed corpus files copied byte for byte (see ``SOURCES.md``);
  tests on them always run;
- the corpus itself via ``corpus_path()`` — everything else (GPL/LGPL, no declared licence, or too
  big to copy; their sources are listed in ``SOURCES.md`` too); tests on them are skipped when the
  corpus is not beside the checkout.

Conventions: ``result`` is the index of the result inside its *scan* (runs of one stream in one file
form one scan, so the second run's first result of a two-run scan is index ``len(run0.results)``).
Partial fingerprints are expected as docs/definitions.md §4 describes them: keys sorted, ``key:value``,
joined with ``,`` — write them with ``partial()``.
"""

from __future__ import annotations

from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ingest.models import Occurrence, ParsedFile, Scan, ScanMeta
from ingest.normalise.scans import normalise
from ingest.reader import load_log
from tests.conftest import DATA, corpus_path

# Corpus files copied into tests/data (permissive licences; see tests/data/SOURCES.md).
COPIED = frozenset(
    {
        "codeql/codeql-action-valid-sarif-2runs.sarif",
        "codeql/codeql-action-fingerprinting-expected.sarif",
        "grype/grype-presenter-image-golden.sarif",
        "grype/grype-presenter-directory-golden.sarif",
        "eslint/sarif-tutorials-eslint-simple-example.sarif",
        "spec-samples/sarif-tutorials-originaluribaseids.sarif",
        "spec-samples/sarif-tutorials-message-with-arguments.sarif",
        "spec-samples/sarif-tutorials-standard-taxonomy-cwe.sarif",
        "spec-samples/sarif-tutorials-suppressions.sarif",
        "spec-samples/sarif-tutorials-baseline.sarif",
        "snyk/snyk-container-2runs.sarif",
        "snyk/snyk-iac-fib-go.sarif",
        "cppcheck/defectdojo-cppcheck-2.17.1-many.sarif",
        "flawfinder/defectdojo-flawfinder-2.0.20-many.sarif",
        "shiftleft-scan/defectdojo-scan-shell-script-analysis.sarif",
        "scorecard/scorecard-check8-3runs.sarif",
    }
)

CORPUS_MARK = pytest.mark.corpus

# Files that more than one table or test reads.
CODEQL_ACTION = "codeql/codeql-action-valid-sarif-2runs.sarif"
CODEQL_254 = "codeql/defectdojo-codeql-2.5.4-output.sarif"
SEMGREP_OSS = "semgrep/defectdojo-semgrep-oss-1.69.0-issue10191.sarif"
SEMGREP_017 = "semgrep/defectdojo-semgrep-0.17.0-owasp-benchmark.sarif"
SEMGREP_E2E = "semgrep/semgrep-e2e-include-nosemgrep-suppressions.sarif"
SEMGREP_CI = "semgrep/semgrep-ci-autofix.sarif"
SHELL = "shiftleft-scan/defectdojo-scan-shell-script-analysis.sarif"
ANCHORE_073 = "anchore/anchore-container-vulnerability-report-0.7.3.sarif"
SNYK_CODE = "snyk/snykcode-code-scan.sarif"
FLAWFINDER_19 = "flawfinder/defectdojo-flawfinder-2.0.19.sarif"


def corpus_marks(rel: str) -> list[Any]:
    """``pytest.mark.corpus`` for a file that is not copied into tests/data, else no mark."""
    return [] if rel in COPIED else [CORPUS_MARK]


def sarif_file(rel: str) -> Path:
    """The copy in tests/data for copied files, else the corpus file (skips without the corpus)."""
    if rel in COPIED:
        path = DATA / Path(rel).name
        assert path.is_file(), f"tests/data/{path.name} is missing (see tests/data/SOURCES.md)"
        return path
    return corpus_path(rel)


@cache
def _parse(path: Path, source_root: str | None) -> ParsedFile:
    return normalise(load_log(path), ScanMeta(project="p", source_root=source_root))


def parse(rel: str, source_root: str | None = None) -> ParsedFile:
    return _parse(sarif_file(rel), source_root)


def scan_of(parsed: ParsedFile, tool: str, category: str = "") -> Scan:
    found = [s for s in parsed.scans if s.tool == tool and s.category == category]
    assert len(found) == 1, [(s.tool, s.category) for s in parsed.scans]
    return found[0]


def occurrence(scan: Scan, result: int) -> Occurrence:
    found = [o for o in scan.occurrences if o.result_index == result]
    assert len(found) == 1, f"no occurrence for result {result} in scan {scan.tool}"
    return found[0]


def partial(**pairs: str) -> str:
    """partialFingerprints as docs/definitions.md §4 uses them: all keys sorted, ``key:value`` joined."""
    return ",".join(f"{k}:{pairs[k]}" for k in sorted(pairs))


def assert_distinct_finding_ids(scan: Scan) -> None:
    """Every occurrence of one scan is its own finding (docs/definitions.md §4: identity never merges two results)."""
    ids = [o.finding_id for o in scan.occurrences]
    assert len(set(ids)) == len(ids), Counter(ids).most_common(3)
