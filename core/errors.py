"""One exception family, and the exit codes of every command line.

Every error the project raises on purpose is a ``FindingsError``: raised with ``raise … from e``
and caught only at the edges, where the command lines print one line and exit with the class's
``exit_code``, and the app shows the same words.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit codes of the command-line tools."""

    OK = 0
    USAGE = 2
    REJECTED = 3  # at least one input was rejected; the others were still loaded
    BUSY = 4  # the store stayed locked by another process past FINDINGS_DB_TIMEOUT; rerun later
    UNAVAILABLE = 5  # the database server cannot be reached, refused the sign-in or the rights; rerun later
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it); whole files only were kept


class FindingsError(Exception):
    """Base class: a problem described in one line, with the exit code a command line gives it."""

    exit_code: ExitCode = ExitCode.USAGE


# ---------------------------------------------------------------------------------------- ingest
class IngestError(FindingsError):
    """A problem with one input, described in one line."""


class Rejected(IngestError):
    """A file that cannot be loaded; the message is the reason shown to the user."""

    exit_code = ExitCode.REJECTED


class UnsupportedFormat(Rejected):
    """Valid JSON, but not a SARIF 2.1.0 log (another version, or not SARIF at all)."""


class UsageError(IngestError):
    """Bad command-line arguments or metadata."""


# ------------------------------------------------------------------------------ store, settings
class StoreError(FindingsError):
    """The store cannot be used (bad URL, unsupported backend, corrupt or missing file)."""


class StoreBusy(StoreError):
    """Another process held the database for longer than the configured timeout."""

    exit_code = ExitCode.BUSY


class StoreUnavailable(StoreError):
    """The database server cannot be used: unreachable, gone mid-way, wrong password, missing
    database, or not enough rights (the message names host and database, never the password)."""

    exit_code = ExitCode.UNAVAILABLE


class ConfigError(FindingsError):
    """The config file cannot be read or holds an invalid value (the message says which)."""


# ------------------------------------------------------------------------------------- analytics
class QueryError(FindingsError):
    """A request the analytics cannot answer as asked (bad grouping, bad period, bad window…)."""
