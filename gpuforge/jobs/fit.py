"""Will this job ever run in this environment? Refuse it before anything is sent.

`check_fit(job, env)` checks the job against the environment's model (the pool,
its instance type and scale, `training.max_gpus`, the buckets, the node's
allocatable CPU and memory) once, and returns a `Fit`: the job, the environment,
the pool and what the job gets and costs there. Everything after the check (the
backends' `render(fit)`, `submit(fit, manifests)`, the dry run's summary) reads
these facts from the `Fit` and works none of them out again. A job that can never
fit raises a `SpecError` naming the job field, the reason and what would fit (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.jobs.data_mounts import check_mounts
from gpuforge.jobs.spec import JobSpec
from gpuforge.jobs.team_fit import check_team_fit
from gpuforge.model import names, pools, pricing
from gpuforge.model.errors import SpecError
from gpuforge.model.grants import writable_buckets
from gpuforge.model.node_reserve import NodeReserve, node_reserve
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec
from gpuforge.model.teams import Team, team_of_job


@dataclass(frozen=True)
class Fit:
    """A job checked against an environment: where it runs, what it gets, what it costs."""

    job: JobSpec
    env: EnvironmentSpec
    pool: GpuPoolSpec
    """The job's pool (the check found it: nothing after it looks the pool up again)."""
    backend: str
    gpu_model: str
    accelerator_resource: str
    nodes: int
    gpus_per_node: int
    total_gpus: int
    node_gpus: int
    transport: str
    """`efa` or `tcp`."""
    efa_devices_per_node: int
    efa_rdma: bool
    cpu_milli_per_node: int
    """The CPU each pod requests (the job's `cpu`, else its GPU share of the node's
    default request, `reserve.default_cpu_milli`)."""
    memory_mib_per_node: int
    """The memory each pod requests and is limited to (the job's `memory`, else its share)."""
    allocatable_cpu_milli: int
    """What one pod may request at most: the node's allocatable less its DaemonSets."""
    allocatable_memory_mib: int
    reserve: NodeReserve
    """The node's reserve model (capacity, kube-reserved, eviction, DaemonSets)."""
    queue: str | None
    """The Kueue LocalQueue, or None when the environment does not queue."""
    priority_class: str | None
    """The PriorityClass the pods get, or None when the backend cannot set one."""
    checkpoint_bucket: str | None
    hourly_per_node_usd: float | None
    hourly_usd: float | None
    """Cost per hour at full size (`nodes` whole nodes, on-demand list price); None if unknown."""
    price_source: str
    team: Team
    """The job's team (`gpuforge.model.teams`): its namespace, queue and bucket prefix."""
    mounts: tuple = ()
    """The job's checked `data:` mounts (`gpuforge.jobs.data_mounts.Mount`)."""

    @property
    def name(self) -> str:
        """The job's name (also the name of its objects)."""
        return self.job.name

    @property
    def environment(self) -> str:
        return self.env.environment

    @property
    def namespace(self) -> str:
        return self.team.namespace

    @property
    def instance_type(self) -> str:
        return self.pool.instance_type

    def summary(self) -> dict:
        """The facts as plain data (the `summary` of `launch -o json`)."""
        return {
            "job": self.name,
            "environment": self.environment,
            "namespace": self.namespace,
            "team": self.team.name,
            "backend": self.backend,
            "pool": self.pool.name,
            "instance_type": self.instance_type,
            "gpu_model": self.gpu_model,
            "accelerator_resource": self.accelerator_resource,
            "nodes": self.nodes,
            "gpus_per_node": self.gpus_per_node,
            "total_gpus": self.total_gpus,
            "node_gpus": self.node_gpus,
            "transport": self.transport,
            "efa_devices_per_node": self.efa_devices_per_node,
            "efa_rdma": self.efa_rdma,
            "cpu_milli_per_node": self.cpu_milli_per_node,
            "memory_mib_per_node": self.memory_mib_per_node,
            "allocatable_cpu_milli": self.allocatable_cpu_milli,
            "allocatable_memory_mib": self.allocatable_memory_mib,
            "node_reserve": self.reserve.summary(),
            "queue": self.queue,
            "priority_class": self.priority_class,
            "checkpoint_bucket": self.checkpoint_bucket,
            "hourly_per_node_usd": self.hourly_per_node_usd,
            "hourly_usd": self.hourly_usd,
            "price_source": self.price_source,
            "data": [
                {
                    "name": m.name,
                    "filesystem": m.filesystem,
                    "path": m.path,
                    "read_only": m.read_only,
                    "throughput_gbps": m.throughput_gbps,
                }
                for m in self.mounts
            ],
        }


