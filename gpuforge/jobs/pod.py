"""The parts every backend's pods share: labels, torchrun, environment, resources, placement.

Built as plain dicts from the job's `Fit` (the job, the environment, its pool and
what it gets there); pool facts (labels, taints, device resources) come from
`gpuforge.model.pools` and names (service account, priority classes, queue label)
from `gpuforge.model.names`.
"""

from __future__ import annotations

from gpuforge.jobs import contract, launch_annotations, pod_security
from gpuforge.jobs.fit import Fit
from gpuforge.jobs.resources import Resource
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import names, pools
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
DNS_WAIT_SECONDS = 300

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
    """The torchrun command line: c10d rendezvous on `rendezvous`, or standalone on one node."""
    options = torchrun_options(fit.job, fit.gpus_per_node, rendezvous)
    return ["torchrun", *options, f"--shutdown-timeout={SHUTDOWN_TIMEOUT_SECONDS}", *fit.job.argv]


def torchrun_options(job: JobSpec, nproc_per_node: int, rendezvous: str | None) -> list[str]:
    """torchrun's options for the job (the cluster's pods and `launch --local` share them)."""
    if rendezvous is None:
        args = ["--standalone", "--nnodes=1"]
    else:
        args = [
            f"--nnodes={job.nodes}",
            "--rdzv-backend=c10d",
            f"--rdzv-endpoint={rendezvous}",
            f"--rdzv-id={job.name}",
        ]
    return args + [f"--nproc-per-node={nproc_per_node}", f"--max-restarts={job.max_restarts}"]


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
    variables |= pod_security.CACHE_ENV | transport_env(fit.pool) | job.env
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
        "volumeMounts": volume_mounts(),
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
        "volumes": volumes(fit),
        "containers": [container(fit, command, rendezvous)],
    }
    if fit.priority_class:
        spec["priorityClassName"] = fit.priority_class
    return spec


POD_FAILURE_POLICY = {
    "rules": [
        # A node drained or preempted: not the job's fault; the pod is recreated and
        # rejoins the rendezvous (torchrun restarts every rank's workers).
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
        # torchrun gave up (its --max-restarts spent): fail the whole gang now.
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": CONTAINER, "operator": "NotIn", "values": [0]},
        },
    ]
}
"""The gang fails together: any rank's failure fails the Job, which stops every pod."""


def indexed_job_spec(fit: Fit, pod_template: dict) -> dict:
    """The Indexed Job both the indexed-job and jobset backends run (one pod per node)."""
    return {
        "completionMode": "Indexed",
        "completions": fit.nodes,
        "parallelism": fit.nodes,
        "backoffLimit": 0,
        "podFailurePolicy": POD_FAILURE_POLICY,
        "activeDeadlineSeconds": fit.job.timeout_seconds,
        "template": pod_template,
    }
