"""The benchmark's table, in Markdown, from its results (bench/results.json)."""

from __future__ import annotations

from typing import Any

OURS = "ours: python -m ingest sarif (normalise, identity, store, lifecycle)"


def _f(x: Any, fmt: str = "{:,.2f}") -> str:
    return "—" if x is None or (isinstance(x, float) and x != x) else fmt.format(x)


def _ms(v: float | None) -> str:
    return _f(v * 1000 if v is not None else None, "{:,.0f}")


def render(res: dict[str, Any]) -> str:
    m = res["machine"]
    pg = res.get("postgresql") or {}
    on_pg = "latency_1m" in pg
    lines = [
        f"Benchmark — {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, Python {m['python']}, "
        f"DuckDB {m['duckdb']}",
        f"Input: demo history at scale {res['scale']:g}: {res['files']['count']:,} SARIF files, "
        f"{res['files']['megabytes']:,} MB, {res['results']:,} results → {res['store_1m_occurrences']:,} occurrences",
        "",
        "| ingest (same files) | seconds | results/s | MB/s | × floor | peak RSS MB (all processes) | CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in res["ingest"].items():
        lines.append(
            f"| {name} | {_f(r.get('seconds'))} | {_f(r.get('results_per_s'), '{:,.0f}')} "
            f"| {_f(r.get('mb_per_s'), '{:,.1f}')} | {_f(r.get('x_floor'), '{:.1f}')} "
            f"| {_f(r.get('peak_rss_mb'), '{:,.0f}')} | {_f(r.get('cpu_seconds'), '{:,.1f}')} |"
        )
    if res.get("floor_runs_s"):
        runs = ", ".join(f"{x:.2f}" for x in res["floor_runs_s"])
        lines += ["", f"Floor runs: {runs} s (the best is the denominator); ours and the peers ran once."]
    if res.get("load_average_at_start"):
        loads = ", ".join(f"{x:.1f}" for x in res["load_average_at_start"])
        lines += [f"Load average when the run began (1, 5, 15 min): {loads} on {m['cores']} cores."]
    if res.get("split"):
        lines += ["", *_render_split(res["split"])]
    if pg.get("skipped"):
        lines += ["", f"PostgreSQL: not measured ({pg['skipped']})."]
    elif pg.get("ingest"):
        lines += ["", *_render_pg_ingest(res)]
    lines += ["", "| incremental: one new scan, loaded + its stream recomputed | seconds |", "|---|---:|"]
    for label, r in res["incremental"].items():
        occ = res["store_1m_occurrences"] if label == "1M" else res.get("store_10m_occurrences")
        lines.append(f"| into {occ:,} occurrences ({label}) | {_f(r['seconds'], '{:.3f}')} |")
        if label == "1M" and "incremental" in pg:
            lines.append(
                f"| into {occ:,} occurrences ({label}), PostgreSQL | {_f(pg['incremental']['seconds'], '{:.3f}')} |"
            )
    head = "| query latency (ms) | 1M | 1M PostgreSQL | 10M |" if on_pg else "| query latency (ms) | 1M | 10M |"
    lines += ["", head, "|---|---:|---:|---:|" if on_pg else "|---|---:|---:|"]
    for name, v in res["latency_1m"].items():
        cells = [
            _ms(v),
            *([_ms(pg["latency_1m"].get(name))] if on_pg else []),
            _ms(res.get("latency_10m", {}).get(name)),
        ]
        lines.append(f"| {name} | {' | '.join(cells)} |")
    on_pg_pages = "pages_1m" in pg
    lines += ["", "| dashboard page render (AppTest, 1M store) | seconds |" + (" PostgreSQL |" if on_pg_pages else "")]
    lines.append("|---|---:|" + ("---:|" if on_pg_pages else ""))
    for name, v in res["pages_1m"].items():
        lines.append(f"| {name} | {_f(v)} |" + (f" {_f(pg['pages_1m'].get(name))} |" if on_pg_pages else ""))
    lines.append(f"\ntotal benchmark time: {res['total_seconds'] / 60:.1f} min")
    return "\n".join(lines)


def _render_split(sp: dict[str, Any]) -> list[str]:
    """Ours stage by stage (``bench/split.py``): each stage's own wall and CPU seconds."""
    n, total = max(sp["results"], 1), sp["seconds"] or 1.0
    lines = [
        "| where ours spends its time (one process, no workers) | seconds | CPU s | µs per result | share |",
        "|---|---:|---:|---:|---:|",
    ]
    for stage, r in [*sp["stages"].items(), ("total", sp)]:
        lines.append(
            f"| {stage} | {_f(r['seconds'])} | {_f(r['cpu_seconds'])} | {_f(r['seconds'] / n * 1e6, '{:,.1f}')} "
            f"| {_f(r['seconds'] / total, '{:.0%}')} |"
        )
    counts = ", ".join(f"{k} {v:,}" for k, v in sp["counts"]["split"].items())
    same = "the same" if sp["same_counts"] else "DIFFERENT"
    return [*lines, "", f"Its store holds {same} row counts as ours above ({counts})."]


def _render_pg_ingest(res: dict[str, Any]) -> list[str]:
    pg = res["postgresql"]
    st = pg.get("settings", {})
    version = str(st.get("server_version", "?")).split()[0]
    around = pg.get("duckdb_around") or [res["ingest"][OURS]]
    duck = sum(r["seconds"] for r in around) / len(around)
    lines = [
        f"PostgreSQL {version}, {pg['server']}: shared_buffers {st.get('shared_buffers')}, "
        f"work_mem {st.get('work_mem')}, fsync {st.get('fsync')}, synchronous_commit {st.get('synchronous_commit')}. "
        f"Its stores hold {'the same' if pg.get('same_as_duckdb') else 'DIFFERENT'} row counts as DuckDB's "
        f"({', '.join(f'{k} {v:,}' for k, v in pg.get('counts', {}).get('duckdb', {}).items())}).",
        "",
        "| ingest into an empty store (same files, one after the other) | seconds | results/s | × DuckDB time "
        "| peak RSS MB (ingest processes) | ingest CPU s | server CPU s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [(f"DuckDB, 1 writer{', before' if len(around) > 1 else ''}", around[0])]
    rows += [(f"PostgreSQL, {_writers(r)}", r) for r in pg["ingest"].values()]
    rows += [("DuckDB, 1 writer, after", r) for r in around[1:]]
    for what, r in rows:
        lines.append(
            f"| {what} | {_f(r['seconds'])} | {_f(r['results_per_s'], '{:,.0f}')} "
            f"| {_f(r['seconds'] / duck, '{:.2f}')} | {_f(r['peak_rss_mb'], '{:,.0f}')} "
            f"| {_f(r['cpu_seconds'], '{:,.1f}')} | {_f(r.get('server_cpu_seconds'), '{:,.1f}')} |"
        )
    if len(around) > 1:
        lines += ["", f"× DuckDB time: against the mean of the DuckDB runs just before and after ({duck:.2f} s)."]
    return lines


def _writers(r: dict[str, Any]) -> str:
    if r["writers"] == 1:
        return "1 writer"
    solo = ", each reading in-process (FINDINGS_PARSE_WORKERS=0)" if r.get("parse_workers") == 0 else ""
    return f"{r['writers']} writers at once, a quarter of the projects each{solo}"
