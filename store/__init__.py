"""The store: the one module that opens database connections (see ``store.db``)."""

from store.db import DEFAULT_DB, Store, StoreBusy, StoreError, resolve_url

__all__ = ["DEFAULT_DB", "Store", "StoreBusy", "StoreError", "resolve_url"]
