"""Query parameters the endpoints share, with the limits the OpenAPI document states.

Project names are stricter here than on the command line, which takes any text: over the network
a project is one to a few ``/``-separated parts of letters, digits, ``.``, ``_`` and ``-`` (GitHub's
``owner/name``, GitLab's ``group/subgroup/name``), none of them ``.`` or ``..``, so that no name an
API client sends can look like a path.
"""

from __future__ import annotations

import argparse
import re
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query
from pydantic import StringConstraints

from analytics.cli import filters_from_args, parse_when
from analytics.definitions import check_window
from analytics.filters import Filters
from core.errors import QueryError, UsageError
from core.times import read_time

_PART = r"(?:[A-Za-z0-9_-][A-Za-z0-9._-]*|\.[A-Za-z0-9_-][A-Za-z0-9._-]*|\.\.[A-Za-z0-9._-]+)"
PROJECT_PATTERN = rf"^{_PART}(?:/{_PART})*$"
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"
_PROJECT_RE = re.compile(PROJECT_PATTERN)
MAX_PROJECT = 200
MAX_TEXT = 255
MAX_VALUES = 100

Project = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_PROJECT,
        pattern=PROJECT_PATTERN,
        description="the project, e.g. acme/shop: '/'-separated parts of letters, digits, '.', '_', '-'",
    ),
]
OptionalProject = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_PROJECT,
        pattern=PROJECT_PATTERN,
        description="the project of rows that name none (as --project of the command line)",
    ),
]
Text = Annotated[str | None, Query(max_length=MAX_TEXT, pattern=PRINTABLE)]
Filename = Annotated[
    str | None,
    Query(max_length=MAX_TEXT, pattern=PRINTABLE, description="the file's name, shown in the report"),
]
When = Annotated[str | None, Query(max_length=40, description="ISO 8601 date or time (UTC unless it says)")]
FileTime = Annotated[
    str | None,
    Query(
        max_length=40,
        description="the file's modification time (ISO 8601): the scan time of last resort, as on the command line",
    ),
]
FilterValue = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
FilterList = Annotated[
    list[FilterValue] | None,
    Query(max_length=MAX_VALUES, description="repeatable, or comma-separated (as on the command line)"),
]


ShowDecided = Annotated[
    bool,
    Query(description="count findings under a risk decision as if undecided (as --show-decided)"),
]


def valid_project(name: str) -> bool:
    return len(name) <= MAX_PROJECT and _PROJECT_RE.match(name) is not None


def scan_time(text: str | None, name: str) -> datetime | None:
    """A time as the command line reads ``--scanned-at`` (naive UTC), or None."""
    if text is None:
        return None
    try:
        return read_time(text)
    except ValueError as e:
        raise UsageError(f"{name}: {e}") from e


def filters(
    project: FilterList = None,
    branch: FilterList = None,
    tool: FilterList = None,
    severity: FilterList = None,
    cwe: FilterList = None,
    rule: FilterList = None,
    team: FilterList = None,
    since: When = None,
    until: When = None,
    show_decided: ShowDecided = False,
) -> Filters:
    """The filters exactly as ``python -m analytics`` builds them from the same values (the query
    parameters of every read endpoint, through ``QueryFilters``)."""
    args = argparse.Namespace(
        project=project,
        branch=branch,
        tool=tool,
        severity=severity,
        cwe=cwe,
        rule=rule,
        team=team,
        since=_when("since", since, end=False),
        until=_when("until", until, end=True),
        show_decided=show_decided,
    )
    result = filters_from_args(args)
    check_window(result)
    return result


QueryFilters = Annotated[Filters, Depends(filters)]


def _when(name: str, text: str | None, end: bool) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_when(text, end=end)
    except argparse.ArgumentTypeError as e:
        raise QueryError(f"{name}: {e}") from e
