"""Words on a page: text from SARIF or a user made inert for Markdown, numbers and percentages
for metrics (a dash when there is none), and the empty state."""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~$&])")
_MD_LIST = re.compile(r"^(\s*)(-|\d+(?=[.)]))")
_WWW = re.compile(r"(?i)(www)(?=\.)")
WORD_JOINER = "\u2060"  # invisible, and breaks what Streamlit's Markdown would turn into a link or an icon


def md_escape(text: object) -> str:
    """Text from SARIF or from a user, made inert for Streamlit's Markdown (headers, alerts):
    Markdown syntax is escaped, and an invisible word joiner goes where Streamlit would otherwise
    make a link (``www.``, ``scheme://``, ``a@b.c`` — escaping does not stop its autolinks) or an
    icon, emoji or colour (``:material/x:``, ``:smile:``, ``:red[…]`` — nor those). Shown, the text
    is unchanged."""
    out = _MD_SPECIAL.sub(r"\\\1", str(text)).replace("\r", " ").replace("\n", " ")
    out = _MD_LIST.sub(lambda m: f"{m.group(1)}\\-" if m.group(2) == "-" else f"{m.group(0)}\\", out)  # no list
    out = _WWW.sub(lambda m: m.group(1) + WORD_JOINER, out)
    return out.replace(":", ":" + WORD_JOINER).replace("@", WORD_JOINER + "@")


def empty(message: str = "Nothing matches these filters.") -> None:
    st.info(message)


def number(value: float | None, unit: str = "", digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    return f"{value:,.{digits}f}{unit}"


def percent(value: float | None) -> str:
    return "—" if value is None or pd.isna(value) else f"{100 * value:.0f}%"
