"""A whole ``python -m ingest manifest`` on real release history against the parse-only floor.

    python bench/release_history.py build --repo GITDIR [--repo GITDIR ...] --out DIR [--tags 40]
    python bench/release_history.py measure DIR [--runs 3]

Why: ``make bench`` measures the demo generator's files (~60 KB, synthetic). This measures what
a backfill of real scanner output costs: the release tags of real Python projects (git mirrors),
each checked out and scanned by the scanners installed beside this Python (Bandit, Ruff), loaded
with a manifest whose ``source_root`` points at the kept checkout — so ingest strips absolute
URIs and reads source lines for the line-shift-stable identity, as a real backfill would.

``build`` checks out up to N release tags of each repository (``git archive``, a bare mirror is
enough) under DIR/checkouts/<repo>/<tag>/, scans each into DIR/sarif/<repo>/, and writes
DIR/manifest.csv (project = repository, branch = main, commit and scanned_at = the tag's commit).
Ruff runs with ``--select ALL`` minus the annotation, docstring, copyright and trailing-comma
families and without tests/examples (what projects that select ALL commonly run; the whole set
gives 3–26 MB files, far from the 50–900 KB of a typical CI scan); Bandit runs on the whole
checkout. Semgrep is used when installed, else skipped and said so.

``measure`` runs, each as its own process and best of N (this VM's speed drifts): the floor
(``bench/peers.py floor``: orjson-parse every file and touch every result, nothing else) and the
whole ingest into a fresh DuckDB file; then ``ingest sarif`` of the smallest file, best of 5.
Subprocesses are run and measured by ``bench/procs.py``, as ``bench/bench.py`` does.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procs import ROOT, run

PY = sys.executable
BIN = Path(sys.executable).parent
RELEASE = re.compile(r"^v?\d+(\.\d+)+$")  # release tags only: no rc/dev/branch-like tags
COLUMNS = ["path", "project", "branch", "commit", "scanned_at", "category", "source_root"]
RUFF_IGNORE = "ANN,D,CPY,COM"


def git(gitdir: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(gitdir), *args], capture_output=True, check=True, text=True).stdout  # noqa: S603, S607


def release_tags(gitdir: Path, n: int) -> list[str]:
    """The newest ``n`` release tags, oldest first."""
    tags = [t for t in git(gitdir, "tag", "--sort=creatordate").split() if RELEASE.match(t)]
    return tags[-n:]


def repo_name(gitdir: Path) -> str:
    """``/work/.mirror/PyCQA+bandit/repo`` → bandit; ``flask.git`` → flask."""
    parts = [p for p in gitdir.resolve().parts if p not in ("repo", ".git")]
    return parts[-1].removesuffix(".git").split("+")[-1]


def scanners() -> dict[str, list[str]]:
    """Scanner name → argv (output file appended later) for the scanners installed beside Python."""
    found: dict[str, list[str]] = {}
    if (BIN / "bandit").exists():
        found["bandit"] = [str(BIN / "bandit"), "-q", "-f", "sarif", "-r", ".", "-o"]
    if (BIN / "ruff").exists():
        found["ruff"] = [str(BIN / "ruff"), "check", "--isolated", "--no-cache", "--select", "ALL",
                         "--ignore", RUFF_IGNORE, "--extend-exclude", "tests,examples", "--exit-zero",
                         "--output-format", "sarif", ".", "-o"]  # fmt: skip
    if (BIN / "semgrep").exists():
        found["semgrep"] = [str(BIN / "semgrep"), "scan", "--metrics=off", "--config", "p/python", "--sarif", "-o"]
    else:
        print("semgrep is not installed in this venv: skipped")
    return found


def scan(checkout: Path, argv: list[str], out: Path) -> None:
    partial = out.with_suffix(".partial")  # complete or absent: a rerun after Ctrl-C scans again
    proc = subprocess.run([*argv, str(partial)], cwd=checkout, capture_output=True, check=False)  # noqa: S603
    if proc.returncode not in (0, 1) or not partial.exists():  # Bandit exits 1 when it reports something
        raise SystemExit(f"{argv[0]} on {checkout} failed ({proc.returncode}): {proc.stderr.decode()[-2000:]}")
    partial.rename(out)


def build_repo(
    gitdir: Path, out: Path, n: int, tools: dict[str, list[str]], pool: ThreadPoolExecutor
) -> list[dict[str, str]]:
    """Check out and scan one repository's tags (scans run in ``pool``); its manifest rows."""
    name = repo_name(gitdir)
    rows, jobs = [], []
    for tag in release_tags(gitdir, n):
        sha = git(gitdir, "rev-parse", f"{tag}^{{commit}}").strip()
        stamp = int(git(gitdir, "log", "-1", "--format=%ct", sha).strip())
        when = datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        checkout = (out / "checkouts" / name / tag).resolve()
        if not checkout.exists():
            checkout.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(dir=checkout.parent, prefix=".partial-"))
            archive = subprocess.run(["git", "-C", str(gitdir), "archive", sha], capture_output=True, check=True)  # noqa: S603, S607
            subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive.stdout, check=True)  # noqa: S603, S607
            tmp.rename(checkout)  # complete or absent: a rerun after Ctrl-C starts the tag again
        for tool, argv in tools.items():
            sarif = out / "sarif" / name / f"{tag}-{tool}.sarif"
            sarif.parent.mkdir(parents=True, exist_ok=True)
            if not sarif.exists():
                jobs.append(pool.submit(scan, checkout, argv, sarif))
            values = [sarif.relative_to(out).as_posix(), name, "main", sha, when, "", str(checkout)]
            rows.append(dict(zip(COLUMNS, values, strict=True)))
    for job in jobs:
        job.result()
    return rows


