"""The CLI surface: version, help text, validate's table and JSON."""

from __future__ import annotations

import json

import pytest

from gpuforge.cli.main import cli
from tests.conftest import SHIPPED_ENVS


def test_version(runner):
    result = runner.invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("gpuforge ")


def test_help_lists_commands_and_exit_codes(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "render" in result.output and "validate" in result.output
    assert "Exit codes" in result.output


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
