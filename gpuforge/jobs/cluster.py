"""A training job on a cluster: submit, list, describe, logs, cancel.

Every function takes the environment spec (its namespace and, without
`kubeconfig`/`context`, its EKS cluster) and talks to the API through
`gpuforge.jobs.kube`. A job is the set of objects labelled
`gpuforge.dev/job=<name>` and `app.kubernetes.io/managed-by=gpuforge` in the
environment's training namespace; its status is its backend's primary object
(`resources.PRIMARY`). Labels are filtered here as well as sent, because the
emulated API ignores selectors.

Launch facts the cluster does not keep (nodes, GPUs per node, pool, instance
type, launch time) ride on the primary object as `gpuforge.dev/*` annotations,
so `gpuforge jobs` can show size and cost without the job file.
"""

from __future__ import annotations

import copy
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from gpuforge.jobs import job_status, resources
from gpuforge.jobs.kube import LAUNCH_ID, KubeError, connect, matches
from gpuforge.model.names import JOB_LABEL, MANAGED_BY, TAG_PREFIX

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
JOB_SELECTOR = {MANAGED_BY_LABEL: MANAGED_BY}

NODES = f"{TAG_PREFIX}/nodes"
GPUS_PER_NODE = f"{TAG_PREFIX}/gpus-per-node"
POOL = f"{TAG_PREFIX}/pool"
INSTANCE_TYPE = f"{TAG_PREFIX}/instance-type"
BACKEND = f"{TAG_PREFIX}/backend"
LAUNCHED_AT = f"{TAG_PREFIX}/launched-at"

POLL_S = 5.0
"""Seconds between polls while following a job (the emulated API cannot watch)."""
DELETE_WAIT_S = 120.0

Say = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# -- errors ----------------------------------------------------------------------------


class JobExists(KubeError):
    """The name is taken (exit 1)."""


class JobNotFound(KubeError):
    """No job of that name (exit 1)."""


class LaunchRejected(KubeError):
    """The API refused an object; whatever was created before it was removed (exit 1)."""


class JobFailed(KubeError):
    """A followed job ended in failure (exit 1)."""


class Interrupted(KubeError):
    """Ctrl-C while following: the job keeps running (exit 130)."""


# -- records ---------------------------------------------------------------------------


@dataclass
class JobRecord:
    """One job as `gpuforge jobs` shows it."""

    name: str
    kind: str
    state: str
    nodes: int | None
    gpus_per_node: int | None
    pool: str | None
    instance_type: str | None
    age_s: float | None
    restarts: int
    running_s: float
    cost_usd: float | None
    """List price x nodes x time since the job's pods started; None when unpriced."""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class JobFacts:
    """What submit records about a job beside its manifests."""

    name: str
    pool: str
    nodes: int
    gpus_per_node: int
    instance_type: str

    @classmethod
    def of(cls, job: Any, env: Any) -> JobFacts:
        pool = next(p for p in env.gpu_pools if p.name == job.pool)
        gpus = getattr(job, "gpus_per_node", None) or pool.instance.gpus
        return cls(job.name, pool.name, int(job.nodes), int(gpus), pool.instance_type)


# -- submit ----------------------------------------------------------------------------


def submit(
    job: Any,
    env: Any,
    manifests: list[dict],
    backend: Any,
    *,
    replace: bool = False,
    wait: bool = False,
    kubeconfig: str | None = None,
    context: str | None = None,
    say: Say = _stderr,
    poll_s: float = POLL_S,
    env_hint: str | None = None,
) -> str:
    """Create the job's objects in order and return its state (its final one with `wait`).

    Refuses a name that is taken unless `replace` (then the old job is deleted
    first). If the API rejects an object, the ones already created are deleted
    again: nothing is left half-launched.
    """
    kube = connect(env, kubeconfig, context)
    namespace = env.training.namespace
    primary = resources.from_primary(backend.primary)
    facts = JobFacts.of(job, env)
    hint_env = env_hint or env.environment
    objects = _stamp(manifests, facts, backend.name, primary, namespace)

    taken = _existing(kube, objects, namespace)
    if taken:
        foreign = [f"{o['kind']}/{o['metadata']['name']}" for o in taken if not _ours(o, job.name)]
        if foreign or not replace:
            what = ", ".join(f"{o['kind']}/{o['metadata']['name']}" for o in taken)
            hint = (
                "those objects are not gpuforge's; pick another job name"
                if foreign
                else f"gpuforge cancel {job.name} -e {hint_env}, or launch with --replace"
            )
            raise JobExists(
                f"job {job.name} already exists in namespace {namespace} ({what})", hint
            )
        say(f"replacing job {job.name}: deleting the old one")
        _delete_job(kube, namespace, job.name, wait_gone=True)

    created: list[tuple[resources.Resource, str]] = []
    try:
        for obj in objects:
            resource = resources.for_kind(obj["apiVersion"], obj["kind"])
            kube.create(resource, namespace, obj)
            created.append((resource, obj["metadata"]["name"]))
    except BaseException as exc:
        left = _roll_back(kube, namespace, created)
        name = f"{obj['kind']}/{obj['metadata']['name']}"
        why = exc.message if isinstance(exc, KubeError) else "interrupted"
        cleanup = (
            "nothing was left behind"
            if not left
            else f"could not remove {', '.join(left)}: run gpuforge cancel {job.name} -e {hint_env}"
        )
        if isinstance(exc, (KubeError, KeyboardInterrupt)):
            raise LaunchRejected(f"launch of {job.name} failed at {name}: {why}", cleanup) from None
        raise
    say(
        f"launched {job.name}: {facts.nodes} x {facts.gpus_per_node} GPUs on pool {facts.pool} "
        f"({backend.name}, namespace {namespace})"
    )
    if not wait:
        return job_status.PENDING
    return follow(kube, env, job.name, say=say, poll_s=poll_s, env_hint=hint_env)


