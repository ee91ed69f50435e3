"""Time whole processes, A/B interleaved: wall, CPU (user + sys) and peak RSS of each run.

Each run is `subprocess.Popen` reaped with `os.wait4`, whose rusage is the kernel's
own account of that one child (and of the children it waited for): `ru_utime +
ru_stime` is its CPU time and `ru_maxrss` the peak resident set of the largest single
process in it. Commands given together run in turn (A B A B ..., the order flipped
every other round) after one warm-up each, so that load on a shared machine falls on
all of them; figures are medians, and `ratio` is the median of the run-by-run ratios.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Run:
    wall: float
    cpu: float
    peak_mib: float
    rc: int


@dataclass
class Case:
    label: str
    argv: list[str]
    cwd: Path | None = None
    env: dict[str, str] | None = None
    runs: list[Run] = field(default_factory=list)

    def figure(self, what: str) -> list[float]:
        return [getattr(r, what) for r in self.runs]

    def median(self, what: str = "wall") -> float:
        return statistics.median(self.figure(what))

    def summary(self) -> dict:
        return {
            "label": self.label,
            "n": len(self.runs),
            "rc": sorted({r.rc for r in self.runs}),
            **{
                f"{what}_{stat}": round(fn(self.figure(what)), 4)
                for what in ("wall", "cpu", "peak_mib")
                for stat, fn in (("min", min), ("median", statistics.median), ("max", max))
            },
        }


def process_env() -> dict[str, str]:
    """This environment, with Python's bytecode cache on.

    The build machine sets PYTHONDONTWRITEBYTECODE=1, so every run of an editable
    checkout compiled its ~130 modules from source again (about 0.15 s of a plan); a
    user's Python writes each `.pyc` once, on the first run (here: the warm-up), and
    reads it after. Every tree and peer measured gets the same environment.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    started = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        cwd=cwd,
        env={**process_env(), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        wall=wall,
        cpu=usage.ru_utime + usage.ru_stime,
        peak_mib=usage.ru_maxrss / 1024,
        rc=proc.returncode,
    )


class CommandFailed(RuntimeError):
    """A measured command exited non-zero: its time measures an error path, not the work."""


def check_runs(case: Case) -> None:
    """Raise CommandFailed, with the command's stderr, if `case` has a failed run."""
    codes = sorted({r.rc for r in case.runs} - {0})
    if not codes:
        return
    again = subprocess.run(
        case.argv,
        cwd=case.cwd,
        env={**process_env(), **(case.env or {})},
        capture_output=True,
        text=True,
    )
    tail = (again.stderr or again.stdout).strip().splitlines()[-5:]
    raise CommandFailed(f"{case.label}: exit {codes} ({' '.join(case.argv)}):\n" + "\n".join(tail))


def interleave(cases: list[Case], n: int, warmup: int = 1) -> list[Case]:
    for case in cases:
        for _ in range(warmup):
            warm = run_once(case.argv, case.cwd, case.env)
            case.runs.append(warm)
            check_runs(case)  # a command that fails is an error here, never a figure
            case.runs.clear()
    for i in range(n):
        order = cases if i % 2 == 0 else list(reversed(cases))
        for case in order:
            case.runs.append(run_once(case.argv, case.cwd, case.env))
            check_runs(case)
    return cases


def ratio(a: Case, b: Case, what: str = "wall") -> dict:
    pairs = [x / y for x, y in zip(a.figure(what), b.figure(what), strict=True) if y]
    return {
        "min": round(min(pairs), 3),
        "median": round(statistics.median(pairs), 3),
        "max": round(max(pairs), 3),
    }
