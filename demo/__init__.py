"""A deterministic demo history: real-style SARIF from six scanners, commits, deployments and
incidents for a dozen months of a small organisation, loaded through the normal ingest path.

``python -m demo [--seed N] [--scale S]`` (see ``demo.cli``).
"""