def _stamp(
    manifests: list[dict], facts: JobFacts, backend: str, primary: resources.Resource, ns: str
) -> list[dict]:
    """Copies of the manifests with this launch's id, and the facts on the primary."""
    launch_id = uuid.uuid4().hex
    out = []
    for manifest in manifests:
        obj = copy.deepcopy(manifest)
        meta = obj.setdefault("metadata", {})
        meta.setdefault("namespace", ns)
        annotations = meta.setdefault("annotations", {})
        annotations[LAUNCH_ID] = launch_id
        if (obj["apiVersion"], obj["kind"]) == (primary.api_version, primary.kind):
            annotations.update(
                {
                    NODES: str(facts.nodes),
                    GPUS_PER_NODE: str(facts.gpus_per_node),
                    POOL: facts.pool,
                    INSTANCE_TYPE: facts.instance_type,
                    BACKEND: backend,
                    LAUNCHED_AT: _now().isoformat().replace("+00:00", "Z"),
                }
            )
        out.append(obj)
    return out


def _existing(kube, objects: list[dict], namespace: str) -> list[dict]:
    found = []
    for obj in objects:
        resource = resources.for_kind(obj["apiVersion"], obj["kind"])
        live = kube.get(resource, namespace, obj["metadata"]["name"])
        if live is not None:
            live.setdefault("kind", obj["kind"])
            found.append(live)
    return found


def _ours(obj: dict, name: str) -> bool:
    return matches(obj, {**JOB_SELECTOR, JOB_LABEL: name})


def _roll_back(kube, namespace: str, created: list[tuple[resources.Resource, str]]) -> list[str]:
    """Delete what a failed launch created, newest first; returns what could not be."""
    left = []
    for resource, name in reversed(created):
        try:
            kube.delete(resource, namespace, name)
        except KubeError:
            left.append(f"{resource.kind}/{name}")
    return left


# -- follow ----------------------------------------------------------------------------


def follow(
    kube,
    env: Any,
    name: str,
    *,
    say: Say = _stderr,
    poll_s: float = POLL_S,
    env_hint: str | None = None,
) -> str:
    """Poll the job until it ends; say each change. Failed raises `JobFailed`."""
    namespace = env.training.namespace
    hint_env = env_hint or env.environment
    last = None
    try:
        while True:
            primary, pods = _job_objects(kube, namespace, name)
            if primary is None:
                raise JobNotFound(
                    f"job {name} is gone from namespace {namespace}", "it was cancelled"
                )
            now = job_status.job_state(primary, pods)
            if now != last:
                say(f"{name}: {now}")
                last = now
            if now == job_status.SUCCEEDED:
                return now
            if now == job_status.FAILED:
                why = job_status.explain(primary, pods, [], [])
                raise JobFailed(
                    f"job {name} failed"
                    + (f": {why.text.removeprefix('failed: ')}" if why else ""),
                    f"gpuforge logs {name} -e {hint_env}",
                )
            time.sleep(poll_s)
    except KeyboardInterrupt:
        raise Interrupted(
            f"stopped following {name}; the job keeps running",
            f"follow it again with gpuforge status {name} -e {hint_env} "
            f"or gpuforge logs {name} -e {hint_env} -f",
        ) from None


# -- reading jobs ------------------------------------------------------------------------


