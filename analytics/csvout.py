"""CSV as docs/definitions.md §9 describes it: UTF-8, a header, one row per entity, ISO 8601 UTC times, plain
numbers, empty cells for NULL, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
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


def _text_column(s: pd.Series) -> pd.Series:
    """Strings: NULL → empty, formula-looking cells prefixed (vectorised)."""
    isna = s.isna()
    text = s.where(~isna, "").astype(str)
    risky = text.str.startswith(FORMULA_PREFIXES)
    return text.where(~risky, "'" + text)


def _float(value: float) -> str:
    if value != value:  # NaN
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    rounded = round(value, FLOAT_DECIMALS)
    return str(int(rounded)) if rounded.is_integer() else repr(rounded)


def _float_column(s: pd.Series) -> pd.Series:
    """Python's correctly rounded ``round`` per value (numpy's differs in the last digit)."""
    values = s.to_numpy(dtype="float64", na_value=np.nan).tolist()
    return pd.Series([_float(v) for v in values], index=s.index, dtype=object)


def _column(s: pd.Series) -> pd.Series:
    """One column as CSV text, vectorised by dtype; anything unusual goes value by value."""
    dtype = s.dtype
    if pd.api.types.is_bool_dtype(dtype) and not s.isna().any():
        return s.map({True: "true", False: "false"})
    if pd.api.types.is_integer_dtype(dtype):
        return s.astype("string").fillna("").astype(object)
    if pd.api.types.is_float_dtype(dtype):
        return _float_column(s)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        if getattr(dtype, "tz", None) is not None:
            s = s.dt.tz_convert("UTC").dt.tz_localize(None)
        return s.dt.strftime("%Y-%m-%dT%H:%M:%SZ").fillna("").astype(object)
    if pd.api.types.is_string_dtype(dtype):
        sample = s.dropna()
        if sample.map(type).eq(str).all():
            return _text_column(s)
    return s.map(cell)


def to_csv(df: pd.DataFrame) -> str:
    """The CSV of a DataFrame, built column by column (text columns vectorised), not cell by cell."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow([neutralise(str(c)) for c in df.columns])
    if len(df):
        text = pd.DataFrame({i: _column(df[c]).to_numpy(dtype=object) for i, c in enumerate(df.columns)})
        text.to_csv(out, header=False, index=False, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    return out.getvalue()


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    return to_csv(df).encode("utf-8")
