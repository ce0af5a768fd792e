"""The bottom layer: the vocabulary every other package shares — severities, times, periods,
settings, and one exception family with the exit codes. It imports nothing of this project, and
everything may import it (``store`` < ``ingest``, ``analytics`` < ``demo`` < the app; checked by
import-linter, see ``pyproject.toml``)."""
