"""Child processes measured by the benchmark: wall time, the peak resident memory of their whole
process trees (worker processes included), their CPU time."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def tree_rss_kb(*roots: int) -> int:
    """Resident memory of processes and all their descendants (KB), from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            pid = int(stat.parent.name)
            parents[pid] = int(fields[1])
            rss[pid] = int(fields[21]) * (os.sysconf("SC_PAGE_SIZE") // 1024)
        except (OSError, ValueError, IndexError):
            continue
    tree, grew = set(roots), True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum(rss.get(pid, 0) for pid in tree)


def run(cmd: list[str]) -> tuple[float, float, str, dict[str, float]]:
    """(seconds, peak RSS in MB of the child's whole process tree — worker processes included —,
    stdout, CPU seconds {"user", "system"} of the child and its descendants) of a child process."""
    seconds, peak, stdouts, cpu = run_all([cmd])
    return seconds, peak, stdouts[0], cpu


def run_all(
    cmds: list[list[str]], env: dict[str, str] | None = None
) -> tuple[float, float, list[str], dict[str, float]]:
    """``run`` for child processes started together: the wall time until the last one ends, the
    peak of their summed process trees' RSS, their outputs, their summed CPU seconds."""

    with contextlib.ExitStack() as stack:
        outs = [
            (stack.enter_context(tempfile.TemporaryFile()), stack.enter_context(tempfile.TemporaryFile())) for _ in cmds
        ]
        start = time.perf_counter()
        procs = [
            subprocess.Popen(cmd, stdout=out, stderr=err, cwd=ROOT, env=env)  # noqa: S603 (our own commands)
            for cmd, (out, err) in zip(cmds, outs, strict=True)
        ]
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.1):
                peak[0] = max(peak[0], tree_rss_kb(*(p.pid for p in procs)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        cpu = {"user": 0.0, "system": 0.0}
        maxrss = 0
        for proc in procs:
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu["user"] += usage.ru_utime
            cpu["system"] += usage.ru_stime
            maxrss = max(maxrss, usage.ru_maxrss)
        seconds = time.perf_counter() - start
        done.set()
        sampler.join()
        stdouts = []
        for proc, cmd, (out, err) in zip(procs, cmds, outs, strict=True):
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(), err.read().decode()
            if proc.returncode not in (0, 3):
                raise SystemExit(f"{' '.join(cmd[:4])}… failed ({proc.returncode}): {stderr[-2000:]}")
            stdouts.append(stdout)
    return seconds, max(peak[0], maxrss) / 1024, stdouts, cpu
