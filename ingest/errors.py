"""The ingest exception family. Raised with ``raise … from e``; caught only at the edges."""

from __future__ import annotations

from enum import IntEnum


class IngestError(Exception):
    """Base class: a problem with one input, described in one line."""


class Rejected(IngestError):
    """A file that cannot be loaded; the message is the reason shown to the user."""


class UnsupportedFormat(Rejected):
    """Valid JSON, but not a SARIF 2.1.0 log (another version, or not SARIF at all)."""


class UsageError(IngestError):
    """Bad command-line arguments or metadata."""


class ExitCode(IntEnum):
    """Documented exit codes of the command-line tools."""

    OK = 0
    GATE = 1  # a threshold or gate was hit (reserved for gating commands)
    USAGE = 2
    REJECTED = 3  # at least one input was rejected; the others were still loaded
    BUSY = 4  # the store stayed locked by another process past FINDINGS_DB_TIMEOUT; rerun later
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it); whole files only were kept
