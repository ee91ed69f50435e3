"""`validate-pool` without --local: the burn-in job for a pool, rendered through the job model."""

from __future__ import annotations

import ast
import json
import sys

import kubernetes_validate
import pytest
import yaml

from gpuforge.cli.main import cli
from gpuforge.jobs import burnin_job, pod
from gpuforge.jobs.burnin import NODE_NAME_VAR
from gpuforge.jobs.fit import check_fit
from gpuforge.model import pools
from tests.conftest import ROOT, SHIPPED_ENVS
from tests.jobs.conftest import env_spec

TRAINER = "111122223333.dkr.ecr.us-east-1.amazonaws.com/training/trainer:1"
"""The training image (`gpuforge image render`), as `--image` names it."""
POOLS = [(env, p.name) for env in SHIPPED_ENVS for p in env_spec(env).gpu_pools]


def render(env_name: str, pool_name: str, nodes: int | None = None) -> tuple:
    env = env_spec(env_name)
    pool = burnin_job.pool_of(env, pool_name)
    count = burnin_job.node_count(env, pool, nodes)
    job = burnin_job.burnin_job(env, pool, nodes=count, image=TRAINER)
    return env, pool, job, burnin_job.render(check_fit(job, env))


@pytest.mark.parametrize(("env_name", "pool_name"), POOLS)
def test_every_shipped_pool_renders_valid_manifests_that_take_whole_nodes(env_name, pool_name):
    env, pool, job, manifests = render(env_name, pool_name)
    assert [m["kind"] for m in manifests] == ["ConfigMap", "Service", "Job"]
    for obj in manifests:
        kubernetes_validate.validate(obj, env.cluster.version, strict=True)

    cap = env.training.max_gpus
    gpus = pool.instance.gpus
    expected_nodes = min(pool.max, cap // gpus) if cap else pool.max
    batch = manifests[2]
    assert batch["spec"]["completions"] == batch["spec"]["parallelism"] == expected_nodes
    spec = batch["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    # every GPU of the node, one rank per GPU, and no restarts hiding a failure
    assert container["resources"]["limits"][pools.NVIDIA_GPU] == str(gpus)
    torchrun = container["command"][container["command"].index("torchrun") :]
    assert f"--nproc-per-node={gpus}" in torchrun and "--max-restarts=0" in torchrun
    assert torchrun[-1] == f"{burnin_job.PROGRAM_DIR}/{burnin_job.PROGRAM}"
    assert spec["nodeSelector"] == pod.node_selector(pool)


def test_the_program_travels_in_a_configmap_mounted_read_only():
    env, _, job, (configmap, _, batch) = render("prod", "h100")
    assert configmap["data"] == {
        "burnin.py": (ROOT / "gpuforge" / "jobs" / "burnin.py").read_text()
    }
    assert configmap["metadata"]["namespace"] == env.training.namespace
    assert configmap["metadata"]["labels"]["gpuforge.dev/job"] == job.name  # `cancel` sweeps it
    spec = batch["spec"]["template"]["spec"]
    volume = next(v for v in spec["volumes"] if v["name"] == burnin_job.PROGRAM_VOLUME)
    assert volume["configMap"] == {"name": configmap["metadata"]["name"], "defaultMode": 0o444}
    (container,) = spec["containers"]
    mount = next(m for m in container["volumeMounts"] if m["name"] == burnin_job.PROGRAM_VOLUME)
    assert mount == {
        "name": "burnin-program",
        "mountPath": "/opt/gpuforge-burnin",
        "readOnly": True,
    }
    node = next(e for e in container["env"] if e["name"] == NODE_NAME_VAR)
    assert node["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    # EFA pools get EFA devices like any job: the all-reduce crosses nodes on EFA
    assert container["resources"]["limits"][pools.EFA] == "32"


def test_the_shipped_program_needs_nothing_but_torch():
    """The pods run burnin.py without gpuforge installed: it may import only the standard
    library and torch, and torch only inside a function (so rendering never loads it)."""
    tree = ast.parse((ROOT / "gpuforge" / "jobs" / "burnin.py").read_text())
    top, inner = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            (top if node in tree.body else inner).update(n.split(".")[0] for n in names)
    assert top - {"__future__"} <= set(sys.stdlib_module_names)
    assert inner == {"torch"}


def test_cli_prints_the_manifests_and_a_summary(runner, project):
    run = runner.invoke(
        cli, ["validate-pool", "a100", "-e", "staging", "--nodes", "1", "--image", TRAINER]
    )
    assert run.exit_code == 0, run.output
    docs = list(yaml.safe_load_all(run.stdout))
    assert [d["kind"] for d in docs] == ["ConfigMap", "Service", "Job"]
    assert docs[2]["spec"]["completions"] == 1
    assert "burn-in burnin-a100 for pool a100 of staging: rendered, nothing sent" in run.stderr
    assert "1 node x 8 A100 (p4d.24xlarge)" in run.stderr

    as_json = runner.invoke(
        cli, ["validate-pool", "a100", "-e", "staging", "-o", "json", "--image", TRAINER]
    )
    doc = json.loads(as_json.stdout)
    assert doc["dry_run"] is True and doc["summary"]["gpus_per_node"] == 8
    assert [m["kind"] for m in doc["manifests"]] == ["ConfigMap", "Service", "Job"]


def test_program_sizes_reach_the_command(runner, project):
    run = runner.invoke(
        cli,
        [
            "validate-pool",
            "l4",
            "-e",
            "dev",
            "--size",
            "4096",
            "--allreduce-mib",
            "64",
            "--image",
            TRAINER,
        ],
    )
    command = list(yaml.safe_load_all(run.stdout))[2]["spec"]["template"]["spec"]["containers"][0]
    assert command["command"][-4:] == ["--size", "4096", "--allreduce-mib", "64"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["validate-pool", "nope", "-e", "dev"],
            "error: validate-pool: POOL: dev has no GPU pool 'nope' (its pools: l4)",
        ),
        (
            ["validate-pool", "l4", "-e", "dev", "--nodes", "3"],
            "error: validate-pool: --nodes: 3 nodes, but pool l4 scales to at most 2 "
            "(use --nodes 2 or fewer)",
        ),
        (
            ["validate-pool", "l4", "-e", "dev", "--nproc", "2"],
            "error: validate-pool: --nproc applies only with --local",
        ),
        (
            ["validate-pool", "l4", "-e", "dev", "--local", "--nproc", "0"],
            "error: validate-pool: --nproc: '0' is not a whole number between 1 and 256",
        ),
        (
            ["validate-pool", "l4", "-e", "dev", "--local", "--nproc", "two"],
            "error: validate-pool: --nproc: 'two'",
        ),
        (
            ["validate-pool", "l4", "-e", "dev", "--local", "--nproc", "300"],
            "error: validate-pool: --nproc: '300'",
        ),
        (
            ["validate-pool", "l4", "-e", "dev", "--nodes", "0"],
            "error: validate-pool: --nodes: '0'",
        ),
        (
            ["validate-pool", "l4", "-e", "dev", "--min-matmul", "1.5"],
            "error: validate-pool: --min-matmul: '1.5' is not a fraction of the peak",
        ),
        (
            ["validate-pool", "l4", "-e", "dev", "--min-busbw", "x"],
            "error: validate-pool: --min-busbw: 'x'",
        ),
        (
            ["validate-pool", "l4", "-e", "dev", "--local", "--nodes", "2"],
            "error: validate-pool: --local runs on this machine: --nodes must be 1",
        ),
        (["validate-pool", "l4"], "error: validate-pool: give -e ENV"),
        (["validate-pool", "l4", "-e", "nowhere"], "error: "),
    ],
)
def test_bad_input_is_one_line_and_exit_2(runner, project, argv, message):
    run = runner.invoke(cli, argv)
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith(message)
    assert len(run.stderr.strip().splitlines()) == 1
    assert "Traceback" not in run.output and run.stdout == ""


def test_training_max_gpus_caps_the_default_and_refuses_more(runner, project):
    spec = yaml.safe_load((project / "stacks" / "prod.yaml").read_text())
    spec["training"]["max_gpus"] = 32  # 4 of the h100 pool's 8 nodes
    (project / "capped.yaml").write_text(yaml.safe_dump(spec))
    run = runner.invoke(cli, ["validate-pool", "h100", "-e", "capped.yaml", "--image", TRAINER])
    assert run.exit_code == 0, run.output
    assert list(yaml.safe_load_all(run.stdout))[2]["spec"]["completions"] == 4
    run = runner.invoke(cli, ["validate-pool", "h100", "-e", "capped.yaml", "--nodes", "5"])
    assert run.exit_code == 2
    assert run.stderr == (
        "error: validate-pool: --nodes: 5 nodes, but training.max_gpus (32) allows 4 nodes "
        "of 8 GPUs (use --nodes 4 or fewer)\n"
    )


def test_a_neuron_pool_is_refused(runner, project):
    spec = yaml.safe_load((project / "stacks" / "dev.yaml").read_text())
    spec["gpu_pools"][0]["instance_type"] = "trn1.2xlarge"
    spec["network"]["azs"] = ["us-east-1c", "us-east-1f"]
    (project / "trn.yaml").write_text(yaml.safe_dump(spec))
    run = runner.invoke(cli, ["validate-pool", "l4", "-e", "trn.yaml"])
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith("error: validate-pool: POOL: pool l4 has AWS Trainium")
