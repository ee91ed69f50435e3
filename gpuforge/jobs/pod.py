"""The parts every backend's pods share: labels, torchrun, environment, resources, placement.

Built as plain dicts from the job's `Fit` (the job, the environment, its pool and
what it gets there); pool facts (labels, taints, device resources) come from
`gpuforge.model.pools` and names (service account, priority classes, queue label)
from `gpuforge.model.names`.
"""

from __future__ import annotations

from gpuforge.jobs import contract, data_mounts, launch_annotations, pod_security
from gpuforge.jobs.fit import Fit
from gpuforge.jobs.resources import Resource
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import gang_timeouts, names, pools
from gpuforge.model.spec import GpuPoolSpec

CONTAINER = "trainer"
SHM_VOLUME = "dshm"
TTL_SECONDS_AFTER_FINISHED = 7 * 24 * 3600
"""Finished jobs stay a week, so `gpuforge status` can still explain them."""
TERMINATION_GRACE_SECONDS = 120
"""Time between SIGTERM and SIGKILL: enough for a script to flush a last checkpoint."""
SHUTDOWN_TIMEOUT_SECONDS = TERMINATION_GRACE_SECONDS - 20
"""How long torchrun lets its workers finish after SIGTERM (a spot notice, a drain) before
it kills them: time for the last checkpoint, and still inside the pod's grace period, so
the kubelet's SIGKILL never comes first (torchrun's own default is 30 s)."""
DNS_WAIT_SECONDS = gang_timeouts.DNS_WAIT_SECONDS

# -- labels ---------------------------------------------------------------------

NAME_LABEL = "app.kubernetes.io/name"
COMPONENT_LABEL = "app.kubernetes.io/component"
COMPONENT = "training"


def labels(fit: Fit) -> dict[str, str]:
    """Labels on every rendered object and every pod template of the job."""
    return {
        names.JOB_LABEL: fit.name,
        NAME_LABEL: fit.name,
        names.MANAGED_BY_LABEL: names.MANAGED_BY,
        COMPONENT_LABEL: COMPONENT,
        names.POOL_KEY: fit.pool.name,
        names.ENVIRONMENT_LABEL: fit.environment,
        **({} if fit.team.is_default else {names.TEAM_LABEL: fit.team.name}),
    }


def workload_labels(fit: Fit) -> dict[str, str]:
    """Labels of the object Kueue admits: the common ones plus the queue when the env queues."""
    out = labels(fit)
    if fit.queue:
        out[names.KUEUE_QUEUE_LABEL] = fit.queue
    return out


def metadata(fit: Fit, name: str) -> dict:
    return {"name": name, "namespace": fit.namespace, "labels": labels(fit)}


def workload(primary: Resource, fit: Fit, spec: dict) -> dict:
    """The object whose status is the job's (the backend's `primary` resource).

    It carries the workload labels (the Kueue queue label when the environment queues)
    and the launch facts as annotations (`launch_annotations.facts`); a queued one is
    created suspended: Kueue admits (unsuspends) the whole gang at once.
    """
    if fit.queue:
        spec = {**spec, "suspend": True}
    return {
        "apiVersion": primary.api_version,
        "kind": primary.kind,
        "metadata": {
            "name": fit.name,
            "namespace": fit.namespace,
            "labels": workload_labels(fit),
            "annotations": launch_annotations.facts(fit),
        },
        "spec": spec,
    }


# -- what runs ------------------------------------------------------------------


def rendezvous_endpoint(fit: Fit, rank0_pod: str) -> str | None:
    """Rank 0's stable `host:port` under the job's headless Service, or None for one node.

    `rank0_pod` is rank 0's pod hostname, which each backend's controller names its own
    way (`<job>-0` for an Indexed Job, `<job>-<replicated job>-0-0` for a JobSet).
    """
    if fit.nodes == 1:
        return None
    return f"{rank0_pod}.{fit.name}.{fit.namespace}.svc:{contract.RENDEZVOUS_PORT}"


def gang_command(fit: Fit, rendezvous: str | None) -> list[str]:
    """What each pod runs: torchrun, started once rank 0's name resolves (multi-node)."""
    argv = torchrun(fit, rendezvous)
    return wait_for_dns(f"${{{contract.RENDEZVOUS}%:*}}", argv) if rendezvous else argv