def _primaries(kube, namespace: str, name: str | None = None) -> list[dict]:
    selector = dict(JOB_SELECTOR, **({JOB_LABEL: name} if name else {}))
    found = []
    for resource in resources.PRIMARY:
        for obj in kube.list(resource, namespace, selector):
            meta = obj.get("metadata", {})
            job = (meta.get("labels") or {}).get(JOB_LABEL)
            owned = any(ref.get("controller") for ref in meta.get("ownerReferences") or [])
            if job and meta.get("name") == job and not owned:
                found.append(obj)
    return found


def _pods_by_job(kube, namespace: str) -> dict[str, list[dict]]:
    pods: dict[str, list[dict]] = {}
    for pod in kube.list(resources.POD, namespace, JOB_SELECTOR):
        job = pod["metadata"]["labels"].get(JOB_LABEL)
        if job:
            pods.setdefault(job, []).append(pod)
    return pods


def _job_objects(kube, namespace: str, name: str) -> tuple[dict | None, list[dict]]:
    primaries = _primaries(kube, namespace, name)
    if not primaries:
        return None, []
    pods = kube.list(resources.POD, namespace, {**JOB_SELECTOR, JOB_LABEL: name})
    return primaries[0], pods


def _record(primary: dict, pods: list[dict], now: datetime) -> JobRecord:
    from gpuforge.model.pricing import hourly_usd

    meta = primary.get("metadata", {})
    notes = meta.get("annotations") or {}
    nodes = _int(notes.get(NODES))
    instance_type = notes.get(INSTANCE_TYPE)
    created = job_status.parse_time(meta.get("creationTimestamp")) or job_status.parse_time(
        notes.get(LAUNCHED_AT)
    )
    job_state = job_status.job_state(primary, pods)
    running_s = _running_seconds(primary, pods, now)
    price = hourly_usd(instance_type) if instance_type else None
    cost = None if price is None or nodes is None else round(price * nodes * running_s / 3600, 2)
    return JobRecord(
        name=meta["name"],
        kind=primary.get("kind", ""),
        state=job_state,
        nodes=nodes,
        gpus_per_node=_int(notes.get(GPUS_PER_NODE)),
        pool=notes.get(POOL),
        instance_type=instance_type,
        age_s=(now - created).total_seconds() if created else None,
        restarts=sum(p.restarts for p in job_status.rank_pods(pods)),
        running_s=running_s,
        cost_usd=cost,
    )


def _running_seconds(primary: dict, pods: list[dict], now: datetime) -> float:
    """From the first start (the job's or a pod's) to completion, or now."""
    status = primary.get("status") or {}
    starts = [job_status.parse_time(status.get("startTime"))]
    starts += [job_status.parse_time((p.get("status") or {}).get("startTime")) for p in pods]
    started = min((s for s in starts if s is not None), default=None)
    if started is None:
        return 0.0
    ended = job_status.parse_time(status.get("completionTime"))
    if ended is None and job_status.job_state(primary, pods) in job_status.TERMINAL:
        ended = _last_transition(primary)
    return max(0.0, ((ended or now) - started).total_seconds())


def _last_transition(primary: dict) -> datetime | None:
    times = [
        job_status.parse_time(c.get("lastTransitionTime"))
        for c in (primary.get("status") or {}).get("conditions") or []
    ]
    return max((t for t in times if t is not None), default=None)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _now() -> datetime:
    return datetime.now(UTC)


def list_jobs(env: Any, *, kubeconfig: str | None = None, context: str | None = None) -> list:
    """Every gpuforge job in the environment's namespace, newest first."""
    kube = connect(env, kubeconfig, context)
    namespace = env.training.namespace
    pods = _pods_by_job(kube, namespace)
    now = _now()
    records = [
        _record(p, pods.get(p["metadata"]["name"], []), now) for p in _primaries(kube, namespace)
    ]
    return sorted(records, key=lambda r: (r.age_s is None, r.age_s or 0, r.name))


def describe(
    env: Any, name: str, *, kubeconfig: str | None = None, context: str | None = None
) -> tuple[JobRecord, job_status.JobStatus]:
    """The job's record and status: ranks, recent events, and why it waits."""
    kube = connect(env, kubeconfig, context)
    namespace = env.training.namespace
    primary, pods = _job_objects(kube, namespace, name)
    if primary is None:
        raise JobNotFound(
            f"no job {name} in namespace {namespace}", f"gpuforge jobs -e {env.environment}"
        )
    workloads = [
        w
        for w in kube.list(resources.WORKLOAD, namespace)
        if any(
            ref.get("name") == name and ref.get("kind") == primary.get("kind")
            for ref in w.get("metadata", {}).get("ownerReferences") or []
        )
    ]
    names = (
        {name} | {p["metadata"]["name"] for p in pods} | {w["metadata"]["name"] for w in workloads}
    )
    events = job_status.job_events(kube.list(resources.EVENT, namespace), names)
    record = _record(primary, pods, _now())
    status = job_status.JobStatus(
        name=name,
        state=record.state,
        pods=job_status.rank_pods(pods),
        events=events,
        explanation=job_status.explain(primary, pods, events, workloads, pool=record.pool),
    )
    return record, status


