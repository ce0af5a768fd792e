# ruff: noqa: S311 — seeded pseudo-random numbers are the point here: reproducible, not secret.
"""The deterministic demo model: projects, teams, commits, findings and the scans that see them.

Everything comes from ``random.Random`` instances seeded with the seed and a name (the project,
the stream), never from the clock, so that the same seed, scale and end give byte-identical files.
The history ends at the plan's ``end`` (``END`` unless given; the command line passes yesterday)
and runs ``HISTORY_DAYS`` before it, a little over a year, so that the oldest open findings are
security debt (> 365 days) at the end.

The model, per project: a team (how fast it fixes, how much it leaves open, suppresses and
regresses), a DORA profile (how often it deploys, how often a deployment fails or causes an
incident, how fast it recovers), a language and 3–6 scanners. Commits arrive on working days.
Each scanner stream starts with a backlog and gains findings at random commits; each finding is
fixed at a later commit after a time drawn from its severity and the team (or never), sometimes
suppressed in source instead, sometimes fixed and reintroduced later; unrelated edits move its
line. A scan sees the state of every finding at the commit it scanned.

The ground truth lists the episodes the model intends, derived from the same states by docs/definitions.md §5 —
what ingest + lifecycle must reconstruct from the SARIF alone. Deployments and incidents are in
``demo.devops``; writing the files in ``demo.build``.

Why one module: the plan is one model — a finding's arrival, fix, suppression, regression and line
moves are drawn from one random stream per scanner stream in one order, and the ground truth is
derived from those same draws; split across modules, that order (and so byte-identical files for
a seed) would be spread over files that must change together.
"""

from __future__ import annotations

import hashlib
import math
import random
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from demo import catalog
from demo.catalog import ANY, JAVASCRIPT, PYTHON, TERRAFORM, Advisory, RuleSpec
from demo.writers import ResultDoc, ScanDoc

END = datetime(2026, 11, 20, 18, 0, 0)
HISTORY_DAYS = 400

# Scans per week of one scanner stream: CI scans the default branch on most working days (each
# working day with probability 4.3 / 5). Above scale 1 the scale goes into more projects and more
# findings per stream (each × √scale), so files grow with √scale and occurrences about linearly;
# below scale 1 (tests, quick looks) the scans thin out too.
SCANS_PER_WEEK = 4.3
BASE_PROJECTS_COUNT = 8

OPEN, GONE, SUPPRESSED = "open", "gone", "suppressed"
FIXED = "fixed"


# --- teams, DORA profiles, projects -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Team:
    speed: float  # multiplies the median days to fix
    never: float  # multiplies the probability a finding is never fixed
    suppress: float  # multiplies the probability a fix is an in-source suppression
    reopen: float  # probability that a fix regresses later


TEAMS = {
    "fast": Team(speed=0.3, never=0.5, suppress=1.0, reopen=0.05),
    "steady": Team(speed=1.0, never=1.0, suppress=1.0, reopen=0.07),
    "slow": Team(speed=2.5, never=1.5, suppress=1.3, reopen=0.09),
    "legacy": Team(speed=5.0, never=2.2, suppress=0.7, reopen=0.12),
}


@dataclass(frozen=True, slots=True)
class Profile:
    """How a project ships (docs/definitions.md §7); the comments give the DORA class each aims at."""

    commits_per_day: float
    every_days: int  # 1: each working day; 7: weekly; 28: four-weekly; 77: about quarterly
    skip: float  # probability that a planned deployment slot is skipped
    failure: float  # probability that a deployment fails (status failure, retried later)
    incident: float  # probability that a successful deployment causes an incident
    recovery_hours: tuple[float, float]  # resolved_at − finished_at, uniform range