def torchrun(fit: Fit, rendezvous: str | None) -> list[str]:
    """The torchrun command line of a cluster pod: c10d rendezvous on `rendezvous`, or
    standalone on one node; no restarts inside the pod (`GANG_WORKER_RESTARTS`)."""
    options = torchrun_options(fit.job, fit.gpus_per_node, rendezvous, GANG_WORKER_RESTARTS)
    return ["torchrun", *options, f"--shutdown-timeout={SHUTDOWN_TIMEOUT_SECONDS}", *fit.job.argv]


GANG_WORKER_RESTARTS = 0
"""torchrun's `--max-restarts` in a cluster pod. The gang's controller restarts the whole
gang (every pod, from the last checkpoint), so torchrun must not restart workers inside
a pod: any failure ends every agent. Rank 0's loss takes the c10d store with it
(torch 2.13 `distributed/elastic/rendezvous/c10d_rendezvous_backend.py:137-161`: the
agent whose host matches the endpoint serves the store), so every other agent's next
store call raises `RendezvousConnectionError` (`:116`) and it exits 1; another rank's
loss fails rank 0's collectives, and with no restarts left rank 0's agent exits
(`distributed/elastic/agent/server/api.py:940-955`), taking the store down too.
`launch --local` keeps the job's `max_restarts`: there torchrun is the only restarter."""


def torchrun_options(
    job: JobSpec, nproc_per_node: int, rendezvous: str | None, max_restarts: int | None = None
) -> list[str]:
    """torchrun's options for the job (the cluster's pods and `launch --local` share them).

    `max_restarts` is torchrun's `--max-restarts` (default: the job's). Multi-node, the
    c10d rendezvous waits `gang_timeouts.RENDEZVOUS_JOIN_SECONDS` for the last node
    (`join_timeout`, torch 2.13 `dynamic_rendezvous.py:144` defaults to 600 s, less
    than a scale from zero takes: `gpuforge.model.gang_timeouts`).
    """
    if rendezvous is None:
        args = ["--standalone", "--nnodes=1"]
    else:
        args = [
            f"--nnodes={job.nodes}",
            "--rdzv-backend=c10d",
            f"--rdzv-endpoint={rendezvous}",
            f"--rdzv-id={job.name}",
            f"--rdzv-conf=join_timeout={gang_timeouts.RENDEZVOUS_JOIN_SECONDS}",
        ]
    restarts = job.max_restarts if max_restarts is None else max_restarts
    return args + [f"--nproc-per-node={nproc_per_node}", f"--max-restarts={restarts}"]


def wait_for_dns(host_expression: str, argv: list[str]) -> list[str]:
    """`argv`, started only once `host_expression` (a shell expression) resolves.

    A worker that starts before rank 0's DNS record exists would fail its first
    rendezvous; this waits (bounded) instead. Needs `sh` and `getent` in the image.
    """
    tries = DNS_WAIT_SECONDS // 2
    script = (
        f'host="{host_expression}"; i=0; '
        'until getent hosts "$host" >/dev/null; do '
        f'i=$((i+1)); if [ "$i" -ge {tries} ]; then '
        f'echo "gpuforge: $host did not resolve in {DNS_WAIT_SECONDS}s" >&2; exit 1; fi; '
        "sleep 2; done; "
        'exec "$@"'
    )
    return ["/bin/sh", "-c", script, "gpuforge-wait-for-rank0", *argv]


# -- environment ----------------------------------------------------------------


def transport_env(pool: GpuPoolSpec) -> dict[str, str]:
    """NCCL and libfabric settings for the pool's network; the job's own `env:` wins.

    On EFA pools libfabric is pinned to the EFA provider, with GPUDirect RDMA where
    the instance supports it; NCCL logs its network choice at INFO so a fallback to
    sockets is visible in the first lines of every rank's log.
    """
    if pools.is_neuron(pool):
        return {"FI_PROVIDER": "efa", "FI_EFA_FORK_SAFE": "1"} if pool.efa else {}
    out = {
        "NCCL_DEBUG": "INFO",
        "NCCL_DEBUG_SUBSYS": "INIT,NET",
        "TORCH_NCCL_ASYNC_ERROR_HANDLING": "1",
    }
    if pool.efa:
        out |= {"FI_PROVIDER": "efa", "FI_EFA_FORK_SAFE": "1"}
        if pools.efa_rdma(pool):
            out["FI_EFA_USE_DEVICE_RDMA"] = "1"
    return out


