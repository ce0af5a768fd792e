"""Ingest: read SARIF (and DevOps records), normalise, and load into the store.

The only writer of the database.
"""
