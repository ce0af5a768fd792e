"""Loading from the app: the same ingest job as the command line (``ingest.pipeline``)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from ingest.cli import options_from_settings, read_manifest
from ingest.models import ScanMeta
from ingest.pipeline import Report, ingest_many
from store.db import Store
from store.settings import load_settings

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "manifest.csv"


def load_demo_history(store: Store, progress: Callable[[int, int, str], None] | None = None) -> Report:
    """The demo generator's history (seed 1, scale 1): written under data/demo/, then loaded
    through the normal ingest path, with its commits, deployments and incidents."""
    from ingest.demo.build import default_out, write_demo
    from ingest.demo.cli import default_end
    from ingest.demo.generate import make_plan
    from ingest.demo.load import load_demo

    out = default_out(1, 1.0)
    generated = write_demo(make_plan(1, 1.0, default_end()), out)
    return load_demo(store, out, generated.sarif_files, progress).report


def load_samples(store: Store) -> Report:
    items, missing = read_manifest(SAMPLES)
    return ingest_many(store, items, options_from_settings(load_settings()), missing=missing)


def load_uploads(
    store: Store,
    files: Sequence[tuple[str, bytes]],
    meta: ScanMeta,
    progress: Callable[[int, int, str], None] | None = None,
) -> Report:
    """Write the uploaded bytes to a private temporary folder (names kept, so reports name them)
    and run the command line's ingest on them."""
    with tempfile.TemporaryDirectory(prefix="upload-") as tmp:
        items = []
        for i, (name, data) in enumerate(files):
            safe = Path(name).name
            if safe in ("", ".", "..") or "\x00" in safe:
                safe = f"upload-{i}.sarif"
            folder = Path(tmp) / str(i)
            folder.mkdir()
            path = folder / safe
            path.write_bytes(data)
            items.append((path, meta))
        report = ingest_many(store, items, options_from_settings(load_settings()), progress=progress)
    for f in report.files:  # report the uploaded name, not the temporary path
        object.__setattr__(f, "path", Path(f.path).name)
    return report


def parse_when(day: object, time_text: str) -> datetime | None:
    from datetime import date, time

    if not isinstance(day, date):
        return None
    try:
        t = time.fromisoformat(time_text) if time_text else time(0, 0)
    except ValueError:
        return None
    return datetime.combine(day, t)
