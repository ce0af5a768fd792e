"""The documentation stays true to the code it describes.

- docs/cli.md holds, for every command of ``python -m ingest``, ``python -m analytics``,
  ``python -m service`` (nested subcommands included) and ``python -m app_pages.auth``, a block
  that starts with ``$ python -m … --help`` followed by what that command prints. A new
  subcommand without a block, or a changed option, fails here. After changing a parser, refresh
  the blocks (the prose around them is kept; a missing command gets a section appended at the
  end, to be moved where it belongs):

      UPDATE_CLI_DOCS=1 python -m pytest -q tests/test_docs.py

  The help is taken at a fixed width and compared with runs of white space folded, so that a
  terminal's width or a newer Python's layout of ``-o, --output OUTPUT`` does not matter.
- Every relative link in README.md and docs/*.md leads to a file inside the repository (and to a
  heading of it when it names one), and nothing cites a document that a clone does not have.
- No text file of the repository (code, tests, SQL, requirements, docs) cites such a document or an
  issue number either.
- ``make run`` installs the runtime requirements only; the test and check targets the dev ones.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI_MD = ROOT / "docs" / "cli.md"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PROGRAMS = ("ingest", "analytics", "demo", "service", "app_pages.auth")  # each as ``python -m PROGRAM``
HELP_COLUMNS = "100"
UPDATE = "UPDATE_CLI_DOCS"

# ```text
# $ python -m ingest sarif --help
# usage: …
# ```
_BLOCK = re.compile(r"^```text\n\$ (python -m [^\n]*?) --help\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
# argparse writes subcommands in the usage as ``{sarif,manifest,…} ...`` (or ``{token} ...``); a
# choice argument such as the auth tool's ``{add,check}`` has no ``...`` after it.
_SUBCOMMANDS = re.compile(r"\{([a-z][a-z0-9-]*(?:,[a-z][a-z0-9-]*)*)\}\s+\.\.\.")


# --- the command-line reference -----------------------------------------------------------------


# Runs each ``python -m PROGRAM [SUBCOMMAND] --help`` as ``python -m`` does (the package's
# ``__main__`` with that argv), all in one child process so that the heavy imports are paid once.
_HELP_RUNNER = """
import contextlib, io, json, runpy, sys
out = {}
for command in json.loads(sys.argv[1]):
    words = command.split()[2:]
    sys.argv = ["-m", *words[1:], "--help"]
    buf = io.StringIO()
    code = None
    with contextlib.redirect_stdout(buf):
        try:
            runpy.run_module(words[0], run_name="__main__", alter_sys=True)
        except SystemExit as e:
            code = e.code
    out[command] = [code, buf.getvalue()]
print(json.dumps(out))
"""


def _help(commands: list[str]) -> dict[str, str]:
    """What each ``COMMAND --help`` prints, at a fixed width and without colour."""
    env = {**os.environ, "COLUMNS": HELP_COLUMNS, "LINES": "50", "NO_COLOR": "1", "PYTHON_COLORS": "0"}
    run = subprocess.run(
        [sys.executable, "-c", _HELP_RUNNER, json.dumps(commands)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    helps = {}
    for command, (code, text) in json.loads(run.stdout).items():
        assert code in (0, None), f"{command} --help exited {code}"
        helps[command] = "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"
    return helps


def _subcommands(top_help: str) -> list[str]:
    """The subcommands a program's help lists in its usage (``{sarif,manifest,…} ...``), if any."""
    usage = top_help.split("\n\n", 1)[0]
    found = _SUBCOMMANDS.search(usage)
    return found.group(1).split(",") if found else []


def _all_help() -> dict[str, str]:
    """``python -m PROGRAM [SUBCOMMAND…]`` → its help, for every program and subcommand, nested
    ones included (``python -m service token create``)."""
    helps = _help([f"python -m {p}" for p in PROGRAMS])
    level = dict(helps)
    while level:
        nested = [f"{command} {sub}" for command, text in level.items() for sub in _subcommands(text)]
        level = _help(nested) if nested else {}
        helps.update(level)
    return helps


def _documented(text: str) -> dict[str, str]:
    blocks: dict[str, str] = {}
    for match in _BLOCK.finditer(text):
        assert match.group(1) not in blocks, f"docs/cli.md documents {match.group(1)} twice"
        blocks[match.group(1)] = match.group(2)
    return blocks


def _canonical(text: str) -> str:
    """Help text without its layout: Python 3.13+ writes ``-o, --output OUTPUT`` where 3.11 writes
    ``-o OUTPUT, --output OUTPUT``, and a help line wrapped after a hyphen joins again."""
    text = re.sub(r"(?<![\w-])(-\w) (\S+), (--[\w-]+) \2(?!\S)", r"\1, \3 \2", text)
    text = re.sub(r"(?<=\w-)\n\s*", "", text)
    return " ".join(text.split())


