"""The store: the one module that opens database connections (see ``store.db``)."""

from core.errors import StoreBusy, StoreError
from store.db import DEFAULT_DB, Store, resolve_url

__all__ = ["DEFAULT_DB", "Store", "StoreBusy", "StoreError", "resolve_url"]