PROFILES = {
    "daily": Profile(8.0, 1, 0.03, 0.03, 0.03, (0.25, 0.9)),  # elite
    "weekly": Profile(5.0, 7, 0.05, 0.06, 0.08, (2.0, 20.0)),  # high
    "monthly": Profile(4.0, 28, 0.08, 0.10, 0.13, (26.0, 120.0)),  # medium
    "quarterly": Profile(3.0, 77, 0.0, 0.15, 0.30, (200.0, 480.0)),  # low
}


@dataclass(frozen=True, slots=True)
class ProjectSpec:
    name: str  # owner/name
    language: str
    team: str
    profile: str
    tools: tuple[str, ...]
    volume: float

    @property
    def short(self) -> str:
        return self.name.split("/", 1)[1]


BASE_PROJECTS: tuple[ProjectSpec, ...] = (
    ProjectSpec("acme/payments", PYTHON, "fast", "daily", ("codeql", "semgrep", "bandit", "trivy", "gitleaks"), 1.0),
    ProjectSpec("acme/identity", PYTHON, "steady", "weekly", ("codeql", "bandit", "trivy", "gitleaks"), 0.8),
    ProjectSpec("acme/data-pipeline", PYTHON, "slow", "monthly", ("bandit", "semgrep", "trivy"), 1.2),
    ProjectSpec(
        "acme/legacy-billing",
        PYTHON,
        "legacy",
        "quarterly",
        ("codeql", "semgrep", "bandit", "trivy", "gitleaks", "checkov"),
        1.3,
    ),
    ProjectSpec("acme/web-shop", JAVASCRIPT, "steady", "daily", ("codeql", "semgrep", "trivy", "gitleaks"), 1.1),
    ProjectSpec("acme/mobile-api", JAVASCRIPT, "slow", "weekly", ("codeql", "semgrep", "trivy"), 0.9),
    ProjectSpec("acme/infra", TERRAFORM, "steady", "weekly", ("checkov", "trivy", "gitleaks"), 1.0),
    ProjectSpec("acme/search", JAVASCRIPT, "fast", "monthly", ("codeql", "trivy", "gitleaks"), 0.7),
)

# Findings per stream at volume 1: the backlog present at the first scan, and arrivals per year.
BACKLOG = {"codeql": 18, "semgrep": 30, "bandit": 40, "trivy": 12, "gitleaks": 3, "checkov": 60}
ARRIVALS = {"codeql": 50, "semgrep": 70, "bandit": 90, "trivy": 36, "gitleaks": 6, "checkov": 50}
# Share of fixes that are in-source suppressions instead (before the team factor).
SUPPRESS = {"codeql": 0.03, "semgrep": 0.12, "bandit": 0.10, "trivy": 0.0, "gitleaks": 0.08, "checkov": 0.15}
SCAN_MINUTE = {"codeql": 10, "semgrep": 25, "bandit": 40, "trivy": 65, "gitleaks": 80, "checkov": 95}
LINE_TOOLS = frozenset({"codeql", "semgrep", "bandit", "checkov"})

SEVERITY_MEDIAN_DAYS = {"critical": 6.0, "high": 20.0, "medium": 50.0, "low": 90.0, "info": 120.0}
SEVERITY_NEVER = {"critical": 0.02, "high": 0.06, "medium": 0.15, "low": 0.3, "info": 0.4}

