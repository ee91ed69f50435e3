"""`launch` of a name that is taken prints its error alone (issue 22, class 7): the summary
of what would be launched comes only once the name is known to be free."""

from __future__ import annotations

from gpuforge.cli.main import cli
from tests.jobs.conftest import EXAMPLES

JOB = str(EXAMPLES / "llama-2x8-h100.yaml")


def test_a_taken_name_prints_only_the_error(runner, api, env_file, kubeconfig):
    args = ["launch", JOB, "-e", env_file, "--kubeconfig", kubeconfig]
    first = runner.invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert first.stderr.splitlines()[0].startswith("job llama-8b-pretrain on ")  # the summary first

    again = runner.invoke(cli, args)
    assert again.exit_code == 1
    lines = again.stderr.strip().splitlines()
    assert len(lines) == 1, again.stderr
    assert lines[0].startswith("error: ") and "--replace" in lines[0]

    runner.invoke(cli, ["cancel", "llama-8b-pretrain", "-e", env_file, "--kubeconfig", kubeconfig])
