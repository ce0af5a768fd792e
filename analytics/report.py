"""The sprint review pack (docs/review.md): one self-contained HTML page, or Markdown for a wiki,
from an ``analytics.review.Review``.

The HTML page fetches nothing: its CSS is inline, its charts are inline SVG rendered here from
Altair specs by vl-convert (no browser, no script), it uses the reader's own sans-serif font and
holds no ``<script>``. Every value from the store goes through ``html.escape`` (``cell``) — a rule
id, path or message from a SARIF file is text, never markup; the SVG's texts are only sprint labels
and numbers. Altair and vl-convert are imported when a chart is drawn (Altair takes about a second
to import; the first render starts vl-convert's engine, about half a second more).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from analytics.definitions import now
from analytics.filters import Filters
from analytics.review import Change, Review, Section
from core.severity import ORDER

MAX_ROWS = 50  # rows of a list in the pack; the rest is counted
HISTORY = 8  # sprints in the charts
# The colours of the dashboard's charts: new red, fixed green, overdue purple.
NEW, FIXED, OPEN, OVERDUE = "#d32f2f", "#2e7d32", "#546e7a", "#7b1fa2"

Column = tuple[str, str, Callable[[Any], str]]  # (field, heading, format)


# ------------------------------------------------------------------------------------ formatting
def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, (str, list, tuple)) and bool(pd.isna(value)))


def text(value: Any) -> str:
    return "" if _missing(value) else str(value)


def when(value: Any) -> str:
    return "" if _missing(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M}"


def day(value: Any) -> str:
    return "" if _missing(value) else f"{pd.Timestamp(value):%Y-%m-%d}"


def days(value: Any) -> str:
    return "—" if _missing(value) else f"{float(value):,.1f} d"


def whole(value: Any) -> str:
    return "—" if _missing(value) else f"{int(value):,}"


def yes_no(value: Any) -> str:
    return "" if _missing(value) else ("yes" if bool(value) else "no")


def delta(change: Change) -> str:
    """+3, −1, ±0, or "—" without a previous sprint."""
    d = change.delta
    if d is None:
        return "—"
    return f"+{d}" if d > 0 else (f"−{-d}" if d < 0 else "±0")


def filters_text(f: Filters) -> str:
    parts = [
        f"{name} {', '.join(values)}"
        for name, values in (
            ("project", f.projects),
            ("branch", f.branches),
            ("tool", f.tools),
            ("severity", f.severities),
            ("CWE", f.cwes),
            ("rule", f.rules),
            ("team", f.teams),
        )
        if values
    ]
    return "; ".join(parts) or "all findings"


def _place(row: dict[str, Any]) -> str:
    line: Any = row.get("start_line")
    return text(row.get("path")) if _missing(line) else f"{text(row.get('path'))}:{int(line)}"


# The columns of each list (the review's frames have more; the pack keeps what a meeting reads).
FINDING: list[Column] = [
    ("severity", "Severity", text),
    ("project", "Project", text),
    ("tool", "Tool", text),
    ("rule_id", "Rule", text),
    ("place", "Where", text),
    ("message", "Message", text),
]
LISTS: dict[str, list[Column]] = {
    "new": [*FINDING, ("opened_at", "Found", when)],
    "past_sla": [*FINDING, ("due_at", "Due", day), ("days_overdue", "Overdue", days)],
    "expiring": [*FINDING[:5], ("decision", "Decision", text), ("expires_at", "Expires", day)],
    "fixed": [*FINDING[:5], ("days", "Time to fix", days), ("within_sla", "Within SLA", yes_no)],
}
STALE: list[Column] = [
    ("kind", "Not scanned", text),
    ("project", "Project", text),
    ("tool", "Tool", text),
    ("last_scanned_at", "Last scan", when),
    ("days_since", "Days since", days),
]
GUESSED: list[Column] = [
    ("project", "Project", text),
    ("branch", "Branch", text),
    ("tool", "Tool", text),
    ("category", "Category", text),
    ("scans", "Scans", whole),
    ("guessed_time", "Scan time guessed", whole),
    ("guessed_project", "Project guessed", whole),
]
CHURN: list[Column] = [
    ("scanned_at", "Scan", when),
    ("project", "Project", text),
    ("tool", "Tool", text),
    ("rule_id", "Rule", text),
    ("path", "File", text),
    ("fixed", "“Fixed”", whole),
    ("opened", "“New”", whole),
]


LONG = {"rule_id", "place", "message", "path"}  # columns that may wrap anywhere


def records(df: pd.DataFrame, columns: Sequence[Column], limit: int = MAX_ROWS) -> list[list[str]]:
    """The first ``limit`` rows as formatted strings (not yet escaped)."""
    out = []
    for row in df.head(limit).to_dict("records"):
        row["place"] = _place(row)
        out.append([fmt(row.get(name)) for name, _, fmt in columns])
    return out


def by_severity(rows: pd.DataFrame) -> str:
    """The fixed section's breakdown, in severity order: "2 high, 1 medium"."""
    if rows.empty:
        return ""
    counts = rows["severity"].value_counts()
    return ", ".join(f"{int(counts[s])} {s}" for s in ORDER if s in counts)