ECOSYSTEM = {PYTHON: "pip", JAVASCRIPT: "npm", TERRAFORM: "pip"}
LOCKFILES = {
    PYTHON: ("requirements.txt", "poetry.lock", "services/worker/requirements.txt"),
    JAVASCRIPT: ("package-lock.json", "frontend/package-lock.json", "services/gateway/package-lock.json"),
    TERRAFORM: ("lambdas/requirements.txt", "lambdas/ingest/requirements.txt"),
}
AUTHORS = (
    ("Ana Lima", "ana.lima"),
    ("Ben Okafor", "ben.okafor"),
    ("Chen Wei", "chen.wei"),
    ("Dara Novak", "dara.novak"),
    ("Eli Haddad", "eli.haddad"),
    ("Fatma Kaya", "fatma.kaya"),
    ("Gus Moreau", "gus.moreau"),
    ("Hana Sato", "hana.sato"),
)
NAMES = (
    "user_id", "payload", "name", "query", "url", "path", "token", "data", "filename", "body", "params", "cmd",
    "target", "raw", "value", "key", "email", "order_id", "account", "blob", "report", "dest", "config", "item",
)  # fmt: skip
SUBDIRS = {
    PYTHON: ("api", "core", "services", "models", "db", "utils", "workers", "auth", "integrations", "tasks"),
    JAVASCRIPT: ("routes", "controllers", "services", "middleware", "models", "utils", "lib", "components", "api"),
    TERRAFORM: ("network", "storage", "database", "lambda", "iam", "cluster", "queues", "cdn", "registry"),
}
MODULES = tuple(
    f"{a}_{b}"
    for a in ("order", "user", "invoice", "ledger", "refund", "card", "token", "audit", "report", "batch")
    for b in ("views", "handlers", "client", "service", "models", "utils", "tasks", "schemas")
)
SECRET_FILES = (".env.example", "docker-compose.yml", "deploy/values.yaml", "scripts/seed.sh", "docs/setup.md")


def _severity(tool: str, rule: RuleSpec | Advisory) -> str:
    """The normalised severity ingest will give the rule (docs/definitions.md §3), to drive the fix rates."""
    if isinstance(rule, Advisory):
        return rule.severity.lower()
    if rule.score is not None:
        score = float(rule.score)
        return "critical" if score >= 9 else "high" if score >= 7 else "medium" if score >= 4 else "low"
    if tool == "bandit" and rule.word:
        return rule.word.lower()
    return {"error": "high", "warning": "medium", "note": "low"}.get(rule.level, "medium")


# --- the plan: what a seed and a scale produce ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    seed: int
    scale: float
    end: datetime
    projects: tuple[ProjectSpec, ...]
    scans_per_week: float
    volume: float  # multiplies every stream's findings (backlog and arrivals)

    @property
    def start(self) -> datetime:
        return datetime.combine((self.end - timedelta(days=HISTORY_DAYS)).date(), datetime.min.time())


def make_plan(seed: int, scale: float, end: datetime = END) -> Plan:
    """Projects and findings per stream grow with √scale, so occurrences grow about linearly."""
    if not (scale > 0 and math.isfinite(scale)):
        raise ValueError("scale must be a positive number")
    root = math.sqrt(scale)
    n_projects = max(4, round(BASE_PROJECTS_COUNT * root))
    cadence = SCANS_PER_WEEK * min(1.0, scale)
    rng = random.Random(f"{seed}:projects")
    projects = []
    for i in range(n_projects):
        base = BASE_PROJECTS[i % len(BASE_PROJECTS)]
        if i < len(BASE_PROJECTS):
            projects.append(base)
            continue
        projects.append(
            ProjectSpec(
                f"{base.name}-{i // len(BASE_PROJECTS) + 1}",
                base.language,
                rng.choice(sorted(TEAMS)),
                base.profile,
                base.tools,
                round(base.volume * rng.uniform(0.8, 1.2), 3),
            )
        )
    return Plan(seed, scale, end, tuple(projects), cadence, round(root, 3))


# --- commits ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Commit:
    sha: str
    at: datetime
    author: tuple[str, str]
    message: str


def commit_sha(project: str, n: int) -> str:
    return hashlib.sha1(f"{project}\x1f{n}".encode(), usedforsecurity=False).hexdigest()


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def days(start: datetime, end: datetime) -> Iterator[date]:
    day = start.date()
    while day <= end.date():
        yield day
        day += timedelta(days=1)


