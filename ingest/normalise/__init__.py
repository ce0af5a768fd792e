"""Normalising: a parsed SARIF 2.1.0 log → scans, rules and occurrences (docs/definitions.md §2–§4).

Generic rules do the work for every tool; the tool's adapter (``ingest.adapters``) answers only
the tool-specific questions. Malformed parts below the result level (a location that is a string,
a region with a negative line, a message that is a number…) are treated as absent, so a result is
never lost because one of its optional parts is broken.

The modules, top down (each imports only the ones below it); ``scans.normalise`` is the entry:

- ``scans``      a log's runs grouped into scans; each scan's fingerprints chosen together
- ``runs``       a run's header: project, branch, commit, tool, category, scan time
- ``results``    one result → a draft: kind, rule, level, severity, CWEs, message, suppression
- ``locations``  the primary location: repository path (``ingest.paths``), region, snippet
- ``rules``      the run's rules by id and index, and the stored ``Rule``
- ``options``    the settings that are not per file
- ``values``     reading untrusted JSON (a wrong type is absent), the length caps, levels,
                 ``security-severity`` scores, CWE ids
"""