def env(fit: Fit, rendezvous: str | None) -> list[dict]:
    """Container environment: the bucket from the runtime's ConfigMap, the contract, the rest.

    The physical bucket name carries a hash of the AWS account, which rendering does
    not know: it is read from the `gpuforge-buckets` ConfigMap and the checkpoint URI
    refers to it with Kubernetes' `$(VAR)` expansion.
    """
    job = fit.job
    out: list[dict] = []
    checkpoint_uri = None
    if job.checkpoint is not None:
        bucket = job.checkpoint.bucket
        var = contract.checkpoint_bucket_var(bucket)
        ref = {"name": names.BUCKETS_CONFIGMAP, "key": bucket}
        out.append({"name": var, "valueFrom": {"configMapKeyRef": ref}})
        checkpoint_uri = f"s3://$({var}){job.checkpoint.prefix}"
    variables = contract.variables(
        job=job.name,
        environment=fit.environment,
        transport=fit.transport,
        checkpoint_uri=checkpoint_uri,
        every_steps=job.checkpoint.every_steps if job.checkpoint else None,
        rendezvous=rendezvous,
    )
    variables |= (
        pod_security.CACHE_ENV | transport_env(fit.pool) | data_mounts.env(fit.mounts) | job.env
    )
    out += [{"name": k, "value": v} for k, v in variables.items()]
    return out


# -- resources and placement ------------------------------------------------------


def resources(fit: Fit) -> dict:
    """CPU and memory requests (memory also the limit), accelerators and EFA as limits.

    A pod that takes part of a node gets the same share of its EFA devices (at least one).
    """
    memory = f"{fit.memory_mib_per_node}Mi"
    limits = {fit.accelerator_resource: str(fit.gpus_per_node), "memory": memory}
    if fit.efa_devices_per_node:
        share = fit.efa_devices_per_node * fit.gpus_per_node // fit.node_gpus
        limits[pools.EFA] = str(max(1, share))
    return {"requests": {"cpu": f"{fit.cpu_milli_per_node}m", "memory": memory}, "limits": limits}


def tolerations(pool: GpuPoolSpec) -> list[dict]:
    """Tolerate every taint of the job's pool (the GPU taint and the spec's own)."""
    return [
        {"key": t["key"], "operator": "Equal", "value": t["value"], "effect": t["effect"]}
        for t in pools.node_taints(pool)
    ]


def node_selector(pool: GpuPoolSpec) -> dict[str, str]:
    return {names.POOL_KEY: pool.name}


def shm_volume(fit: Fit) -> dict:
    """A memory-backed /dev/shm (the container default is 64 MiB), up to half the pod's memory."""
    return {
        "name": SHM_VOLUME,
        "emptyDir": {"medium": "Memory", "sizeLimit": f"{fit.memory_mib_per_node // 2}Mi"},
    }


SHM_MOUNT = {"name": SHM_VOLUME, "mountPath": "/dev/shm"}

CONTAINER_SECURITY = pod_security.CONTAINER_SECURITY
POD_SECURITY = pod_security.POD_SECURITY


def volumes(fit: Fit) -> list[dict]:
    """/dev/shm and the writable emptyDirs of a read-only root (`pod_security`)."""
    return [shm_volume(fit), *pod_security.writable_volumes()]


def volume_mounts() -> list[dict]:
    return [SHM_MOUNT, *pod_security.writable_mounts()]


def container(fit: Fit, command: list[str], rendezvous: str | None) -> dict:
    out = {
        "name": CONTAINER,
        "image": fit.job.image,
        "command": command,
        "env": env(fit, rendezvous),
        "resources": resources(fit),
        "volumeMounts": [*volume_mounts(), *data_volume_mounts(fit)],
        "securityContext": CONTAINER_SECURITY,
    }
    if rendezvous is not None:
        out["ports"] = [{"name": "rendezvous", "containerPort": contract.RENDEZVOUS_PORT}]
    return out


