"""Shared by the input-class tests (issue 22): run a bad input through the real CLI and
check the contract: exit 2, one line `error: <where>: [<field>: ]<problem> (<hint>)`,
no traceback, within a few seconds, and nothing written."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from gpuforge.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
ONE_LINE = re.compile(r"error: (?P<where>[^\n]+?): (?P<rest>[^\n]+) \((?P<hint>[^\n]+)\)")
SECONDS = 5.0
"""Each bad input is answered within this (a second or two here; CI machines are slower)."""


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under `folder` with its size and mtime: 'nothing written' is equality."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            try:
                info = path.lstat()
            except OSError:
                continue
            out[str(path.relative_to(folder))] = (info.st_size, info.st_mtime_ns)
    return out


def assert_refused(result_stderr: str, exit_code: int, *needles: str, code: int = 2) -> str:
    """The contract for one bad input; returns the error line."""
    assert exit_code == code, f"exit {exit_code}: {result_stderr}"
    assert "Traceback" not in result_stderr, result_stderr
    lines = result_stderr.strip().splitlines()
    assert len(lines) == 1, result_stderr
    line = lines[0]
    match = ONE_LINE.fullmatch(line)
    assert match, f"not `error: <where>: <problem> (<hint>)`: {line}"
    assert "None" not in match["where"] + match["rest"].split("(")[0], line
    for needle in needles:
        assert needle in line, line
    return line


def refuse(args: list[str], *needles: str, cwd: Path | None = None, code: int = 2) -> str:
    """Run `gpuforge *args` in-process; assert the contract and that nothing was written."""
    folder = cwd or Path.cwd()
    before = snapshot(folder)
    start = time.monotonic()
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    elapsed = time.monotonic() - start
    line = assert_refused(result.stderr, result.exit_code, *needles, code=code)
    assert elapsed < SECONDS, f"{elapsed:.1f} s: {line}"
    assert snapshot(folder) == before, f"something was written: {line}"
    return line


def refuse_in_process(args: list[str], *needles: str, cwd: Path, code: int = 2) -> str:
    """As `refuse`, in a fresh `gpuforge` process with a hard timeout (reads that could block)."""
    before = snapshot(cwd)
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "gpuforge.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    elapsed = time.monotonic() - start
    line = assert_refused(proc.stderr, proc.returncode, *needles, code=code)
    assert elapsed < SECONDS + 5, f"{elapsed:.1f} s: {line}"  # + interpreter start
    assert snapshot(cwd) == before, f"something was written: {line}"
    return line


@pytest.fixture
def job_text() -> str:
    """A job file that launches (dry run) on the shipped dev environment."""
    return (ROOT / "examples" / "jobs" / "tiny-gpt.yaml").read_text()