def sprint_line(r: Review) -> str:
    span = r.sprint.end - r.sprint.start
    cut = span < pd.Timedelta(days=r.settings.sprint_days)
    last = r.sprint.end - pd.Timedelta(seconds=1)
    part = f" ({math.ceil(span / pd.Timedelta(days=1))} of its {r.settings.sprint_days} days in this window)"
    return f"{r.sprint.start:%Y-%m-%d} – {last:%Y-%m-%d}{part if cut else ''}"


def headline(r: Review) -> list[tuple[str, str, str]]:
    """(label, value, note) of the headline figures, from the sprint report's row."""
    h = r.headline
    return [
        ("New", whole(h["new"]), f"{whole(h['first_scan'])} found by a first scan" if h["first_scan"] else ""),
        ("Fixed", whole(h["fixed"]), f"median {days(h['fixed_median_days'])}"),
        ("Reopened", whole(h["reopened"]), ""),
        ("Open at the end", whole(h["still_open"]), ""),
        ("MTTR of the fixed", days(h["fixed_mean_days"]), ""),
        ("SLA breaches", whole(h["sla_breaches"]), "due dates passed unfixed"),
        ("Overdue at the end", whole(h["overdue_open"]), ""),
        ("Deployments", whole(h["deployments"]), ""),
    ]


def stamp(r: Review, generated_at: datetime | None) -> str:
    return f"{(generated_at or now()):%Y-%m-%d %H:%M} UTC"


# ---------------------------------------------------------------------------------------- charts
def _history(r: Review) -> pd.DataFrame:
    return r.history.tail(HISTORY).reset_index(drop=True)


