"""The documentation stays true to the code it describes.

- ``make run`` installs the runtime requirements only; the test and check targets the dev ones.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# --- the Makefile: the main job needs no test tools ---------------------------------------------

RUNTIME_TARGETS = ("run", "demo", "app", "samples")
DEV_TARGETS = ("test", "check", "lint", "types", "screenshot", "bench", "stress")


def _dry_run(target: str) -> str:
    """The commands ``make TARGET`` would run in a fresh clone (nothing runs)."""
    run = subprocess.run(
        ["make", "--no-print-directory", "-n", "-B", target, "VENV=/nonexistent/venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", RUNTIME_TARGETS)
def test_the_main_job_installs_runtime_requirements_only(target: str) -> None:
    commands = _dry_run(target)
    assert "-r requirements.txt" in commands
    assert "requirements-dev.txt" not in commands


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target", DEV_TARGETS)
def test_development_targets_install_the_test_tools(target: str) -> None:
    assert "-r requirements-dev.txt" in _dry_run(target)
