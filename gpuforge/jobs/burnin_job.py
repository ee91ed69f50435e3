"""The burn-in as a job: a `JobSpec` for a pool, its manifests, and a local run.

The burn-in goes through the same launch path as any training job (`check_fit`,
the indexed-job backend, the launch id, the `GPUFORGE_*` contract): one pod per node, every GPU
of the node, torchrun with one process per GPU, no restarts (a burn-in must not
hide a failure). The program is `gpuforge.jobs.burnin`; pods get that very file
from a ConfigMap, so the training image runs it without gpuforge installed. It must
be the training image (`gpuforge image render`: EFA and aws-ofi-nccl): a stock
PyTorch image has no aws-ofi-nccl and NCCL falls back to TCP between nodes.
Each pod also learns its Kubernetes node's name (downward API) to report it.
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from gpuforge.jobs import launch_annotations, pod
from gpuforge.jobs.burnin import NODE_NAME_VAR
from gpuforge.jobs.fit import Fit
from gpuforge.jobs.job_name import MAX_JOB_NAME
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import pools, teams
from gpuforge.model.errors import SpecError
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec

LOCAL_IMAGE = "local:this-machine"
"""The job's image field for `--local` runs, which run here and pull nothing (a tag, so the
spec's refusal of moving tags does not apply to an image never pulled)."""
TIMEOUT = "30m"
PROGRAM = "burnin.py"
PROGRAM_DIR = "/opt/gpuforge-burnin"
PROGRAM_VOLUME = "burnin-program"
MODULE = "gpuforge.jobs.burnin"
WHERE = "validate-pool"
"""Where errors about the command's own arguments are located (`error: validate-pool: ...`)."""


def job_name(pool: str) -> str:
    return f"burnin-{pool}"[:MAX_JOB_NAME].rstrip("-")


def pool_of(env: EnvironmentSpec, name: str) -> GpuPoolSpec:
    """The pool named `name`, or a one-line error listing the pools there are."""
    pool = env.pool(name)
    if pool is None:
        known = ", ".join(p.name for p in env.gpu_pools) or "none"
        raise SpecError(
            "POOL", f"{env.environment} has no GPU pool {name!r}", f"its pools: {known}", file=WHERE
        )
    if pools.is_neuron(pool):
        raise SpecError(
            "POOL",
            f"pool {name} has AWS {pool.instance.accelerator.model} accelerators",
            "the burn-in measures NVIDIA GPUs through torch.cuda; use a GPU pool",
            file=WHERE,
        )
    return pool


def node_count(env: EnvironmentSpec, pool: GpuPoolSpec, nodes: int | None) -> int:
    """`nodes`, or the pool's max within `training.max_gpus`; a one-line error if it cannot fit."""
    gpus = pool.instance.gpus
    cap = env.training.max_gpus
    if cap is not None and gpus > cap:
        raise SpecError(
            "POOL",
            f"a {pool.instance_type} node has {gpus} GPUs, more than training.max_gpus ({cap}) "
            f"of {env.environment}",
            "raise training.max_gpus to burn in whole nodes",
            file=WHERE,
        )
    most = min(pool.max, cap // gpus) if cap is not None else pool.max
    if nodes is None:
        return most
    if nodes > most:
        why = (
            f"pool {pool.name} scales to at most {pool.max}"
            if most == pool.max
            else f"training.max_gpus ({cap}) allows {most} nodes of {gpus} GPUs"
        )
        raise SpecError(
            "--nodes", f"{nodes} nodes, but {why}", f"use --nodes {most} or fewer", file=WHERE
        )
    return nodes


def program_args(
    *, size: int | None = None, allreduce_mib: int | None = None, results: Path | None = None
) -> list[str]:
    out: list[str] = []
    if size is not None:
        out += ["--size", str(size)]
    if allreduce_mib is not None:
        out += ["--allreduce-mib", str(allreduce_mib)]
    if results is not None:
        out += ["--results", str(results)]
    return out


def burnin_job(
    env: EnvironmentSpec,
    pool: GpuPoolSpec,
    *,
    nodes: int,
    image: str,
    args: list[str] | tuple[str, ...] = (),
    local: bool = False,
) -> JobSpec:
    """The burn-in job for `pool`: every GPU of `nodes` nodes, the program as its command.

    In an environment with teams it runs as the first team with quota on the pool (in
    its namespace and queue, within its quota)."""
    command = ["-m", MODULE] if local else [f"{PROGRAM_DIR}/{PROGRAM}"]
    return JobSpec.model_validate(
        {
            "name": job_name(pool.name),
            "image": image,
            "pool": pool.name,
            "nodes": nodes,
            "command": [*command, *args],
            "max_restarts": 0,
            "timeout": TIMEOUT,
            "backend": "indexed-job",
            **({"team": team} if (team := teams.team_for_pool(env, pool.name)) else {}),
        }
    )


def network_of(pool: GpuPoolSpec):
    """What a run across nodes of `pool` is judged against (`burnin_verdict.Network`): its
    EFA bandwidth from the catalog when the pool has EFA on, else none."""
    from gpuforge.jobs.burnin_verdict import Network

    inst = pool.instance
    return Network(inst.name, inst.efa_gb_per_s if pool.efa else 0.0)


def program_source() -> str:
    return resources.files("gpuforge.jobs").joinpath(PROGRAM).read_text()


def render(fit: Fit) -> list[dict]:
    """The program's ConfigMap, then the indexed-job backend's Service and Job, patched to
    mount the program and to tell each pod its node's name (`fit`: the burn-in job's)."""
    from gpuforge.jobs import backends

    manifests = backends.get("indexed-job").render(fit)
    batch_job = next(m for m in manifests if m["kind"] == "Job")
    labels = batch_job["spec"]["template"]["metadata"]["labels"]
    configmap = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{fit.name}-program",
            "namespace": fit.namespace,
            "labels": dict(labels),
        },
        "data": {PROGRAM: program_source()},
    }
    spec = batch_job["spec"]["template"]["spec"]
    spec["volumes"].append(
        {
            "name": PROGRAM_VOLUME,
            "configMap": {"name": configmap["metadata"]["name"], "defaultMode": 0o444},
        }
    )
    (container,) = (c for c in spec["containers"] if c["name"] == pod.CONTAINER)
    container["volumeMounts"].append(
        {"name": PROGRAM_VOLUME, "mountPath": PROGRAM_DIR, "readOnly": True}
    )
    container["env"].append(
        {"name": NODE_NAME_VAR, "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
    )
    return launch_annotations.with_launch_id([configmap, *manifests])


# -- running here -----------------------------------------------------------------


Say = Callable[[str], None]


def run_here(
    job: JobSpec,
    env: EnvironmentSpec,
    *,
    nproc: int | None,
    timeout_s: float,
    say: Say,
) -> int:
    """Run the burn-in job on this machine and return its exit code.

    The ranks write their results where the job's command says (`--results DIR`); their
    output goes to stderr, because stdout is the command's own (the table, or -o json).
    `timeout_s` bounds the run (124 past it); the local runner ends every process it
    started, whatever happens.
    """
    from gpuforge.jobs.local import run_local

    return run_local(job, env, nproc=nproc, say=say, timeout_s=timeout_s, stdout=sys.stderr)


def results_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="gpuforge-burnin-")
