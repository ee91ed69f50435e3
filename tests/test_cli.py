"""The CLI surface: version, help text, validate's table and JSON."""

from __future__ import annotations

import inspect
import json

import click
import pytest

from gpuforge.cli.main import COMMANDS, cli
from tests.conftest import SHIPPED_ENVS


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("gpuforge ")


def _listed_commands(help_text: str) -> dict[str, str]:
    """The rows of the Commands section of `gpuforge --help`: name -> one-line help."""
    rows: dict[str, str] = {}
    name = None
    for line in help_text.split("\nCommands:\n", 1)[1].splitlines():
        if not line.strip():
            break
        if line.startswith("  ") and not line.startswith("   "):
            name, _, short = line.strip().partition(" ")
            rows[name] = short.strip()
        elif name:  # a wrapped row continues, indented further
            rows[name] += " " + line.strip()
    return rows


def test_help_lists_every_registered_command_and_the_exit_codes(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert list(_listed_commands(result.output)) == list(COMMANDS)
    assert {"render", "validate", "plan", "init"} <= set(COMMANDS)
    assert "Exit codes: 0 ok, 1 the check ran and found problems, 2 bad usage" in result.output


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_listed_command_runs_its_help_and_its_summary_is_its_docstring(runner, name):
    listed = _listed_commands(runner.invoke(cli, ["--help"]).output)
    with click.Context(cli) as ctx:
        command = cli.get_command(ctx, name)
    assert command is not None and command.name == name
    first_line = inspect.cleandoc(command.callback.__doc__).splitlines()[0]
    assert listed[name] == COMMANDS[name][2] == first_line
    result = runner.invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: cli {name} ")
    assert first_line in result.output


def test_unknown_command_is_usage_error(runner):
    assert runner.invoke(cli, ["rendr"]).exit_code == 2


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_validate_json(runner, project, env):
    result = runner.invoke(cli, ["validate", "-e", env, "-o", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["environment"] == env
    assert doc["cost"]["as_of"]
    pools = {p["name"]: p for p in doc["cost"]["pools"]}
    assert set(pools) == {p["name"] for p in doc["spec"]["gpu_pools"]}
    for pool in pools.values():
        assert pool["max_gpus"] == pool["gpus_per_node"] * pool["max"]


def test_validate_prod_numbers_come_from_aws_data(runner, project):
    doc = json.loads(runner.invoke(cli, ["validate", "-e", "prod", "-o", "json"]).stdout)
    h100 = next(p for p in doc["cost"]["pools"] if p["name"] == "h100")
    assert (h100["gpu_model"], h100["gpus_per_node"], h100["max_gpus"]) == ("H100", 8, 64)
    assert doc["cost"]["monthly_max"] > doc["cost"]["monthly_min"] > 0
    assert doc["cost"]["gpu_monthly_min"] == 0  # every prod pool scales to zero


def test_validate_table(runner, project):
    result = runner.invoke(cli, ["validate", "-e", "staging"])
    assert result.exit_code == 0, result.output
    assert "staging (stacks/staging.yaml) is valid" in result.stdout
    assert "A100" in result.stdout and "A10G" in result.stdout
    assert "as of" in result.stdout


def test_validate_needs_env(runner, project):
    result = runner.invoke(cli, ["validate"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: validate: give -e ENV")


@pytest.mark.parametrize(
    ("argv", "code"),
    [(["validate", "-e", "prod", "-o", "json"], 0), (["validate", "-e", "nope"], 2), (["nope"], 2)],
)
def test_console_entry_point_keeps_output_and_exit_codes(argv, code):
    """The entry point skips interpreter teardown: output must still arrive whole."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    proc = subprocess.run(
        [sys.executable, "-m", "gpuforge", *argv], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == code, proc.stderr
    if code == 0:
        assert json.loads(proc.stdout)["environment"] == "prod"
    else:
        assert proc.stderr.strip() and "Traceback" not in proc.stderr
