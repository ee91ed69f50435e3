"""`gpuforge jobs`: every job in the environment's namespace, with its size and cost so far.

The size comes from the launch facts on each job's primary object
(`launch_annotations`), its age from the object's `creationTimestamp`, and its
cost from the list price x nodes x the time since its pods started.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from gpuforge.jobs import job_status, launch_annotations
from gpuforge.jobs.job_objects import pods_by_job, primaries
from gpuforge.jobs.kube_client import connect
from gpuforge.model.names import ENVIRONMENT_LABEL
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.teams import Team
from gpuforge.model.teams import teams as all_teams


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
    team: str = ""
    """The job's team (`gpuforge.model.teams`): the team whose namespace it is in."""

    def as_dict(self) -> dict:
        return asdict(self)


def list_jobs(
    env: EnvironmentSpec,
    *,
    kubeconfig: str | None = None,
    context: str | None = None,
    teams: list[Team] | None = None,
) -> list[JobRecord]:
    """Every gpuforge job the environment launched into the namespaces of `teams`
    (default: the environment's one team, or the first), newest first."""
    kube = connect(env, kubeconfig, context)
    now = utc_now()
    records = []
    for team in teams or all_teams(env)[:1]:
        pods = pods_by_job(kube, team.namespace)
        for p in primaries(kube, team.namespace):
            # environments may share a cluster and namespace: only this environment's jobs
            if (p["metadata"].get("labels") or {}).get(ENVIRONMENT_LABEL) != env.environment:
                continue
            record = job_record(p, pods.get(p["metadata"]["name"], []), now)
            record.team = team.name
            records.append(record)
    return sorted(records, key=lambda r: (r.age_s is None, r.age_s or 0, r.team, r.name))


def job_record(primary: dict, pods: list[dict], now: datetime) -> JobRecord:
    """The record of the job whose primary object and pods these are."""
    from gpuforge.model.pricing import hourly_usd

    meta = primary.get("metadata", {})
    notes = meta.get("annotations") or {}
    nodes = _int(notes.get(launch_annotations.NODES))
    instance_type = notes.get(launch_annotations.INSTANCE_TYPE)
    created = job_status.parse_time(meta.get("creationTimestamp"))
    running_s = _running_seconds(primary, pods, now)
    price = hourly_usd(instance_type) if instance_type else None
    cost = None if price is None or nodes is None else round(price * nodes * running_s / 3600, 2)
    return JobRecord(
        name=meta["name"],
        kind=primary.get("kind", ""),
        state=job_status.job_state(primary, pods),
        nodes=nodes,
        gpus_per_node=_int(notes.get(launch_annotations.GPUS_PER_NODE)),
        pool=notes.get(launch_annotations.POOL),
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


def utc_now() -> datetime:
    return datetime.now(UTC)
