"""Class 7: Click's usage errors are one line in the contract's format, with the hint, for
every command (done once, in `cli/main.py`)."""

from __future__ import annotations

import pytest

from gpuforge.cli.main import COMMANDS
from tests.inputs.conftest import ROOT, refuse

JOB = str(ROOT / "examples" / "jobs" / "tiny-gpt.yaml")

CASES = {
    "unknown command": (["nosuchcmd"], "no such command"),
    "unknown global option": (["--bogus"], "--bogus"),
    "global option without value": (["render", "-e"], "-e"),
    "launch --nproc 0": (["launch", JOB, "-e", "dev", "--local", "--nproc", "0"], "--nproc"),
    "launch -o yaml": (["launch", JOB, "-e", "dev", "-o", "yaml"], "-o/--output"),
    "launch without a job": (["launch"], "JOB.yaml"),
    "launch unknown option": (["launch", JOB, "-e", "dev", "--bogus"], "--bogus"),
    "launch near miss": (["launch", JOB, "-e", "dev", "--dry-ru"], "did you mean --dry-run"),
    "emulate --port 70000": (["emulate", "k8s", "-e", "dev", "--port", "70000"], "--port"),
    "emulate unknown subcommand": (["emulate", "nosuch"], "no such command"),
    "image unknown subcommand": (["image", "nosuch"], "no such command"),
    "jobs extra argument": (["jobs", "-e", "dev", "extra"], "extra"),
    "jobs -o yaml": (["jobs", "-e", "dev", "-o", "yaml"], "-o/--output"),
    "status without name": (["status", "-e", "dev"], "NAME"),
    "logs --rank -1": (["logs", "a", "-e", "dev", "--rank", "-1"], "--rank"),
    "validate -o yaml": (["validate", "-e", "dev", "-o", "yaml"], "-o"),
    "plan -o yaml": (["plan", "-e", "dev", "-o", "yaml"], "-o"),
    "validate-pool bad option": (["validate-pool", "--bogus"], "--bogus"),
    "init two directories": (["init", "a", "b"], "extra"),
    "render --out without value": (["render", "-e", "dev", "--out"], "--out"),
    "cancel missing -e": (["cancel", "a"], "-e"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_usage_errors_are_one_line(case, project):
    args, needle = CASES[case]
    line = refuse(args, needle)
    assert "--help" in line or "did you mean" in line or line.endswith(")"), line


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in ("image", "emulate")])
def test_every_command_answers_an_unknown_option_in_one_line(command, project):
    line = refuse([command, "--no-such-option"], "--no-such-option")
    assert f"gpuforge {command}" in line