def pod_spec(fit: Fit, command: list[str], rendezvous: str | None) -> dict:
    """A pod of the job (rank from its `batch.kubernetes.io/job-completion-index` label)."""
    pool = fit.pool
    spec = {
        "serviceAccountName": names.TRAINING_SERVICE_ACCOUNT,
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
        "nodeSelector": node_selector(pool),
        "tolerations": tolerations(pool),
        "automountServiceAccountToken": False,
        "securityContext": POD_SECURITY,
        "volumes": [*volumes(fit), *data_volumes(fit)],
        "containers": [container(fit, command, rendezvous)],
    }
    if fit.priority_class:
        spec["priorityClassName"] = fit.priority_class
    return spec


GANG_FAILURE_POLICY = {
    "rules": [
        # Any pod's loss ends the child Job at once, so the JobSet's failure policy
        # recreates the whole gang: a node drained or preempted (`DisruptionTarget`,
        # rank 0 included: its pod holds torchrun's store) ...
        {"action": "FailJob", "onPodConditions": [{"type": "DisruptionTarget"}]},
        # ... and any rank's non-zero exit (torchrun restarts nothing inside a pod).
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": CONTAINER, "operator": "NotIn", "values": [0]},
        },
    ]
}
"""A JobSet child Job fails on any pod's loss (kubernetes/api@v0.35.0:batch/v1/types.go:126
FailJob: "mark the pod's job as Failed and terminate all running pods"); JobSet then
recreates every child Job (`jobset.failurePolicy`)."""


def indexed_job_spec(fit: Fit, pod_template: dict) -> dict:
    """The Indexed Job a JobSet runs (one pod per node): it fails on any pod's loss."""
    return {
        "completionMode": "Indexed",
        "completions": fit.nodes,
        "parallelism": fit.nodes,
        "backoffLimit": 0,
        "podFailurePolicy": GANG_FAILURE_POLICY,
        "activeDeadlineSeconds": fit.job.timeout_seconds,
        "template": pod_template,
    }


def gang_backoff_limit(nodes: int, max_restarts: int) -> int:
    """The plain Job's `backoffLimit` for `max_restarts` whole-gang restarts.

    Each loss ends every rank (`GANG_WORKER_RESTARTS`), so a gang failure is `nodes`
    failed pods, each counted (`Count`, kubernetes/api@v0.35.0:batch/v1/types.go:141),
    and the Job fails once more than `backoffLimit` have failed (:350): the
    `max_restarts + 1`-th gang failure is the last.
    """
    return nodes * (max_restarts + 1) - 1


def restarting_job_spec(fit: Fit, pod_template: dict) -> dict:
    """The Indexed Job of the `indexed-job` backend: the Job controller itself restarts
    the gang by recreating every failed index, up to `max_restarts` times.

    No pod failure policy: every failure counts, a `DisruptionTarget` one too.
    `podReplacementPolicy: Failed` (batch/v1/types.go:162) makes a replacement wait
    until the pod it replaces has terminated, so rank 0's new pod never shares its
    hostname (and the rendezvous endpoint) with the old one.
    """
    return {
        "completionMode": "Indexed",
        "completions": fit.nodes,
        "parallelism": fit.nodes,
        "backoffLimit": gang_backoff_limit(fit.nodes, fit.job.max_restarts),
        "podReplacementPolicy": "Failed",
        "activeDeadlineSeconds": fit.job.timeout_seconds,
        "template": pod_template,
    }


# -- data mounts ------------------------------------------------------------------


def data_volumes(fit: Fit) -> list[dict]:
    """The PersistentVolumeClaims of the job's `data:` mounts (`gpuforge.jobs.data_mounts`)."""
    return data_mounts.volumes(fit.mounts)


def data_volume_mounts(fit: Fit) -> list[dict]:
    """Where the trainer container sees each `data:` mount (read-only unless asked)."""
    return data_mounts.volume_mounts(fit.mounts)