def make_commits(plan: Plan, project: ProjectSpec) -> list[Commit]:
    rng = random.Random(f"{plan.seed}:commits:{project.name}")
    rate = PROFILES[project.profile].commits_per_day * project.volume
    times = [plan.start + timedelta(hours=8)]
    for day in days(plan.start + timedelta(days=1), plan.end):
        n = _poisson(rng, rate if day.weekday() < 5 else rate * 0.04)
        base = datetime.combine(day, datetime.min.time())
        times.extend(sorted(base + timedelta(minutes=rng.randrange(8 * 60, 19 * 60)) for _ in range(n)))
    times = [t for t in times if t <= plan.end]
    commits = []
    for n, at in enumerate(times):
        author = AUTHORS[rng.randrange(len(AUTHORS))]
        kind = rng.choice(("fix", "feat", "chore", "refactor", "test", "docs"))
        commits.append(
            Commit(commit_sha(project.name, n), at + timedelta(seconds=n % 60), author, f"{kind}: change {n}")
        )
    return commits


# --- findings ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Finding:
    """One finding of one stream and its intended life, in commit indices."""

    rule: RuleSpec | Advisory
    path: str
    snippet: str
    context: tuple[str, str]
    column: int
    transitions: list[tuple[int, str]]  # (commit index, state from then on), strictly increasing
    lines: list[tuple[int, int]]  # (commit index, start line from then on), first at the intro
    leak: tuple[str, str, str, str, str] | None = None

    @property
    def rule_id(self) -> str:
        return self.rule.cve if isinstance(self.rule, Advisory) else self.rule.rule_id

    def line_at(self, rev: int) -> int:
        i = bisect_right(self.lines, (rev, 1 << 30)) - 1
        return self.lines[max(i, 0)][1]


@dataclass(slots=True)
class Stream:
    project: ProjectSpec
    tool: str
    rules: tuple[RuleSpec | Advisory, ...]
    findings: list[Finding] = field(default_factory=list)


def _rules_for(tool: str, language: str) -> tuple[RuleSpec | Advisory, ...]:
    if tool == "trivy":
        eco = ECOSYSTEM[language]
        return tuple(a for a in catalog.TRIVY if a.ecosystem == eco)
    table = {
        "codeql": catalog.CODEQL,
        "semgrep": catalog.SEMGREP,
        "bandit": catalog.BANDIT,
        "gitleaks": catalog.GITLEAKS,
        "checkov": catalog.CHECKOV,
    }[tool]
    if tool == "checkov":  # Terraform and Dockerfiles, in any repository
        return table
    lang = PYTHON if language == TERRAFORM else language  # the infrastructure repo's lambdas
    return tuple(r for r in table if r.language in (lang, ANY))


def _pick_path(rng: random.Random, project: ProjectSpec, tool: str, rule: RuleSpec | Advisory) -> str:
    lang = project.language
    if isinstance(rule, Advisory):
        return rng.choice(LOCKFILES[lang])
    if tool == "checkov":
        if rule.rule_id.startswith("CKV_DOCKER"):
            return rng.choice(("Dockerfile", *(f"services/{s}/Dockerfile" for s in SUBDIRS[PYTHON][:4])))
        if lang == TERRAFORM:
            sub = rng.choice(SUBDIRS[TERRAFORM])
            return rng.choice((f"modules/{sub}/main.tf", f"modules/{sub}/{rng.choice(MODULES)}.tf"))
        return f"deploy/terraform/{rng.choice(SUBDIRS[TERRAFORM])}.tf"
    if lang == TERRAFORM:  # scripts and lambdas of the infrastructure repository
        return f"lambdas/{rng.choice(SUBDIRS[TERRAFORM])}/{rng.choice(MODULES)}.py"
    if tool == "gitleaks" and rng.random() < 0.3:
        return rng.choice(SECRET_FILES)
    sub, mod = rng.choice(SUBDIRS[lang]), rng.choice(MODULES)
    in_tests = rule.rule_id == "B101" and rng.random() < 0.9
    if lang == PYTHON:
        pkg = project.short.replace("-", "_")
        return f"tests/{sub}/test_{mod}.py" if in_tests else f"{pkg}/{sub}/{mod}.py"
    return f"src/{sub}/{mod}.ts"