def _backend(job: JobSpec, env: EnvironmentSpec) -> None:
    """A backend works only where the runtime installs its controllers (`training.backends`)."""
    offered = env.training.backends
    if job.backend not in offered:
        raise SpecError(
            "backend",
            f"environment {env.environment} does not offer the {job.backend} backend "
            f"(training.backends: {', '.join(offered)})",
            f"use backend: {offered[0]}, or add {job.backend} to the environment's "
            "training.backends so its runtime installs the controller",
        )


def check_fit(job: JobSpec, env: EnvironmentSpec, *, priority_settable: bool = True) -> Fit:
    """The job's placement and cost, or a `SpecError` on the job field that can never fit.

    `priority_settable` is False for backends that cannot set a pod priority
    (TrainJob): an explicit `priority:` is then refused rather than ignored.
    """
    _backend(job, env)
    team = team_of_job(env, job.team)
    pool = _pool(job, env)
    shape = pools.node_shape(pool)
    gpus = _gpus_per_node(job, env, pool, shape.accelerators)
    _nodes(job, env, pool)
    _total(job, env, gpus)
    bucket = _checkpoint_bucket(job, env)
    check_team_fit(job, env, team, pool, gpus)
    queue = _queue(job, env, team)
    if not priority_settable and "priority" in job.model_fields_set:
        raise SpecError(
            "priority",
            f"the {job.backend} backend cannot set a pod priority",
            "remove priority:, or use backend: indexed-job or jobset",
        )
    room = node_reserve(pool)
    # A default request is the GPU share of what the node surely leaves: allocatable less
    # the DaemonSets, less a margin (docs/jobs.md, "What a default job requests").
    cpu = job.cpu_milli or room.default_cpu_milli * gpus // shape.accelerators
    memory = job.memory_mib or room.default_memory_mib * gpus // shape.accelerators
    _fits_node(job, pool, room, cpu, memory)
    price = pricing.hourly_usd(pool.instance_type)
    accel = pool.instance.accelerator
    return Fit(
        job=job,
        env=env,
        pool=pool,
        backend=job.backend,
        gpu_model=accel.model if accel else "-",
        accelerator_resource=shape.accelerator_resource,
        nodes=job.nodes,
        gpus_per_node=gpus,
        total_gpus=gpus * job.nodes,
        node_gpus=shape.accelerators,
        transport=pools.transport(pool),
        efa_devices_per_node=shape.efa_devices,
        efa_rdma=pools.efa_rdma(pool),
        cpu_milli_per_node=cpu,
        memory_mib_per_node=memory,
        allocatable_cpu_milli=room.free_cpu_milli,
        allocatable_memory_mib=room.free_memory_mib,
        reserve=room,
        queue=queue,
        priority_class=names.priority_class(job.priority) if priority_settable else None,
        checkpoint_bucket=bucket,
        hourly_per_node_usd=price,
        hourly_usd=None if price is None else price * job.nodes,
        price_source=pricing.citation(),
        team=team,
        mounts=check_mounts(job, env, team),
    )


def _describe(pool: GpuPoolSpec) -> str:
    inst = pool.instance
    model = inst.accelerator.model if inst.accelerator else "?"
    return f"{pool.name} ({pool.instance_type}, {inst.gpus}x {model}, up to {pool.max} nodes)"