# -- logs ------------------------------------------------------------------------------


def logs(
    env: Any,
    name: str,
    *,
    rank: int | None = None,
    follow_logs: bool = False,
    kubeconfig: str | None = None,
    context: str | None = None,
    out: Say = print,
    say: Say = _stderr,
    poll_s: float = POLL_S,
    env_hint: str | None = None,
) -> None:
    """Print the job's logs, each line prefixed `[rank N]`; with `follow_logs`, poll for
    new lines until the job ends (Ctrl-C stops following and leaves the job running)."""
    kube = connect(env, kubeconfig, context)
    namespace = env.training.namespace
    hint_env = env_hint or env.environment
    printed: dict[str, int] = {}
    try:
        while True:
            primary, pods = _job_objects(kube, namespace, name)
            if primary is None:
                raise JobNotFound(
                    f"no job {name} in namespace {namespace}", f"gpuforge jobs -e {hint_env}"
                )
            ranks = [p for p in job_status.rank_pods(pods) if rank is None or p.rank == rank]
            if rank is not None and not ranks and not follow_logs:
                have = sorted({p.rank for p in job_status.rank_pods(pods) if p.rank is not None})
                raise JobNotFound(
                    f"job {name} has no pod for rank {rank}",
                    f"ranks now: {', '.join(map(str, have)) or 'none yet'}",
                )
            waiting = []
            for pod in ranks:
                if pod.phase == "Pending" and not pod.restarts:
                    waiting.append(pod.rank)
                    continue  # nothing to read yet
                _print_new(kube, namespace, pod, printed, out)
            if not follow_logs:
                if not ranks:
                    say(f"{name}: no pods yet ({job_status.job_state(primary, pods)})")
                elif waiting:
                    shown = ", ".join(str(r) for r in waiting if r is not None) or "?"
                    say(
                        f"{name}: no logs yet from rank {shown} (Pending; `gpuforge status {name}`)"
                    )
                return
            if job_status.job_state(primary, pods) in job_status.TERMINAL:
                return
            time.sleep(poll_s)
    except KeyboardInterrupt:
        raise Interrupted(
            f"stopped following {name}; the job keeps running",
            f"follow it again with gpuforge logs {name} -e {hint_env} -f",
        ) from None


def _print_new(kube, namespace: str, pod: job_status.RankPod, printed: dict[str, int], out: Say):
    try:
        lines = kube.log(namespace, pod.name).splitlines()
    except KubeError:
        return  # the container has not started, or the pod just went
    label = f"[rank {pod.rank if pod.rank is not None else '?'}]"
    seen = printed.get(pod.name, 0)
    if len(lines) < seen:  # the container restarted: its log starts over
        out(f"{label} --- container restarted ---")
        seen = 0
    for line in lines[seen:]:
        out(f"{label} {line}")
    printed[pod.name] = len(lines)


# -- cancel ----------------------------------------------------------------------------


def cancel(
    env: Any, name: str, *, kubeconfig: str | None = None, context: str | None = None
) -> list[str]:
    """Delete every object of the job; returns what was deleted (`Kind/name`)."""
    kube = connect(env, kubeconfig, context)
    namespace = env.training.namespace
    deleted = _delete_job(kube, namespace, name)
    if not deleted:
        raise JobNotFound(
            f"no job {name} in namespace {namespace}", f"gpuforge jobs -e {env.environment}"
        )
    return deleted


def _delete_job(kube, namespace: str, name: str, wait_gone: bool = False) -> list[str]:
    selector = {**JOB_SELECTOR, JOB_LABEL: name}
    deleted: list[tuple[resources.Resource, str]] = []
    for resource in resources.OWNED:
        for obj in kube.list(resource, namespace, selector):
            if kube.delete(resource, namespace, obj["metadata"]["name"]):
                deleted.append((resource, obj["metadata"]["name"]))
    if wait_gone:
        deadline = time.monotonic() + DELETE_WAIT_S
        for resource, obj_name in deleted:
            if resource is resources.POD:
                continue  # pods of the old job may take their grace period
            while kube.get(resource, namespace, obj_name) is not None:
                if time.monotonic() > deadline:
                    raise JobExists(
                        f"{resource.kind}/{obj_name} is still being deleted",
                        "try --replace again in a minute",
                    )
                time.sleep(1.0)
    return [f"{r.kind}/{n}" for r, n in deleted]
