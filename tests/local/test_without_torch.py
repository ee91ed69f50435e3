"""Without torch installed, the commands that run it here say what to install (exit 2)."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from gpuforge.cli.main import cli


@pytest.mark.parametrize(
    "argv",
    [
        ["launch", "examples/jobs/tiny-gpt.yaml", "-e", "dev", "--local"],
        ["validate-pool", "l4", "-e", "dev", "--local", "--nproc", "2"],
    ],
    ids=["launch", "validate-pool"],
)
def test_a_local_run_without_torch_is_one_line_naming_the_extra(monkeypatch, argv):
    monkeypatch.setitem(sys.modules, "torch", None)  # find_spec("torch") is then None
    result = CliRunner().invoke(cli, argv)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "needs PyTorch" in lines[0] and "pip install 'gpuforge[train]'" in lines[0]