def chart_specs(r: Review) -> list[tuple[str, dict[str, Any]]]:
    """(title, Vega-Lite spec) of the pack's charts: new and fixed per sprint; open and overdue at
    each sprint's end. Data: sprint labels and counts only."""
    import altair as alt

    h = _history(r)
    order = h["sprint"].tolist()
    flows = h.melt(id_vars=["sprint"], value_vars=["new", "fixed"], var_name="what", value_name="findings")
    stock = h.rename(columns={"still_open": "open", "overdue_open": "overdue"}).melt(
        id_vars=["sprint"], value_vars=["open", "overdue"], var_name="what", value_name="findings"
    )
    x = alt.X("sprint:N", sort=order, title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("findings:Q", title="Findings", axis=alt.Axis(format="d", tickMinStep=1))

    def colour(a: str, b: str, names: list[str]) -> alt.Color:
        return alt.Color(
            "what:N", title=None, scale=alt.Scale(domain=names, range=[a, b]), legend=alt.Legend(orient="top")
        )

    bars = (
        alt.Chart(flows, width=440, height=180)
        .mark_bar()
        .encode(
            x=x, xOffset=alt.XOffset("what:N", sort=["new", "fixed"]), y=y, color=colour(NEW, FIXED, ["new", "fixed"])
        )
    )
    lines = (
        alt.Chart(stock, width=440, height=180)
        .mark_line(point=True)
        .encode(x=x, y=y, color=colour(OPEN, OVERDUE, ["open", "overdue"]))
    )
    return [
        ("New and fixed per sprint", bars.to_dict()),
        ("Open and overdue at each sprint's end", lines.to_dict()),
    ]


def chart_svgs(r: Review) -> list[tuple[str, str]]:
    """(title, SVG text) of each chart, rendered without a browser."""
    import vl_convert

    if r.history.empty:
        return []
    return [(title, vl_convert.vegalite_to_svg(spec)) for title, spec in chart_specs(r)]


_XML_DECL = re.compile(r"^\s*<\?xml[^>]*>\s*")


# ------------------------------------------------------------------------------------------ HTML
CSS = """
body { font-family: sans-serif; color: #212121; margin: 2rem auto; max-width: 70rem; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } h2 { border-bottom: 2px solid #e0e0e0; padding-bottom: .2rem; margin-top: 2rem; }
.meta { color: #616161; margin: 0 0 1rem; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .6rem; }
.card { border: 1px solid #e0e0e0; border-radius: 6px; padding: .5rem .7rem; break-inside: avoid; }
.card .label { color: #616161; font-size: .85rem; } .card .value { font-size: 1.6rem; font-weight: bold; }
.card .note { color: #757575; font-size: .8rem; }
.up-bad, .down-bad { color: #c62828; } .up-good, .down-good { color: #2e7d32; } .flat { color: #757575; }
.action .value { font-size: 2rem; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; margin: .4rem 0 1rem; }
th, td { border-bottom: 1px solid #eeeeee; padding: .25rem .4rem; text-align: left; vertical-align: top; }
th { background: #fafafa; } td { white-space: nowrap; } td.long { white-space: normal; overflow-wrap: anywhere; }
.empty { color: #616161; font-style: italic; } .more { color: #616161; font-size: .85rem; }
.sev-critical { color: #7b1fa2; font-weight: bold; } .sev-high { color: #d32f2f; font-weight: bold; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; } figure { margin: 0; break-inside: avoid; }
figcaption { font-weight: bold; margin-bottom: .3rem; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } tr { break-inside: avoid; } }
"""

# For each section, whether a rise is bad news (new and overdue) or good (fixed).
RISE_IS_BAD = {"new": True, "past_sla": True, "expiring": True, "fixed": False}


def cell(value: Any) -> str:
    """A value as HTML text: escaped, always."""
    return html.escape(text(value), quote=True)


def html_table(rows: pd.DataFrame, columns: Sequence[Column], empty_text: str) -> str:
    if rows.empty:
        return f'<p class="empty">{cell(empty_text)}</p>'
    head = "".join(f"<th>{cell(h)}</th>" for _, h, _ in columns)
    body = []
    for values in records(rows, columns):
        tds = []
        for (name, _, _), v in zip(columns, values, strict=True):
            cls = f' class="sev-{cell(v)}"' if name == "severity" and v in ("critical", "high") else ""
            cls = ' class="long"' if name in LONG else cls
            tds.append(f"<td{cls}>{cell(v)}</td>")
        body.append(f"<tr>{''.join(tds)}</tr>")
    more = f'<p class="more">… and {len(rows) - MAX_ROWS:,} more</p>' if len(rows) > MAX_ROWS else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{more}"


def _trend_class(section: Section) -> str:
    d = section.count.delta
    if not d:
        return "flat"
    bad = RISE_IS_BAD[section.key] == (d > 0)
    return f"{'up' if d > 0 else 'down'}-{'bad' if bad else 'good'}"


def action_card(s: Section, previous: str | None) -> str:
    value = cell(s.count.now) if s.recorded else "—"
    note = s.empty_text if not s.recorded else (f"{delta(s.count)} vs {previous}" if previous else "no previous sprint")
    cls = _trend_class(s) if s.recorded else "flat"
    return (
        f'<div class="card action"><div class="label">{cell(s.title)}</div><div class="value">{value}</div>'
        f'<div class="note {cls}">{cell(note)}</div></div>'
    )


def render_html(r: Review, generated_at: datetime | None = None) -> str:
    """The review pack: a complete HTML document."""
    prev = r.previous.label if r.previous else None
    cards = "".join(
        f'<div class="card"><div class="label">{cell(label)}</div><div class="value">{cell(value)}</div>'
        f'<div class="note">{cell(note)}</div></div>'
        for label, value, note in headline(r)
    )
    actions = "".join(action_card(s, prev) for s in r.actions.sections())
    lists = []
    for s in r.actions.sections():
        extra = f" — {by_severity(s.rows)}" if s.key == "fixed" and not s.rows.empty else ""
        count = f": {s.count.now}{extra}" if s.recorded else ""
        lists.append(f"<h3>{cell(s.title)}{cell(count)}</h3>")
        lists.append(html_table(s.rows, LISTS[s.key], s.empty_text))
    c = r.coverage
    charts = "".join(
        f"<figure><figcaption>{cell(title)}</figcaption>{_XML_DECL.sub('', svg)}</figure>"
        for title, svg in chart_svgs(r)
    )
    title = f"Sprint review — {r.sprint.label}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{cell(title)}</title><style>{CSS}</style></head>
<body>
<h1>{cell(title)}</h1>
<p class="meta">{cell(sprint_line(r))} · {cell(filters_text(r.filters))} · generated {cell(stamp(r, generated_at))}</p>
<div class="cards">{cards}</div>
<h2>Needs action</h2>
<div class="cards">{actions}</div>
<h2>Coverage</h2>
<h3>Not scanned for {cell(c.stale_days)} days or more (at {cell(when(c.at))})</h3>
{html_table(c.stale, STALE, "Every project and tool was scanned within the period.")}
<h3>Scans with guessed metadata</h3>
{html_table(c.guessed, GUESSED, "No scan in this sprint fell back to a guessed scan time or project.")}
<h3>Identity churn (a data-quality warning, not remediation)</h3>
{html_table(c.churn, CHURN, "No identity churn in this sprint.")}
<h2>Trends</h2>
<div class="charts">{charts}</div>
<h2>The findings behind the action list</h2>
{"".join(lists)}
</body></html>
"""


# -------------------------------------------------------------------------------------- Markdown
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+!|~<>])")


def md(value: Any) -> str:
    """Text for a Markdown table cell: HTML entities for & < >, Markdown syntax escaped, one line."""
    escaped = html.escape(text(value), quote=False)
    return _MD_SPECIAL.sub(r"\\\1", escaped).replace("\r", " ").replace("\n", " ")


def md_table(rows: pd.DataFrame, columns: Sequence[Column], empty_text: str) -> list[str]:
    if rows.empty:
        return [f"_{md(empty_text)}_", ""]
    out = ["| " + " | ".join(md(h) for _, h, _ in columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(md(v) for v in values) + " |" for values in records(rows, columns)]
    if len(rows) > MAX_ROWS:
        out.append(f"\n… and {len(rows) - MAX_ROWS:,} more")
    return [*out, ""]


def render_markdown(r: Review, generated_at: datetime | None = None) -> str:
    """The review pack as Markdown (no charts: they are in the HTML pack)."""
    prev = r.previous.label if r.previous else None
    out = [
        f"# Sprint review — {md(r.sprint.label)}",
        "",
        f"{md(sprint_line(r))} · {md(filters_text(r.filters))} · generated {md(stamp(r, generated_at))}",
        "",
        "| " + " | ".join(md(label) for label, _, _ in headline(r)) + " |",
        "|" + "---|" * len(headline(r)),
        "| " + " | ".join(md(value) for _, value, _ in headline(r)) + " |",
        "",
        "## Needs action",
        "",
    ]
    for s in r.actions.sections():
        change = f" ({delta(s.count)} vs {md(prev)})" if prev and s.recorded else ""
        count = md(s.count.now) if s.recorded else md(s.empty_text)
        out.append(f"- **{md(s.title)}**: {count}{change}")
    out.append("")
    c = r.coverage
    out += ["## Coverage", "", f"### Not scanned for {c.stale_days} days or more (at {md(when(c.at))})", ""]
    out += md_table(c.stale, STALE, "Every project and tool was scanned within the period.")
    out += ["### Scans with guessed metadata", ""]
    out += md_table(c.guessed, GUESSED, "No scan in this sprint fell back to a guessed scan time or project.")
    out += ["### Identity churn (a data-quality warning, not remediation)", ""]
    out += md_table(c.churn, CHURN, "No identity churn in this sprint.")
    out += ["## The findings behind the action list", ""]
    for s in r.actions.sections():
        extra = f" — {by_severity(s.rows)}" if s.key == "fixed" and not s.rows.empty else ""
        count = f": {s.count.now}{extra}" if s.recorded else ""
        out += [f"### {md(s.title)}{md(count)}", ""]
        out += md_table(s.rows, LISTS[s.key], s.empty_text)
    return "\n".join(out)
