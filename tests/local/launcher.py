"""Run `gpuforge launch --local` in a child process and read its rank-prefixed output."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import ROOT

TRAINER = ROOT / "examples" / "trainer" / "train.py"
SMALL = ["--d-model", "64", "--layers", "2", "--heads", "2", "--seq-len", "32", "--batch-size", "4"]
"""A model small enough for CI on two cores (~0.1 M parameters)."""
_PREFIX = re.compile(r"^\[rank(\d+)\]: (.*)$")
_GLUED = re.compile(r"\[rank\d+\]: \{")  # a record glued after other output


def project(tmp: Path, *, steps: int, every: int, extra: list[str] = (), name="tiny") -> Path:
    """A scratch project: the shipped stacks and a job file that runs the reference trainer."""
    (tmp / "stacks").mkdir(exist_ok=True)
    for env in ("dev",):
        (tmp / "stacks" / f"{env}.yaml").write_text((ROOT / "stacks" / f"{env}.yaml").read_text())
    command = [str(TRAINER), "--steps", str(steps), *SMALL, *extra]
    job = tmp / "job.yaml"
    job.write_text(
        f"name: {name}\nimage: trainer:1\npool: l4\ncommand: {json.dumps(command)}\n"
        f"checkpoint:\n  uri: s3://{{checkpoints}}/{name}\n  every_steps: {every}\n"
        "max_restarts: 3\ntimeout: 10m\n"
    )
    return job


class Launch:
    """`gpuforge launch JOB -e dev --local --nproc 2`, its output collected line by line."""

    def __init__(self, job: Path, *args: str, env: dict[str, str] | None = None) -> None:
        cmd = [sys.executable, "-m", "gpuforge.cli", "launch", str(job), "-e", "dev", "--local"]
        cmd += ["--nproc", "2", *args]
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            cmd,
            cwd=job.parent,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    def records(self) -> list[tuple[int, dict]]:
        """(rank, JSON object) for every JSON line a rank printed so far (`parse_records`)."""
        with self._cond:
            lines = list(self.lines)
        return parse_records(lines)

    def wait_for(self, predicate: Callable[[list], object], timeout: float = 60) -> object:
        """Block until `predicate(records)` is truthy; its value."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                found = predicate(self.records())
                if found:
                    return found
                left = end - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError("not seen in time:\n" + "\n".join(self.lines[-40:]))
                self._cond.wait(min(left, 0.5))

    def finish(self, timeout: float = 90) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            raise AssertionError("launcher did not finish:\n" + self.output()) from None
        self._reader.join(5)
        return code

    def output(self) -> str:
        return "\n".join(self.lines)


def parse_records(lines: list[str]) -> list[tuple[int, dict]]:
    """(rank, JSON object) for every JSON line a rank printed, in order.

    A rank's line with a record glued on after other output (two writes tailed into
    one line), or one that starts a JSON object it does not finish, is an error naming
    the line: a record must never go missing quietly.
    """
    out = []
    for number, line in enumerate(lines, 1):
        match = _PREFIX.match(line)
        if not match:
            continue
        if _GLUED.search(match[2]):
            raise AssertionError(
                f"output line {number} has a record glued after other output: {line!r}"
            )
        if match[2].startswith("{"):
            try:
                out.append((int(match[1]), json.loads(match[2])))
            except ValueError as exc:
                raise AssertionError(
                    f"output line {number} is not one JSON record ({exc}): {line!r}"
                ) from None
    return out


def steps(records) -> list[dict]:
    return [r for rank, r in records if "step" in r and "event" not in r]


def events(records, kind: str) -> list[tuple[int, dict]]:
    return [(rank, r) for rank, r in records if r.get("event") == kind]


def first(records, kind: str, rank: int | None = None) -> dict | None:
    for r_rank, r in events(records, kind):
        if rank is None or r_rank == rank:
            return r
    return None
