"""The HTTP API for CI pipelines (``python -m service``): the outermost layer beside the
dashboard, on the same ingest pipeline and analytics functions as the command lines."""
