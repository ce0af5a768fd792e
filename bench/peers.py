"""Peer loaders measured by bench.py on the same files (each run as its own process).

python bench/peers.py floor FILE_LIST          orjson parse + touch every result, nothing else
python bench/peers.py pandas FILE_LIST DB      json_normalize every run's results → DuckDB
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson


def floor(files: list[Path]) -> int:
    touched = 0
    for path in files:
        doc = orjson.loads(path.read_bytes())
        for run in doc.get("runs") or []:
            for result in run.get("results") or []:
                touched += 1 if result.get("ruleId") is not None or result else 0
    return touched


def pandas_loader(files: list[Path], db: str) -> int:
    """The straightforward approach: flatten results with pandas and append them to DuckDB."""
    import duckdb
    import pandas as pd

    con = duckdb.connect(db)
    rows = 0
    first = True
    for path in files:
        doc = orjson.loads(path.read_bytes())
        for run in doc.get("runs") or []:
            results = run.get("results") or []
            if not results:
                continue
            df = pd.json_normalize(results, max_level=1)
            df = df.astype(str)  # columns differ between scanners: store everything as text
            df["tool"] = str(run.get("tool", {}).get("driver", {}).get("name"))
            df["file"] = str(path)
            df = df[["tool", "file", *[c for c in ("ruleId", "level", "message.text") if c in df.columns]]]
            df.columns = [c.replace(".", "_") for c in df.columns]
            for col in ("ruleId", "level", "message_text"):
                if col not in df.columns:
                    df[col] = None
            df = df[["tool", "file", "ruleId", "level", "message_text"]]
            if first:
                con.execute("CREATE OR REPLACE TABLE results AS SELECT * FROM df")
                first = False
            else:
                con.execute("INSERT INTO results SELECT * FROM df")
            rows += len(df)
    con.close()
    return rows


def main(argv: list[str]) -> int:
    mode, listing = argv[0], Path(argv[1])
    files = [Path(line) for line in listing.read_text().splitlines() if line]
    if mode == "floor":
        print(floor(files))
    elif mode == "pandas":
        print(pandas_loader(files, argv[2]))
    else:
        raise SystemExit(f"unknown mode {mode}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
