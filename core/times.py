"""Times from users and files: ISO 8601 in, naive UTC out, and the range of times anybody means.

Times outside 1970–2100 are not believed anywhere (given on a command line, in a SARIF, a CSV, a
URL or from git): they are a per-row or per-file error, or a warned fallback.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

EARLIEST = datetime(1970, 1, 1)
LATEST = datetime(2100, 12, 31, 23, 59, 59, 999999)
TIME_RANGE = "1970–2100"


class TimeOutOfRange(ValueError):
    """A well-formed ISO 8601 time outside 1970–2100."""


def shown(value: Any, limit: int = 60) -> str:
    """A value for a one-line message: a string's start in quotes (escaped), else its type."""
    if isinstance(value, str):
        return repr(value[:limit]) + ("…" if len(value) > limit else "")
    return f"a {type(value).__name__}" if not isinstance(value, (int, float)) else repr(value)


def read_time(value: str) -> datetime:
    """ISO 8601 → naive UTC datetime in 1970–2100. Raises ValueError saying why not, as
    "'x' is not an ISO 8601 time" or (TimeOutOfRange) "'9999-12-31T23:59:59-01:00' is outside 1970–2100"."""
    text = value.strip().replace("z", "Z")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{shown(value)} is not an ISO 8601 time") from None
    try:
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # year 9999 at -01:00 is in year 10000 in UTC
        raise TimeOutOfRange(f"{shown(value)} is outside {TIME_RANGE}") from None
    if not EARLIEST <= parsed <= LATEST:
        raise TimeOutOfRange(f"{shown(value)} is outside {TIME_RANGE}")
    return parsed


def time_arg(text: str) -> datetime:
    """``read_time`` as an argparse type: a bad value is a usage error naming it."""
    try:
        return read_time(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from e


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 → naive UTC datetime; None when missing, unparseable or outside 1970–2100
    (``read_time`` says which)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return read_time(value)
    except ValueError:
        return None
