"""Reading one value out of untrusted SARIF: a part of the wrong type is absent, a long text is cut.

Identifiers and names from the SARIF are stored and shown everywhere: a hostile or broken file
must not put megabytes into a rule id, a path or a stream key, so every text has a cap, and an
identifier cut to its cap keeps a hash of the whole so that different long values stay different.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from typing import Any

from core.severity import LEVELS

JSON = dict[str, Any]
MAX_MESSAGE_CHARS = 32_768
MAX_SNIPPET_CHARS = 4_096
MAX_TEXT_CHARS = 65_536
MAX_ID_CHARS = 512
MAX_PATH_CHARS = 4_096
MAX_TAGS = 64  # per rule (real rules have up to ~10)
MAX_CWES = 32  # per rule and per result (real ones have up to ~5)
MAX_WARNINGS = 20  # per file; the rest are counted in one more line
_CWE_RE = re.compile(r"\bcwe[-_/: ]?0*(\d{1,6})\b", re.IGNORECASE)


def as_obj(value: Any) -> JSON:
    """The object, or ``{}`` for anything else."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """The array, or ``[]`` for anything else."""
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    """The string when it is not blank, else None."""
    return value if isinstance(value, str) and value.strip() else None


def as_int(value: Any) -> int | None:
    """A whole number in 0 ≤ n < 2³¹ (an index, a line, a column), else None."""
    # bool is an int subclass: not a number here
    if value.__class__ is not int and (value is None or isinstance(value, bool) or not isinstance(value, int)):
        return None
    return value if 0 <= value < 2**31 else None


def as_text(value: Any, limit: int = MAX_TEXT_CHARS) -> str | None:
    """``{"text": …}`` message-like objects or plain strings, trimmed to a limit."""
    text = as_obj(value).get("text") if isinstance(value, dict) else value
    if not isinstance(text, str) or not text.strip():
        return None
    return text if len(text) <= limit else text[:limit] + " … [truncated]"


def capped(text: str, limit: int = MAX_ID_CHARS) -> str:
    """``text``, or when longer than ``limit`` its start, ``…`` and 16 hex digits of its sha256:
    ``limit`` characters that still tell different long values apart (they are identity)."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return text[: limit - 17] + "…" + digest


def capped_warnings(warnings: list[str]) -> tuple[str, ...]:
    """The first ``MAX_WARNINGS`` warnings, and one line counting the rest."""
    if len(warnings) <= MAX_WARNINGS:
        return tuple(warnings)
    rest = len(warnings) - MAX_WARNINGS
    return (*warnings[:MAX_WARNINGS], f"… and {rest:,} more warning(s), not shown")


def level_of(value: Any) -> str | None:
    """A SARIF level (``none``, ``note``, ``warning``, ``error``), else None."""
    return value if isinstance(value, str) and value in LEVELS else None


def security_severity(value: Any) -> float | None:
    """A finite 0–10 number from a number or numeric string; None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, (int, float)) and math.isfinite(value) and 0.0 <= value <= 10.0:
        return float(value)
    return None


def cwe_ids(values: Iterable[Any]) -> list[str]:
    """``CWE-n`` for every CWE mention in strings/numbers-with-prefix, in order, deduplicated; the
    first ``MAX_CWES``."""
    out: list[str] = []
    for value in values:
        texts = (
            [value]
            if isinstance(value, str)
            else [v for v in value if isinstance(v, str)]
            if isinstance(value, list)
            else []
        )
        for text in texts:
            for match in _CWE_RE.finditer(text):
                number = int(match.group(1))
                cwe = f"CWE-{number}"
                if number > 0 and cwe not in out:
                    out.append(cwe)
                    if len(out) >= MAX_CWES:
                        return out
    return out