def _refreshed(text: str, helps: dict[str, str]) -> str:
    """docs/cli.md with every block's body replaced by the current help; missing commands appended."""

    def body(match: re.Match[str]) -> str:
        command = match.group(1)
        fresh = helps.get(command, match.group(2))
        return f"```text\n$ {command} --help\n{fresh}```"

    text = _BLOCK.sub(body, text)
    for command in helps:
        if command not in _documented(text):
            text = text.rstrip("\n") + f"\n\n## `{command}`\n\n```text\n$ {command} --help\n{helps[command]}```\n"
    return text


@pytest.fixture(scope="module")
def helps() -> dict[str, str]:
    return _all_help()


def test_every_program_has_the_subcommands_this_reference_expects(helps: dict[str, str]) -> None:
    """The discovery is real: it finds the subcommands of ingest and analytics, and none for the
    auth tool (whose ``{add,check}`` is a choice argument, not a subcommand)."""
    assert {"python -m ingest sarif", "python -m ingest watch", "python -m analytics export"} <= set(helps)
    assert {"python -m service token", "python -m service token create", "python -m ingest push"} <= set(helps)
    assert not any(c.startswith("python -m app_pages.auth ") for c in helps)


def test_cli_reference_equals_help(helps: dict[str, str]) -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    if os.environ.get(UPDATE):
        text = _refreshed(text, helps)
        CLI_MD.write_text(text, encoding="utf-8")
    documented = _documented(text)
    missing = sorted(set(helps) - set(documented))
    assert not missing, f"docs/cli.md has no `$ … --help` block for {missing}; run {UPDATE}=1 pytest {__file__}"
    gone = sorted(set(documented) - set(helps))
    assert not gone, f"docs/cli.md documents commands that no longer exist: {gone}"
    for command, shown in documented.items():
        if _canonical(shown) != _canonical(helps[command]):
            diff = "\n".join(difflib.unified_diff(shown.splitlines(), helps[command].splitlines(), lineterm=""))
            pytest.fail(f"docs/cli.md differs from `{command} --help` (run {UPDATE}=1 pytest {__file__}):\n{diff}")


def test_canonical_form_ignores_layout_only() -> None:
    py311 = "  -o OUTPUT, --output OUTPUT\n                        CSV file to write, or - for\n   stdout\n"
    py313 = "  -o, --output OUTPUT   CSV file to write, or - for stdout\n"
    assert _canonical(py311) == _canonical(py313)
    assert _canonical("line-shift-\n      stable") == _canonical("line-shift-stable")
    assert _canonical("--scale SCALE  1 ≈ 75k") != _canonical("--scale SCALE  1 ≈ 190k")
    assert _canonical("-o OUTPUT, --output FILE") != _canonical("-o, --output FILE")


def test_refresh_fills_blocks_and_appends_missing_commands() -> None:
    text = "# CLI\n\nProse.\n\n```text\n$ python -m x a --help\nold\n```\n\nMore prose.\n"
    helps = {"python -m x a": "usage: a\n", "python -m x b": "usage: b\n"}
    refreshed = _refreshed(text, helps)
    assert _documented(refreshed) == helps
    assert "Prose." in refreshed and "More prose." in refreshed and "old" not in refreshed


# --- links and citations --------------------------------------------------------------------------