def build(args: argparse.Namespace) -> int:
    out: Path = args.out.resolve()  # the scanners run in the checkout: an absolute -o
    out.mkdir(parents=True, exist_ok=True)
    tools = scanners()
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        rows = [row for gitdir in args.repo for row in build_repo(gitdir, out, args.tags, tools, pool)]
    rows.sort(key=lambda r: (r["project"], r["scanned_at"], r["path"]))
    with (out / "manifest.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(describe([Path(r["path"]) for r in manifest_rows(out)]))
    return 0


def manifest_rows(out: Path, max_kb: int | None = None) -> list[dict[str, str]]:
    """The manifest's rows with absolute paths; only files of at most ``max_kb`` KB when given."""
    with (out / "manifest.csv").open(encoding="utf-8") as fh:
        rows = [{**row, "path": str(out / row["path"])} for row in csv.DictReader(fh)]
    return [r for r in rows if max_kb is None or Path(r["path"]).stat().st_size <= max_kb * 1000]


def describe(files: list[Path]) -> str:
    """Files, MB, size range and results per scanner and project: the data set, for the docs."""
    sizes = sorted(f.stat().st_size for f in files)
    counts: dict[str, list[int]] = {}
    for f in files:
        results = sum(len(r.get("results") or []) for r in orjson.loads(f.read_bytes()).get("runs") or [])
        project, tool = f.parent.name, f.stem.rsplit("-", 1)[1]
        counts.setdefault(f"{project}/{tool}", []).append(results)
    lines = [
        f"{len(files)} files, {sum(sizes) / 1e6:.1f} MB, {sum(sum(c) for c in counts.values()):,} results; "
        f"sizes {sizes[0] / 1e3:.0f}–{sizes[-1] / 1e3:.0f} KB, median {sizes[len(sizes) // 2] / 1e3:.0f} KB",
    ]
    lines += [f"  {k}: {len(c)} files, {sum(c):,} results" for k, c in sorted(counts.items())]
    return "\n".join(lines)


Measured = tuple[float, float, str, dict[str, float]]  # procs.run: seconds, peak RSS MB, stdout, CPU s


def best_of(cmd: Callable[[int], list[str]], runs: int) -> tuple[Measured, list[Measured]]:
    """Run ``cmd(i)`` for i in range(runs), each as its own process: (the fastest run, all runs)."""
    measured = [run(cmd(i)) for i in range(runs)]
    return min(measured, key=lambda m: m[0]), measured


def fresh_db(work: Path, name: str) -> str:
    db = work / name
    db.unlink(missing_ok=True)
    Path(f"{db}.wal").unlink(missing_ok=True)
    return str(db)


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def measure(args: argparse.Namespace) -> int:
    rows_in = manifest_rows(args.dir.resolve(), args.max_kb)
    files = [Path(r["path"]) for r in rows_in]
    small = min(files, key=lambda f: f.stat().st_size)
    print(describe(files))
    print(f"load average (1, 5, 15 min) at start: {loadavg()}; {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory(prefix="relhist-") as tmp:
        work = Path(tmp)
        listing = work / "files.txt"
        listing.write_text("".join(f"{f}\n" for f in files))
        manifest = str(work / "manifest.csv")
        with open(manifest, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows_in)
        rows = {
            "orjson floor (parse + touch)": best_of(
                lambda _: [PY, str(ROOT / "bench" / "peers.py"), "floor", str(listing)], args.runs
            ),
            "ingest manifest (fresh DuckDB)": best_of(
                lambda i: [PY, "-m", "ingest", "manifest", manifest, "--db", fresh_db(work, f"m{i}.duckdb"), "--json"],
                args.runs,
            ),
            f"ingest sarif, smallest ({small.stat().st_size / 1e3:.0f} KB)": best_of(
                lambda i: [PY, "-m", "ingest", "sarif", str(small), "--db", fresh_db(work, f"s{i}.duckdb")], 5
            ),
        }
    floor = rows["orjson floor (parse + touch)"][0][0]
    print(f"\n{'':34} {'best s':>7} {'× floor':>8} {'CPU s':>6} {'peak RSS MB':>12}  all runs s")
    for label, (best, every) in rows.items():
        cpu = best[3]["user"] + best[3]["system"]
        runs = ", ".join(f"{m[0]:.2f}" for m in every)
        print(f"{label:34} {best[0]:7.2f} {best[0] / floor:8.2f} {cpu:6.2f} {best[1]:12.0f}  {runs}")
    report = orjson.loads(rows["ingest manifest (fresh DuckDB)"][0][2])
    loaded = sum(1 for f in report.get("files", []) if f.get("status") == "loaded")
    print(f"ingest loaded {loaded} of {len(files)} files; load average at end: {loadavg()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    sub = ap.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="check out and scan release tags, write DIR/manifest.csv")
    b.add_argument("--repo", type=Path, action="append", required=True, metavar="GITDIR")
    b.add_argument("--out", type=Path, required=True, metavar="DIR")
    b.add_argument("--tags", type=int, default=40, metavar="N", help="newest N release tags per repository")
    m = sub.add_parser("measure", help="floor vs a whole ingest manifest, best of --runs")
    m.add_argument("dir", type=Path, metavar="DIR")
    m.add_argument("--runs", type=int, default=3)
    m.add_argument("--max-kb", type=int, metavar="KB", help="only the files of at most KB kilobytes")
    args = ap.parse_args(argv)
    return build(args) if args.command == "build" else measure(args)


if __name__ == "__main__":
    raise SystemExit(main())
