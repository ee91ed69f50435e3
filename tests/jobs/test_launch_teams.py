"""Teams through the CLI, against the emulated API: `launch --team` lands in the team's
namespace and queue, `jobs` shows the team, `--all-teams` shows every team's jobs, and
`status`/`cancel` find a job by its team."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from gpuforge.cli.main import cli
from gpuforge.jobs import resources
from tests.conftest import ROOT
from tests.jobs.conftest import EXAMPLES


def _env_file(tmp_path) -> str:
    path = tmp_path / "shared.yaml"
    path.write_text((ROOT / "stacks" / "shared.yaml").read_text())
    return str(path)


def _job_file(env_file: str) -> str:
    """The 2x8 H100 example without its `data:` mount (`shared` has no file system)."""
    job = yaml.safe_load((EXAMPLES / "llama-2x8-h100.yaml").read_text())
    job.pop("data", None)
    path = Path(env_file).parent / "llama.yaml"
    path.write_text(yaml.safe_dump(job))
    return str(path)


def _launch(runner, env_file, kubeconfig, team: str, name: str, *extra: str):
    args = [_job_file(env_file), "-e", env_file, "--kubeconfig", kubeconfig]
    args += ["--team", team, "--set", f"name={name}"]
    args += ["--set", f"checkpoint.uri=s3://{{checkpoints}}/{team}/{name}", *extra]
    return runner.invoke(cli, ["launch", *args, "-o", "json"])


def test_launch_jobs_status_cancel_by_team(runner, api, kubeconfig, tmp_path):
    env_file = _env_file(tmp_path)
    sent = _launch(runner, env_file, kubeconfig, "vision", "vit-a")
    assert sent.exit_code == 0, sent.output
    doc = json.loads(sent.stdout)
    assert (doc["summary"]["team"], doc["summary"]["namespace"]) == ("vision", "vision")
    (job,) = [
        o for o in api.stored(resources.BATCH_JOB, "vision") if o["metadata"]["name"] == "vit-a"
    ]
    labels = job["metadata"]["labels"]
    assert labels["gpuforge.dev/team"] == "vision"
    assert labels["kueue.x-k8s.io/queue-name"] == "training"
    high = _launch(runner, env_file, kubeconfig, "nlp", "bert-a")
    assert high.exit_code == 2 and "team nlp may use priorities low, normal" in high.stderr
    normal = _launch(runner, env_file, kubeconfig, "nlp", "bert-a", "--set", "priority=normal")
    assert normal.exit_code == 0, normal.output

    common = ["-e", env_file, "--kubeconfig", kubeconfig, "-o", "json"]
    mine = json.loads(runner.invoke(cli, ["jobs", "--team", "vision", *common]).stdout)
    assert [(j["team"], j["name"]) for j in mine["jobs"]] == [("vision", "vit-a")]
    every = runner.invoke(cli, ["jobs", "--all-teams", *common])
    assert every.exit_code == 0, every.output
    listed = json.loads(every.stdout)
    assert listed["namespaces"] == ["vision", "nlp"]
    assert sorted((j["team"], j["name"]) for j in listed["jobs"]) == [
        ("nlp", "bert-a"),
        ("vision", "vit-a"),
    ]
    table = runner.invoke(cli, ["jobs", "--all-teams", "-e", env_file, "--kubeconfig", kubeconfig])
    assert "team" in table.stdout and "nlp" in table.stdout

    status = runner.invoke(cli, ["status", "vit-a", "--team", "vision", *common])
    assert status.exit_code == 0, status.output
    assert json.loads(status.stdout)["job"]["team"] == "vision"
    lost = runner.invoke(cli, ["status", "vit-a", "--team", "nlp", *common])
    assert lost.exit_code == 1  # not in nlp's namespace

    cancel = runner.invoke(
        cli, ["cancel", "vit-a", "--team", "vision", "-e", env_file, "--kubeconfig", kubeconfig]
    )
    assert cancel.exit_code == 0, cancel.output
    assert not [
        o for o in api.stored(resources.BATCH_JOB, "vision") if o["metadata"]["name"] == "vit-a"
    ]


def test_a_team_is_required_and_refused_in_one_line(runner, kubeconfig, tmp_path):
    env_file = _env_file(tmp_path)
    common = ["-e", env_file, "--kubeconfig", kubeconfig]
    none = runner.invoke(cli, ["jobs", *common])
    assert none.exit_code == 2
    assert none.stderr.strip() == (
        "error: --team: shared has teams; the job must name one "
        "(add team: <name> or pass --team; its teams: vision, nlp)"
    )
    both = runner.invoke(cli, ["jobs", "--team", "nlp", "--all-teams", *common])
    assert both.exit_code == 2
    over = _launch(runner, env_file, kubeconfig, "nlp", "too-big", "--set", "nodes=4")
    assert over.exit_code == 2
    assert "more than team nlp can hold on pool h100" in over.stderr
    assert len(over.stderr.strip().splitlines()) == 1


def test_without_teams_nothing_changes_for_the_user(runner, env_file, kubeconfig):
    spec = yaml.safe_load(Path(env_file).read_text())
    assert "teams" not in spec
    listed = runner.invoke(cli, ["jobs", "-e", env_file, "--kubeconfig", kubeconfig, "-o", "json"])
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.stdout)["namespace"] == spec["training"]["namespace"]
