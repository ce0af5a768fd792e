"""The ingest job shared by the command line, the manifest backfill and the app's upload form.

Each file is read, normalised and written on its own: a rejected file is reported with its reason
and recorded in ``rejections``; the others still load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.errors import Rejected
from ingest.load import LoadOutcome, load_parsed, record_rejection
from ingest.models import ScanMeta
from ingest.reader import load_log
from ingest.sarif import Options, normalise
from store.db import Store, StoreBusy

log = logging.getLogger(__name__)

LOADED, ALREADY, REJECTED = "loaded", "already loaded", "rejected"


@dataclass(frozen=True, slots=True)
class FileReport:
    path: str
    status: str
    scans: int = 0
    occurrences: int = 0
    reason: str | None = None
    warnings: tuple[str, ...] = ()

    def line(self) -> str:
        if self.status == LOADED:
            text = f"{self.path}: loaded {self.scans} scan(s), {self.occurrences} occurrence(s)"
        elif self.status == ALREADY:
            text = f"{self.path}: already loaded"
        else:
            text = f"{self.path}: rejected: {self.reason}"
        return text


@dataclass(slots=True)
class Report:
    files: list[FileReport] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        return sum(f.status == REJECTED for f in self.files)

    def totals(self) -> dict[str, int]:
        return {
            "files": len(self.files),
            "loaded": sum(f.status == LOADED for f in self.files),
            "already_loaded": sum(f.status == ALREADY for f in self.files),
            "rejected": self.rejected,
            "scans": sum(f.scans for f in self.files),
            "occurrences": sum(f.occurrences for f in self.files),
            "warnings": sum(len(f.warnings) for f in self.files),
        }

    def as_dict(self) -> dict[str, object]:
        return {"files": [asdict(f) for f in self.files], "totals": self.totals()}


Progress = Callable[[int, int, str], None]


def ingest_file(store: Store, path: Path, meta: ScanMeta, options: Options | None = None) -> FileReport:
    """Read, normalise and load one file; never raises for bad input."""
    sha: str | None = None
    try:
        raw = load_log(path)
        sha = raw.sha256
        parsed = normalise(raw, meta, options)
        outcome: LoadOutcome = load_parsed(store, parsed, meta)
    except Rejected as e:
        reason = str(e)
    except StoreBusy:
        raise
    except RecursionError:
        reason = "structure nested too deeply"
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError) as e:
        # A defect of ours or an input shape we did not foresee: reject the file, keep going.
        log.exception("unexpected error on %s", path)
        reason = f"could not be normalised ({type(e).__name__}: {e})"
    else:
        status = ALREADY if outcome.already_loaded else LOADED
        return FileReport(str(path), status, outcome.scans, outcome.occurrences, None, parsed.warnings)
    record_rejection(store, str(path), sha, reason)
    return FileReport(str(path), REJECTED, reason=reason)


def ingest_many(
    store: Store,
    items: Sequence[tuple[Path, ScanMeta]],
    options: Options | None = None,
    progress: Progress | None = None,
    missing: Sequence[tuple[str, str]] = (),
) -> Report:
    report = Report()
    for arg, problem in missing:
        record_rejection(store, arg, None, problem)
        report.files.append(FileReport(arg, REJECTED, reason=problem))
    for n, (path, meta) in enumerate(items, start=1):
        if progress:
            progress(n, len(items), str(path))
        report.files.append(ingest_file(store, path, meta, options))
    return report