def _weighted(rng: random.Random, rules: Sequence[RuleSpec | Advisory]) -> RuleSpec | Advisory:
    return rng.choices(rules, weights=[r.weight for r in rules])[0]


class _Life:
    """Draws when a finding is fixed, suppressed, reintroduced — as commit indices."""

    def __init__(self, rng: random.Random, commits: Sequence[Commit], team: Team, tool: str, bumps: list[int]):
        self.rng = rng
        self.times = [c.at for c in commits]
        self.team = team
        self.tool = tool
        self.bumps = bumps  # trivy: dependency-update commits, where its fixes land

    def _commit_after(self, index: int, days: float) -> int | None:
        i = bisect_left(self.times, self.times[index] + timedelta(days=days))
        i = max(i, index + 1)
        if self.bumps:
            j = bisect_left(self.bumps, i)
            if j >= len(self.bumps):
                return None
            i = self.bumps[j]
        return i if i < len(self.times) else None

    def _fix_delay(self, severity: str, old: bool) -> float | None:
        never = SEVERITY_NEVER[severity] * self.team.never * (1.8 if old else 1.0)
        if self.rng.random() < min(never, 0.9):
            return None
        median = SEVERITY_MEDIAN_DAYS[severity] * self.team.speed * (1.5 if old else 1.0)
        return median * math.exp(1.0 * self.rng.gauss(0.0, 1.0))

    def transitions(self, intro: int, severity: str, old: bool) -> list[tuple[int, str]]:
        out = [(intro, OPEN)]
        at, reopens = intro, 0
        while True:
            delay = self._fix_delay(severity, old and reopens == 0)
            fix = self._commit_after(at, delay) if delay is not None else None
            if fix is None:
                return out
            if self.rng.random() < SUPPRESS[self.tool] * self.team.suppress:
                out.append((fix, SUPPRESSED))
                if self.rng.random() < 0.3:  # the suppressed code is deleted later
                    gone = self._commit_after(fix, 30 + 200 * self.rng.random())
                    if gone is not None:
                        out.append((gone, GONE))
                return out
            out.append((fix, GONE))
            if reopens >= 2 or self.rng.random() >= self.team.reopen:
                return out
            back = self._commit_after(fix, 40 * math.exp(0.8 * self.rng.gauss(0.0, 1.0)))
            if back is None:
                return out
            out.append((back, OPEN))
            at, reopens = back, reopens + 1


def _line_moves(rng: random.Random, intro: int, n_commits: int, first_line: int) -> list[tuple[int, int]]:
    lines = [(intro, first_line)]
    moves = _poisson(rng, (n_commits - intro) / 400.0)
    line = first_line
    for at in sorted(rng.sample(range(intro + 1, n_commits), min(moves, max(0, n_commits - intro - 1)))):
        line = max(1, line + rng.choice((-3, -2, -1, 1, 2, 4, 7, 12, 25, 40)))
        lines.append((at, line))
    return lines


