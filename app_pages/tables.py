"""Tables and CSV downloads: a dataframe labelled for reading, and the same rows as the CSV that
``python -m analytics export`` writes (a download keeps the machine column names)."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from analytics.csvout import to_csv_bytes

# Human column labels for tables (a CSV keeps the machine names).
LABELS = {
    "rule_id": "rule", "rule_name": "rule name", "cwe": "CWE", "cwes": "CWEs", "start_line": "line",
    "first_seen_at": "first seen", "last_seen_at": "last seen", "opened_at": "opened", "closed_at": "closed",
    "due_at": "SLA due", "sla_due_at": "SLA due", "days_overdue": "days overdue", "age_days": "age (days)",
    "current_opened_at": "open since", "scanned_at": "scanned", "loaded_at": "loaded", "commit_sha": "commit",
    "tool_name": "tool name", "tool_version": "tool version", "results_total": "results",
    "scanned_at_source": "scan time from", "rejected_at": "rejected", "sha256": "SHA-256",
    "fixed_mean_days": "MTTR mean (d)", "fixed_median_days": "MTTR median (d)",
    "lead_time_median_days": "lead time median (d)", "sla_breaches": "SLA breaches",
    "overdue_open": "overdue at the end", "still_open": "open at the end", "top_cwes": "top CWEs",
    "mttr_mean_days": "MTTR mean (d)", "mttr_n": "MTTR n", "sla_n": "SLA n",
    "km_median_days": "KM half-life (d)", "km_n": "KM n", "sla_compliance": "SLA compliance",
}  # fmt: skip
_DATES = {"first_seen_at", "last_seen_at", "due_at", "sla_due_at", "current_opened_at", "start", "end (exclusive)"}
_RATES = ("rate", "compliance", "share")


def table(df: pd.DataFrame, key: str, **kwargs: object) -> object:
    """A dataframe for reading: human labels, counts as integers, durations with one decimal,
    rates as %, dates as dates, empty cells instead of "None". Extra arguments go to st.dataframe."""
    shown = df.copy()
    config: dict[str, object] = {}
    for col in shown.columns:
        label = LABELS.get(col, col.replace("_", " "))
        kind = shown[col].dtype
        if pd.api.types.is_bool_dtype(kind):
            config[col] = st.column_config.CheckboxColumn(label)
        elif pd.api.types.is_integer_dtype(kind):
            config[col] = st.column_config.NumberColumn(label, format="%d")
        elif pd.api.types.is_float_dtype(kind):
            rate = any(word in col for word in _RATES)
            config[col] = st.column_config.NumberColumn(label, format="percent" if rate else "%.1f")
        elif pd.api.types.is_datetime64_any_dtype(kind):
            fmt = "YYYY-MM-DD" if col in _DATES else "YYYY-MM-DD HH:mm"
            config[col] = st.column_config.DatetimeColumn(label, format=fmt)
        else:
            shown[col] = shown[col].astype("object").where(shown[col].notna(), "").astype(str)
            config[col] = st.column_config.TextColumn(label)
    options: dict[str, object] = {
        "hide_index": True,
        "width": "stretch",
        "key": key,
        "column_config": config,
        "placeholder": "",  # an empty number cell is empty, not "None"
    }
    return st.dataframe(shown, **(options | kwargs))  # type: ignore[call-overload]


def download(df: pd.DataFrame, name: str, key: str) -> None:
    """A CSV download of exactly what ``python -m analytics export`` writes for these filters."""
    st.download_button(  # the CSV is made only when clicked (deferred), not on every render
        f"Download {name}.csv",
        lambda: to_csv_bytes(df),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
    )


def download_with(make: Callable[[], pd.DataFrame], name: str, key: str) -> None:
    """A CSV download whose rows are fetched only when clicked (all of them, not the page shown)."""
    st.download_button(
        f"Download {name}.csv",
        lambda: to_csv_bytes(make()),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=key,
        on_click="ignore",
    )
