"""What every request needs: the store, the settings, the upload gate and the spool."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.settings import Settings
from ingest.normalise.options import Options
from service.gate import Gate
from service.uploads import Spool
from store.db import Store


@dataclass
class Context:
    """What every request needs: the store, the settings, the upload gate and the spool."""

    store: Store
    settings: Settings = field(default_factory=Settings)
    parallel: int = 2
    spool: Spool = field(default_factory=Spool)
    gate: Gate = field(init=False)
    health: Store = field(init=False)

    def __post_init__(self) -> None:
        self.gate = Gate(self.store, self.parallel, wait_s=self.store.timeout_s)
        self.health = Store(self.store.url, timeout_s=2.0)

    @property
    def options(self) -> Options:
        return Options.from_settings(self.settings)