def _pool(job: JobSpec, env: EnvironmentSpec) -> GpuPoolSpec:
    pool = env.pool(job.pool)
    if pool is None:
        known = "; ".join(_describe(p) for p in env.gpu_pools) or "none"
        raise SpecError(
            "pool", f"{env.environment} has no GPU pool {job.pool!r}", f"its pools: {known}"
        )
    return pool


def _gpus_per_node(job: JobSpec, env: EnvironmentSpec, pool: GpuPoolSpec, node_gpus: int) -> int:
    if job.gpus_per_node is None:
        return node_gpus
    if job.gpus_per_node > node_gpus:
        bigger = [p.name for p in env.gpu_pools if p.instance.gpus >= job.gpus_per_node]
        alt = f", or a pool with more: {', '.join(bigger)}" if bigger else ""
        raise SpecError(
            "gpus_per_node",
            f"{job.gpus_per_node} GPUs per node, but a {pool.instance_type} node has {node_gpus}",
            f"use gpus_per_node: {node_gpus} or fewer{alt}",
        )
    return job.gpus_per_node


def _nodes(job: JobSpec, env: EnvironmentSpec, pool: GpuPoolSpec) -> None:
    if job.nodes > pool.max:
        index = env.gpu_pools.index(pool)
        raise SpecError(
            "nodes",
            f"{job.nodes} nodes, but pool {pool.name} scales to at most {pool.max}",
            f"use nodes: {pool.max} or fewer, or raise gpu_pools[{index}].max "
            f"in the {env.environment} spec",
        )


def _total(job: JobSpec, env: EnvironmentSpec, gpus: int) -> None:
    cap = env.training.max_gpus
    total = gpus * job.nodes
    if cap is None or total <= cap:
        return
    if gpus <= cap:
        fits = f"nodes: {cap // gpus} with {gpus} GPUs each"
    else:
        fits = f"nodes: 1 with gpus_per_node: {cap}"
    raise SpecError(
        "nodes" if job.nodes > 1 else "gpus_per_node",
        f"{job.nodes} x {gpus} = {total} GPUs, more than training.max_gpus ({cap}) "
        f"of {env.environment}",
        f"at most {cap} GPUs per job fit, e.g. {fits}",
    )


def _checkpoint_bucket(job: JobSpec, env: EnvironmentSpec) -> str | None:
    if job.checkpoint is None:
        return None
    bucket = job.checkpoint.bucket
    writable = writable_buckets(env)
    if bucket not in writable:
        known = [b.name for b in env.storage.buckets]
        problem = (
            f"training pods may not write bucket {bucket!r}"
            if bucket in known
            else f"{env.environment} has no bucket {bucket!r}"
        )
        raise SpecError(
            "checkpoint.uri",
            problem,
            f"buckets training pods may write: {', '.join(writable) or 'none'}",
        )
    return bucket


def _queue(job: JobSpec, env: EnvironmentSpec, team: Team) -> str | None:
    if env.training.queueing != "kueue":
        if job.queue is not None:
            raise SpecError(
                "queue",
                f"{env.environment} does not queue jobs (training.queueing: none)",
                "remove queue:, or enable Kueue in the environment",
            )
        return None
    return job.queue or team.local_queue


def _fits_node(job: JobSpec, pool: GpuPoolSpec, room: NodeReserve, cpu: int, memory: int) -> None:
    node = pool.instance
    if cpu > room.free_cpu_milli:
        raise SpecError(
            "cpu",
            f"{cpu / 1000:g} CPUs per node, but a {pool.instance_type} node leaves "
            f"{room.free_cpu_milli / 1000:g} of its {node.vcpus} for pods "
            f"({room.reserved_cpu_milli / 1000:g} reserved for the kubelet and DaemonSets)",
            f"use cpu: {room.free_cpu_milli}m or less",
        )
    if memory > room.free_memory_mib:
        raise SpecError(
            "memory",
            f"{memory} MiB per node, but a {pool.instance_type} node leaves "
            f"{room.free_memory_mib} MiB of its {node.memory_mib} for pods "
            f"({room.reserved_memory_mib} MiB reserved for the VM, kubelet, eviction and "
            "DaemonSets)",
            f"use memory: {room.free_memory_mib}Mi or less",
        )