_FENCE = re.compile(r"^```.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CODE = re.compile(r"`[^`\n]*`")
_INLINE_LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_REFERENCE_LINK = re.compile(r"^\s*\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.MULTILINE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)
# What a clone from the internet does not have: the specification and fact sheets kept beside the
# checkout, and the issue tracker's numbers.
_OUTSIDE = re.compile(r"\.\./shared|\bSPEC\b|\bFACTS\b|\b(?i:issues?) #?\d+")


def _links(text: str) -> list[str]:
    prose = _CODE.sub("", _FENCE.sub("", text))
    return [*_INLINE_LINK.findall(prose), *_REFERENCE_LINK.findall(prose)]


def _slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces → ``-``."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", _FENCE.sub("", path.read_text(encoding="utf-8")), re.MULTILINE)
    anchors: set[str] = set()
    for heading in headings:
        slug, n = _slug(heading), 1
        while slug in anchors:
            slug, n = f"{_slug(heading)}-{n}", n + 1
        anchors.add(slug)
    return anchors


def _broken(doc: Path, root: Path = ROOT) -> list[str]:
    problems = []
    for target in _links(doc.read_text(encoding="utf-8")):
        if not target or _SCHEME.match(target):
            continue  # an address on the web (there is no network in tests to check it)
        path_part, _, anchor = target.partition("#")
        path = (doc.parent / path_part).resolve() if path_part else doc
        if not path.is_relative_to(root):
            problems.append(f"{target}: outside the repository")
        elif not path.exists():
            problems.append(f"{target}: no such file")
        elif anchor and path.suffix == ".md" and anchor not in _anchors(path):
            problems.append(f"{target}: no heading #{anchor} in {path.relative_to(root)}")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files_of_the_repository(doc: Path) -> None:
    assert _broken(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_cites_documents_a_clone_does_not_have(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    cited = [(text.count("\n", 0, m.start()) + 1, m.group(0)) for m in _OUTSIDE.finditer(text)]
    assert cited == [], f"{doc.relative_to(ROOT)} cites (line, text): {cited}"


# Every text file of the repository, not only the documentation: code comments, docstrings, test
# names, SQL and requirements files cite what a clone has, or say the thing itself.
_TEXT_SUFFIXES = frozenset({".py", ".md", ".toml", ".sql", ".txt", ".sh", ".cfg", ".ini", ".yml", ".yaml", ".csv"})
_NOT_SOURCE = frozenset({".git", ".venv", "data", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"})
# This file spells out what the pattern catches.
_SELF = Path(__file__).resolve().relative_to(ROOT).as_posix()


def _text_files(root: Path = ROOT) -> list[Path]:
    files = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in _NOT_SOURCE or part.startswith(".hypothesis") for part in rel.parts[:-1]):
            continue
        if path.is_file() and (path.suffix in _TEXT_SUFFIXES or path.name == "Makefile" or rel.parts[0] == ".ci"):
            files.append(path)
    return files


def _citations(path: Path) -> list[tuple[int, str]]:
    text = path.read_text(encoding="utf-8", errors="replace")
    return [(text.count("\n", 0, m.start()) + 1, m.group(0)) for m in _OUTSIDE.finditer(text)]


def test_no_file_cites_documents_or_issues_a_clone_does_not_have() -> None:
    cited = {}
    for path in _text_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel != _SELF and (found := _citations(path)):
            cited[rel] = found
    assert cited == {}, f"(line, text) per file: {cited}"


def test_text_files_are_the_sources_not_environments_or_data(tmp_path: Path) -> None:
    for rel in ("a.py", "Makefile", "store/m/001.sql", "docs/x.md", "requirements.txt", ".ci/run"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n", encoding="utf-8")
    for rel in (".venv/lib/site.py", "data/demo/x.md", "a/__pycache__/b.py", "x.sarif", "y.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n", encoding="utf-8")
    found = {p.relative_to(tmp_path).as_posix() for p in _text_files(tmp_path)}
    assert found == {"a.py", "Makefile", "store/m/001.sql", "docs/x.md", "requirements.txt", ".ci/run"}


def test_link_checker_catches_what_it_should(tmp_path: Path) -> None:
    assert _links("see [a](docs/cli.md#x) and `[b](not-a-link.md)`\n```\n[c](nor-this.md)\n```\n[d]: e.md") == [
        "docs/cli.md#x",
        "e.md",
    ]
    assert _slug("§6 Remediation metrics") == "6-remediation-metrics"
    assert _slug("Adding a scanner") == "adding-a-scanner"
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (tmp_path / "outside.md").write_text("# Outside\n", encoding="utf-8")
    (root / "docs" / "cli.md").write_text("# CLI\n", encoding="utf-8")
    (root / "docs" / "definitions.md").write_text("# What\n\n## §6 Remediation metrics\n", encoding="utf-8")
    probe = root / "docs" / "probe.md"
    probe.write_text(
        "[ok](cli.md) [web](https://example.org/x) [gone](nope.md) [out](../../outside.md) "
        "[anchor](definitions.md#no-such-heading) [good](definitions.md#6-remediation-metrics)\n",
        encoding="utf-8",
    )
    assert _broken(probe, root) == [
        "nope.md: no such file",
        "../../outside.md: outside the repository",
        "definitions.md#no-such-heading: no heading #no-such-heading in docs/definitions.md",
    ]
    assert _OUTSIDE.findall("see ../shared/SPEC.md, FACTS, Issue 12 and issue #5; facts and issues stay") == [
        "../shared",
        "SPEC",
        "FACTS",
        "Issue 12",
        "issue #5",
    ]


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


def test_readme_starts_with_the_two_commands() -> None:
    """The front door: the first block of the README is `make run` and `make test`, in that order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = _FENCE.search(readme)
    assert first is not None
    lines = first.group(0).splitlines()[1:-1]
    assert [line.split()[:2] for line in lines] == [["make", "run"], ["make", "test"]]
    assert readme[: first.start()].count("\n") <= 3, "only the title may come before the two commands"