def make_stream(plan: Plan, project: ProjectSpec, tool: str, commits: Sequence[Commit]) -> Stream:
    rng = random.Random(f"{plan.seed}:findings:{project.name}:{tool}")
    rules = _rules_for(tool, project.language)
    stream = Stream(project, tool, rules)
    team = TEAMS[project.team]
    n = len(commits)
    bumps = sorted(rng.sample(range(1, n), min(n - 1, max(1, n // 60)))) if tool == "trivy" else []
    life = _Life(rng, commits, team, tool, bumps)
    years = HISTORY_DAYS / 365.25
    backlog = _poisson(rng, BACKLOG[tool] * project.volume * plan.volume)
    arrivals = _poisson(rng, ARRIVALS[tool] * project.volume * plan.volume * years)
    intros = [0] * backlog + sorted(rng.randrange(1, n) for _ in range(arrivals))
    used: set[tuple[str, str]] = set()
    leak_commits: set[int] = set()
    for k, intro in enumerate(intros):
        rule, path = None, ""
        for _ in range(20):  # a (rule, path) pair identifies a finding in the ground truth
            candidate = _weighted(rng, rules)
            path = _pick_path(rng, project, tool, candidate)
            key = (candidate.cve if isinstance(candidate, Advisory) else candidate.rule_id, path)
            if key not in used:
                used.add(key)
                rule = candidate
                break
        if rule is None:
            continue
        leak = None
        if tool == "gitleaks":
            if intro and intro in leak_commits:  # gitleaks fingerprints by commit: one leak per commit
                continue
            leak_commits.add(intro)
            leak = _leak_commit(project, commits, intro, k)
        name = rng.choice(NAMES)
        snippet = rng.choice(rule.snippets).replace("{v}", name) if isinstance(rule, RuleSpec) else ""
        before = f"    # {rng.choice(MODULES)} {k}" if tool != "checkov" else f'  name = "{name}-{k}"'
        after = f"    return {name}" if tool != "checkov" else f'  tags   = {{ team = "{project.team}" }}'
        first_line = 1 if tool == "trivy" else rng.randrange(3, 420)
        lines = _line_moves(rng, intro, n, first_line) if tool in LINE_TOOLS else [(intro, first_line)]
        severity = _severity(tool, rule)
        stream.findings.append(
            Finding(
                rule=rule,
                path=path,
                snippet=snippet if tool != "gitleaks" else "REDACTED",
                context=(before, after),
                column=rng.randrange(1, 17) if tool != "trivy" else 1,
                transitions=life.transitions(intro, severity, old=intro == 0),
                lines=lines,
                leak=leak,
            )
        )
    return stream


def _leak_commit(project: ProjectSpec, commits: Sequence[Commit], intro: int, k: int) -> tuple[str, str, str, str, str]:
    if intro == 0:  # leaked before the history begins: a commit we do not list
        sha = hashlib.sha1(f"{project.name}\x1fbefore\x1f{k}".encode(), usedforsecurity=False).hexdigest()
        name, user = AUTHORS[k % len(AUTHORS)]
        return (sha, name, f"{user}@acme.example", f"2024-03-0{1 + k % 9}T10:00:00Z", f"wip {k}")
    c = commits[intro]
    return (c.sha, c.author[0], f"{c.author[1]}@acme.example", c.at.strftime("%Y-%m-%dT%H:%M:%SZ"), c.message)


# --- scans ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanPoint:
    at: datetime
    rev: int  # index of the commit scanned


def scan_days(plan: Plan, project: ProjectSpec, tool: str) -> list[date]:
    rng = random.Random(f"{plan.seed}:scans:{project.name}:{tool}")
    working = [d for d in days(plan.start + timedelta(days=1), plan.end) if d.weekday() < 5]
    if plan.scans_per_week >= 1:
        p = plan.scans_per_week / 5.0
        chosen = [d for d in working if rng.random() < p]
    else:
        chosen, step = [], 7.0 / plan.scans_per_week
        t = rng.uniform(0, step * 0.3)
        while t < len(working) * 7 / 5:
            i = min(len(working) - 1, int(t * 5 / 7))
            chosen.append(working[i])
            t += step * rng.uniform(0.8, 1.2)
    # always a scan on the first and last working day, so backlog and end state are seen
    return sorted({working[0], *chosen, working[-1]})


def scan_points(plan: Plan, project: ProjectSpec, tool: str, commits: Sequence[Commit]) -> list[ScanPoint]:
    rng = random.Random(f"{plan.seed}:scantimes:{project.name}:{tool}")
    times = [c.at for c in commits]
    points = []
    for day in scan_days(plan, project, tool):
        at = datetime.combine(day, datetime.min.time()) + timedelta(
            hours=2, minutes=SCAN_MINUTE[tool], seconds=rng.randrange(0, 600)
        )
        rev = bisect_right(times, at) - 1
        if rev >= 0:
            points.append(ScanPoint(at, rev))
    return points


def states_by_scan(finding: Finding, revs: Sequence[int]) -> list[tuple[int, int, str]]:
    """``(first scan, end scan exclusive, state)`` ranges where the finding is open or suppressed."""
    out: list[tuple[int, int, str]] = []
    marks = finding.transitions
    for i, (at, state) in enumerate(marks):
        if state == GONE:
            continue
        until = marks[i + 1][0] if i + 1 < len(marks) else 1 << 62
        k0, k1 = bisect_left(revs, at), bisect_left(revs, until)
        if k0 < k1:
            if out and out[-1][2] == state and out[-1][1] == k0:  # no scan saw it gone: one range
                out[-1] = (out[-1][0], k1, state)
            else:
                out.append((k0, k1, state))
    return out


@dataclass(frozen=True, slots=True)
class Episode:
    project: str
    tool: str
    rule_id: str
    path: str
    seq: int
    opened_at: datetime
    closed_at: datetime | None
    status: str


def episodes_of(
    stream: Stream, finding: Finding, points: Sequence[ScanPoint], ranges: list[tuple[int, int, str]]
) -> list[Episode]:
    """docs/definitions.md §5 applied to what the scans show: islands of open scans; closed at the next scan."""
    suppressed_at = {k0 for k0, _, state in ranges if state == SUPPRESSED}
    out: list[Episode] = []
    for k0, k1, state in ranges:
        if state != OPEN:
            continue
        closed = points[k1].at if k1 < len(points) else None
        status = OPEN if closed is None else SUPPRESSED if k1 in suppressed_at else FIXED
        out.append(
            Episode(
                stream.project.name,
                stream.tool,
                finding.rule_id,
                finding.path,
                len(out) + 1,
                points[k0].at,
                closed,
                status,
            )
        )
    return out


def scan_docs(
    stream: Stream, points: Sequence[ScanPoint], commits: Sequence[Commit]
) -> tuple[list[ScanDoc], list[Episode], int]:
    """The SARIF content of every scan of a stream, the intended episodes and the finding count."""
    revs = [p.rev for p in points]
    per_scan: list[list[ResultDoc]] = [[] for _ in points]
    episodes: list[Episode] = []
    seen = 0
    for f in stream.findings:
        ranges = states_by_scan(f, revs)
        if not ranges:
            continue
        seen += 1
        episodes.extend(episodes_of(stream, f, points, ranges))
        seed = f"{stream.project.name}|{stream.tool}|{f.rule_id}|{f.path}"
        for k0, k1, state in ranges:
            for k in range(k0, k1):
                per_scan[k].append(
                    ResultDoc(
                        f.rule,
                        f.path,
                        f.line_at(revs[k]),
                        f.column,
                        f.snippet,
                        f.context,
                        state == SUPPRESSED,
                        seed,
                        f.leak,
                    )
                )
    project = stream.project
    docs = []
    for point, results in zip(points, per_scan, strict=True):
        results.sort(key=lambda r: (r.path, r.line, _rule_key(r.rule)))
        used = {_rule_key(r.rule) for r in results}
        listed = stream.rules if stream.tool in ("codeql", "semgrep", "gitleaks") else ()
        rules = [r for r in stream.rules if r in listed or _rule_key(r) in used]
        docs.append(
            ScanDoc(
                project=project.name,
                tool=stream.tool,
                language=PYTHON if project.language == TERRAFORM else project.language,
                scanned_at=point.at,
                started_at=point.at - timedelta(seconds=60 + len(results) // 4),
                commit=commits[point.rev].sha,
                workspace=f"/home/runner/work/{project.short}/{project.short}",
                rules=rules,
                results=results,
            )
        )
    return docs, episodes, seen


def _rule_key(rule: RuleSpec | Advisory) -> str:
    return rule.cve if isinstance(rule, Advisory) else rule.rule_id
