"""CSV as SPEC §9 wants it: UTF-8, a header, one row per entity, ISO 8601 UTC times, plain
numbers, empty cells for NULL, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FLOAT_DECIMALS = 6


def neutralise(text: str) -> str:
    """OWASP CSV injection: a text cell that starts like a formula gets a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def cell(value: Any) -> str:
    """One value as CSV text. Only text is guarded: a number such as -3 is data, not a formula."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int,)) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        rounded = round(value, FLOAT_DECIMALS)
        return str(int(rounded)) if rounded.is_integer() else repr(rounded)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return neutralise(";".join(str(v) for v in value))
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):  # numpy scalars
        return cell(value.item())
    return neutralise(str(value))


def to_csv(df: pd.DataFrame) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return to_csv(df).encode("utf-8")
