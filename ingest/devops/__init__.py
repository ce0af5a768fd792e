"""DevOps inputs for the DORA metrics (docs/definitions.md §7): commits from git, deployments and
incidents from CSV or JSON files, written into the store in one transaction each.

One module per job, each importable on its own; import from the module, not from this package:

- ``records``  the frozen records every other module passes around (commits, deployments,
  incidents, what a read yields, what a load reports) and their fixed vocabularies.
- ``git``      runs ``git log`` / ``git for-each-ref`` on a local clone (no network) and turns the
  listing into commits, and tags into deployments if asked.
- ``files``    validates a deployments or incidents file (CSV or JSON bytes) row by row.
- ``commits``  works out which commits each deployment shipped from the commit graph.
- ``load``     the only module that touches the database: every SQL statement of DevOps loading,
  the one-transaction loaders and the rebuild of ``deployment_commits``.

The readers (``git``, ``files``) and the derivation (``commits``) are pure: a repository or bytes
in, frozen records out; nothing is written until a whole input is valid. ``python -m ingest
git|deployments|incidents`` (``ingest/devops_cli.py``) is the command line over ``load``.
"""
