"""Keep pandas out of ingest processes (the command line and its parse workers).

Before pyarrow converts Python values it asks whether they are pandas objects, and its first such
question imports pandas: ~0.3 s on this project's VM, more than all the rest of a one-file upload.
Nothing an ingest builds is a pandas object. So an ingest process makes its first conversion while
an import of pandas fails: pyarrow then records that pandas is absent and stops asking. Code that
does want pandas still gets it — ``Table.to_pandas()`` and the like import it when called.
"""

from __future__ import annotations

import sys
from importlib.machinery import ModuleSpec


class _Refuse:
    """A meta-path finder that makes ``import pandas`` fail (``None`` defers to the next finder)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> ModuleSpec | None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("kept out of ingest processes", name=name)
        return None


def keep_pandas_out() -> None:
    """Prime pyarrow with pandas unavailable (no-op when pandas is already imported)."""
    if "pandas" in sys.modules:
        return
    import pyarrow as pa

    refuse = _Refuse()
    sys.meta_path.insert(0, refuse)
    try:
        pa.array([1, None])  # a sequence conversion: pyarrow's Python and C++ pandas checks both run
    finally:
        sys.meta_path.remove(refuse)
