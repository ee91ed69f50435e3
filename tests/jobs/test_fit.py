"""Jobs that can never run are refused before anything is sent: reason, what fits, exit 2."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from gpuforge.cli.main import cli
from gpuforge.jobs.fit import check_fit
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import pricing
from gpuforge.model.loader import spec_from_data
from gpuforge.model.node_reserve import (
    kube_reserved_cpu_milli,
    kube_reserved_memory_mib,
    node_reserve,
)
from tests.conftest import ROOT, shipped_spec
from tests.jobs.conftest import BASE_JOB, env_spec
from tests.jobs.test_job_spec import _one_line


def _job(**changes) -> dict:
    data = copy.deepcopy(BASE_JOB)
    data.update(changes)
    return data


def _env_file(tmp_path, base: str, change) -> str:
    data = copy.deepcopy(shipped_spec(base))
    change(data)
    path = tmp_path / f"{base}-custom.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def _launch(runner, job_path, env="prod", *extra):
    return runner.invoke(cli, ["launch", str(job_path), "-e", env, "--dry-run", *extra])


@pytest.fixture(autouse=True)
def _at_root(monkeypatch):
    monkeypatch.chdir(ROOT)


# job changes -> (field, needles); against stacks/prod.yaml
REFUSALS = {
    "pool does not exist": (
        {"pool": "h200"},
        "pool",
        ["prod has no GPU pool 'h200'", "h100 (p5.48xlarge, 8x H100, up to 8 nodes)"],
    ),
    "more GPUs than the node has": (
        {"gpus_per_node": 16},
        "gpus_per_node",
        ["16 GPUs per node, but a p5.48xlarge node has 8", "use gpus_per_node: 8 or fewer"],
    ),
    "more nodes than the pool's max": (
        {"nodes": 9},
        "nodes",
        ["9 nodes, but pool h100 scales to at most 8", "raise gpu_pools[0].max"],
    ),
    "bucket not in the environment": (
        {"checkpoint": {"uri": "s3://{models}/x"}},
        "checkpoint.uri",
        ["prod has no bucket 'models'", "may write: checkpoints, artifacts"],
    ),
    "checkpoint in a bucket training pods may only read": (
        {"checkpoint": {"uri": "s3://{datasets}/x"}},
        "checkpoint.uri",
        ["training pods may not write bucket 'datasets'", "may write: checkpoints, artifacts"],
    ),
    "more CPU than the node leaves": (
        {"cpu": 192},
        "cpu",
        ["192 CPUs per node", "leaves 190.98 of its 192", "use cpu: 190980m or less"],
    ),
    "more memory than the node leaves": (
        {"memory": "2Ti"},
        "memory",
        ["2097152 MiB per node", "leaves 1938207 MiB", "use memory: 1938207Mi or less"],
    ),
    "priority on a backend that cannot set one": (
        {"pool": "l40s", "backend": "trainjob", "priority": "high"},
        "priority",
        ["trainjob backend cannot set a pod priority"],
    ),
}


def _line_of(path, key: str) -> int:
    """1-based line of the first `key:` in the file (the line an error must name)."""
    lines = path.read_text().splitlines()
    return next(i for i, text in enumerate(lines, 1) if text.strip().startswith(f"{key}:"))


@pytest.mark.parametrize("case", list(REFUSALS))
def test_refusals(case, runner, write_job):
    changes, field, needles = REFUSALS[case]
    path = write_job(_job(**changes))
    result = _launch(runner, path)
    _one_line(result, f"job.yaml:{_line_of(path, field.split('.')[-1])}", field, *needles)


def test_total_gpus_over_max_gpus(runner, write_job, tmp_path):
    env = _env_file(tmp_path, "prod", lambda d: d["training"].update(max_gpus=8))
    result = _launch(runner, write_job(_job()), env)
    _one_line(
        result,
        "job.yaml:4",
        "nodes",
        "2 x 8 = 16 GPUs, more than training.max_gpus (8) of prod",
        "e.g. nodes: 1 with 8 GPUs each",
    )
    assert _launch(runner, write_job(_job(nodes=1)), env).exit_code == 0


def test_max_gpus_caps_jobs_not_pools(runner, write_job, tmp_path):
    """training.max_gpus means "most GPUs one job may ask for", nothing else.

    A pool whose one node has more GPUs than the cap is a valid environment; a job
    asking the whole node is refused, one asking for a share fits.
    """

    def change(data):
        data["gpu_pools"][0]["instance_type"] = "g6.48xlarge"
        data["training"]["max_gpus"] = 4

    env = _env_file(tmp_path, "dev", change)
    assert runner.invoke(cli, ["validate", "-e", env]).exit_code == 0
    job = {"name": "small", "image": "img:1", "pool": "l4", "command": ["t.py"]}
    result = _launch(runner, write_job(job), env)
    _one_line(
        result,
        "job.yaml",
        "gpus_per_node",
        "1 x 8 = 8 GPUs, more than training.max_gpus (4)",
        "nodes: 1 with gpus_per_node: 4",
    )
    assert _launch(runner, write_job({**job, "gpus_per_node": 4}), env).exit_code == 0


def test_queue_on_an_environment_that_does_not_queue(runner, write_job):
    job = {"name": "q", "image": "img:1", "pool": "l4", "command": ["t.py"], "queue": "research"}
    path = write_job(job)
    result = _launch(runner, path, "dev")
    _one_line(result, f"job.yaml:{_line_of(path, 'queue')}", "queue", "dev does not queue jobs")


def test_checkpoint_bucket_the_pods_may_not_write(runner, write_job, monkeypatch):
    monkeypatch.setattr("gpuforge.jobs.fit.writable_buckets", lambda env: ["checkpoints"])
    path = write_job(_job(checkpoint={"uri": "s3://{datasets}/x"}))
    result = _launch(runner, path)
    _one_line(
        result,
        f"job.yaml:{_line_of(path, 'uri')}",
        "checkpoint.uri",
        "training pods may not write bucket 'datasets'",
        "may write: checkpoints",
    )


def test_what_fits_is_the_gpu_share_of_allocatable():
    env = env_spec("prod")
    job = JobSpec.model_validate({**BASE_JOB, "pool": "l40s", "gpus_per_node": 1, "nodes": 1})
    fit = check_fit(job, env)
    room = node_reserve(env.pool("l40s"))
    assert (fit.cpu_milli_per_node, fit.memory_mib_per_node) == (
        room.default_cpu_milli // 4,
        room.default_memory_mib // 4,
    )
    assert (fit.transport, fit.efa_devices_per_node, fit.queue) == ("tcp", 0, "training")
    assert fit.hourly_usd == pricing.hourly_usd("g6e.12xlarge")


def test_reserve_model_matches_the_eks_formulas():
    # 6% + 1% + 2 x 0.5% + 188 x 0.25% of a core for 192 vCPUs; 11 MiB x 100 pods + 255 MiB
    # (p5.48xlarge: 2 ENIs on the default card x 49 + 2); memory less Karpenter's 7.5%
    assert kube_reserved_cpu_milli(192) == 60 + 10 + 10 + 470
    assert kube_reserved_cpu_milli(2) == 70
    assert kube_reserved_memory_mib("p5.48xlarge") == 1355
    room = node_reserve(env_spec("prod").pool("h100"))
    assert room.free_cpu_milli == 192_000 - 550 - room.daemonset_cpu_milli
    assert room.free_memory_mib == (2_097_152 - 157_287 - 1355 - 100 - room.daemonset_memory_mib)


def test_dry_run_summary_names_transport_and_cost(runner, write_job):
    result = _launch(runner, write_job(_job()))
    assert result.exit_code == 0, result.output
    assert "pool h100: 2 nodes x 8 H100 = 16 GPUs (p5.48xlarge)" in result.stderr
    assert "transport: EFA (32 devices per node, GPUDirect RDMA)" in result.stderr
    assert f"cost: ${2 * pricing.hourly_usd('p5.48xlarge'):,.2f}/h at full size" in result.stderr
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["kind"] for d in docs] == ["Service", "Job"]


def test_multi_node_tcp_is_a_warning_never_silent(runner, write_job):
    result = _launch(runner, write_job(_job(pool="l40s", gpus_per_node=4)))
    assert result.exit_code == 0, result.output
    assert "warning: transport: TCP - pool l40s has no EFA" in result.stderr
    job = yaml.safe_load_all(result.stdout)
    env = {e["name"]: e.get("value") for e in list(job)[1]["spec"]["template"]["spec"][
        "containers"][0]["env"]}  # fmt: skip
    assert env["GPUFORGE_TRANSPORT"] == "tcp" and "FI_PROVIDER" not in env


def test_json_is_one_document(runner, write_job):
    result = _launch(runner, write_job(_job()), "prod", "-o", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["dry_run"] is True and doc["sent"] is False
    assert doc["summary"]["transport"] == "efa" and doc["summary"]["total_gpus"] == 16
    assert [m["kind"] for m in doc["manifests"]] == ["Service", "Job"]


def test_fit_with_env_from_data_matches_the_loader():
    data = shipped_spec("prod")
    fit = check_fit(JobSpec.model_validate(BASE_JOB), spec_from_data(data))
    assert (fit.nodes, fit.gpus_per_node, fit.priority_class) == (2, 8, "gpuforge-normal")
