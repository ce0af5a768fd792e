"""Teams and what they own: ownership rules, their patterns and how specific each one is.

A rule gives a team a project pattern and, optionally, a path pattern inside the matching
projects, written ``"acme/pay-*"`` or ``"acme/shop:src/checkout/**"`` in ``[teams]``. A finding
belongs to the team of the most specific rule that matches its project and path, ranked by
``Rule.specificity``:

1. a rule with a path pattern beats one without;
2. then the rule with more literal characters (every character that is not a wildcard, in the
   project and path patterns together);
3. then the earlier rule in the configuration (teams in file order, patterns in list order).

A finding that no rule matches belongs to ``unowned``. The patterns are shell-style:

* in a project pattern ``*`` matches any run of characters (``/`` too), ``?`` one character;
* in a path pattern ``*`` matches within one path segment, ``?`` one character but ``/``, ``**``
  any number of segments (``src/**`` everything under ``src/``, ``**/test_*.py`` a test file at
  any depth); a pattern ending in ``/`` matches everything under that folder; a leading ``/``
  is ignored (paths are relative to the repository's root).

Each pattern becomes an anchored regular expression written in the subset that RE2 (DuckDB) and
PostgreSQL's regular expressions read alike, so that the database resolves teams at query time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

UNOWNED = "unowned"
_META = set(".^$*+?()[]{}|\\")


def _literal(ch: str) -> str:
    return "\\" + ch if ch in _META else ch


def project_regex(pattern: str) -> str:
    """An anchored regex for a project pattern (``*`` any characters, ``?`` one)."""
    out = []
    for ch in pattern:
        out.append(".*" if ch == "*" else "." if ch == "?" else _literal(ch))
    return "^" + "".join(out) + "$"


def path_regex(pattern: str) -> str:
    """An anchored regex for a path pattern (``*`` within a segment, ``**`` across segments)."""
    pattern = pattern.lstrip("/")
    if pattern.endswith("/"):
        pattern += "**"
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(_literal(pattern[i]))
            i += 1
    return "^" + "".join(out) + "$"


def literal_chars(pattern: str) -> int:
    """How many characters of a pattern are not wildcards."""
    return sum(1 for ch in pattern if ch not in "*?")


@dataclass(frozen=True, slots=True)
class Rule:
    """One ownership rule: ``team`` owns ``project`` [``:path``]; ``order`` its place in the config."""

    team: str
    project: str
    path: str | None
    order: int

    @classmethod
    def parse(cls, team: str, text: str, order: int) -> Rule:
        project, sep, path = text.partition(":")
        return cls(team, project.strip(), path.strip() if sep else None, order)

    @property
    def text(self) -> str:
        return self.project if self.path is None else f"{self.project}:{self.path}"

    def specificity(self) -> tuple[int, int, int]:
        """Smaller sorts first, and the first rule that matches wins."""
        literals = literal_chars(self.project) + literal_chars(self.path or "")
        return (0 if self.path is not None else 1, -literals, self.order)

    def regexes(self) -> tuple[str, str]:
        return project_regex(self.project), path_regex(self.path) if self.path is not None else ""


def parse_rules(teams: Mapping[str, Iterable[str]]) -> tuple[Rule, ...]:
    """``[teams]`` (team → patterns) as rules, most specific first."""
    rules: list[Rule] = []
    for team, patterns in teams.items():
        for pattern in patterns:
            rules.append(Rule.parse(team, pattern, len(rules)))
    return tuple(sorted(rules, key=Rule.specificity))


def resolve(rules: Iterable[Rule], project: str, path: str) -> str:
    """The team of one finding by the config's rules, in Python (the SQL twin, which also reads
    the CODEOWNERS imports, is ``analytics.teams.team_sql``)."""
    for rule in sorted(rules, key=Rule.specificity):
        p_re, x_re = rule.regexes()
        if re.search(p_re, project) and (not x_re or re.search(x_re, path)):
            return rule.team
    return UNOWNED


# ------------------------------------------------------------------------------------ CODEOWNERS
def literal_regex(text: str) -> str:
    """An anchored regex matching exactly ``text``."""
    return "^" + "".join(_literal(ch) for ch in text) + "$"


def codeowners_regex(pattern: str) -> str:
    """A CODEOWNERS pattern (gitignore rules) as an anchored path regex: a pattern with no ``/``
    but a trailing one matches at any depth (``*.js``, ``docs/``); a leading or inner ``/``
    anchors it at the root; a pattern matches the path itself and everything under it."""
    dir_only = pattern.endswith("/")
    core = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in core
    glob = core if anchored else f"**/{core}"
    regex = path_regex(glob)
    return regex[:-1] + ("/.*$" if dir_only else "(/.*)?$")


@dataclass(frozen=True, slots=True)
class OwnerLine:
    line_no: int
    pattern: str
    owners: tuple[str, ...]

    @property
    def owner(self) -> str:
        """The line's first owner ("" when the line names none: its paths are unowned)."""
        return self.owners[0] if self.owners else ""


def parse_codeowners(text: str) -> list[OwnerLine]:
    """The rule lines of a CODEOWNERS file: ``pattern owner…``; blank lines and ``#`` comments
    skipped (an escaped ``\\#`` starts a pattern)."""
    out = []
    for no, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split("#", 1)[0].split() if not line.startswith("\\#") else line.split()
        if not parts:
            continue
        pattern = parts[0].replace("\\#", "#")
        out.append(OwnerLine(no, pattern, tuple(parts[1:])))
    return out
