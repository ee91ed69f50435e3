"""What a job's Kubernetes objects say about it: its state, its ranks, and why it waits.

Pure functions of plain dicts (the job's primary object, its pods, events and Kueue
workloads), so they are tested without an API server. The words come from what the
scheduler, the cluster autoscaler and Kueue write: `FailedScheduling`,
`TriggeredScaleUp`, `NotTriggerScaleUp`, and a Workload's `QuotaReserved` condition.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from gpuforge.model import node_health

RANK_LABEL = "batch.kubernetes.io/job-completion-index"
RANK_ANNOTATION = RANK_LABEL  # older Job controllers set only the annotation

PENDING, QUEUED, STARTING, RUNNING, SUCCEEDED, FAILED = (
    "Pending",
    "Queued",
    "Starting",
    "Running",
    "Succeeded",
    "Failed",
)
TERMINAL = (SUCCEEDED, FAILED)


@dataclass
class RankPod:
    """One pod of the job, by rank."""

    rank: int | None
    name: str
    phase: str
    restarts: int
    node: str | None
    waiting: str | None
    """Why a container is not running yet: ContainerCreating, ImagePullBackOff, ..."""


@dataclass
class Event:
    time: str
    type: str
    reason: str
    object: str
    message: str


@dataclass
class Explanation:
    """Why a job is not running, in words, with the evidence."""

    kind: str
    """scale-up | quota | queue | never-fits | scheduling | image | no-pods | failed"""
    text: str


@dataclass
class NodeProblem:
    """A rank whose pod failed, was evicted or is being disrupted on an unhealthy node."""

    rank: int | None
    pod: str
    node: str
    condition: str
    """The node condition type: `AcceleratedHardwareReady`, `Ready`, `MemoryPressure`, ..."""
    status: str
    reason: str
    message: str

    def line(self) -> str:
        rank = "?" if self.rank is None else self.rank
        why = f"{self.reason}: {self.message}" if self.message else self.reason
        return (
            f"rank {rank} ({self.pod}) went down on node {self.node}: "
            f"{self.condition}={self.status} ({why})"
        )


@dataclass
class JobStatus:
    name: str
    state: str
    pods: list[RankPod] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    explanation: Explanation | None = None
    node_problems: list[NodeProblem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# -- conditions ------------------------------------------------------------------


def condition(obj: dict, kind: str) -> dict | None:
    """The status condition of type `kind`, if any."""
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def _true(obj: dict, kind: str) -> bool:
    cond = condition(obj, kind)
    return cond is not None and str(cond.get("status")) == "True"


# -- state -----------------------------------------------------------------------


def job_state(primary: dict, pods: list[dict]) -> str:
    """Succeeded, Failed, Queued (suspended: waiting for Kueue), Running (every rank
    running), Starting (some pods exist), or Pending (none yet)."""
    if _true(primary, "Complete") or _true(primary, "Completed"):
        return SUCCEEDED
    if _true(primary, "Failed"):
        return FAILED
    if _true(primary, "Suspended") or (primary.get("spec") or {}).get("suspend") is True:
        return QUEUED
    live = [p for p in pods if _phase(p) in ("Pending", "Running")]
    if not live:
        return PENDING
    expected = expected_ranks(primary)
    running = [p for p in live if _phase(p) == "Running"]
    if running and len(running) >= (expected or len(live)):
        return RUNNING
    return STARTING


def expected_ranks(primary: dict) -> int | None:
    """How many pods the job runs at once (parallelism), where the object says."""
    spec = primary.get("spec") or {}
    if "parallelism" in spec:
        return int(spec["parallelism"])
    for rjob in spec.get("replicatedJobs") or []:  # JobSet
        job_spec = (rjob.get("template") or {}).get("spec") or {}
        return int(job_spec.get("parallelism", 1)) * int(rjob.get("replicas", 1))
    return None


def _phase(pod: dict) -> str:
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return "Terminating"
    return (pod.get("status") or {}).get("phase") or "Pending"


def rank_of(pod: dict) -> int | None:
    meta = pod.get("metadata") or {}
    value = (meta.get("labels") or {}).get(RANK_LABEL) or (meta.get("annotations") or {}).get(
        RANK_ANNOTATION
    )
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def rank_pods(pods: list[dict]) -> list[RankPod]:
    """The job's pods as ranks, rank 0 first (pods without a rank last)."""
    out = []
    for pod in pods:
        status = pod.get("status") or {}
        statuses = status.get("containerStatuses") or []
        waiting = next(
            (
                s["state"]["waiting"].get("reason")
                for s in statuses
                if (s.get("state") or {}).get("waiting")
            ),
            None,
        )
        out.append(
            RankPod(
                rank=rank_of(pod),
                name=pod["metadata"]["name"],
                phase=_phase(pod),
                restarts=sum(int(s.get("restartCount", 0)) for s in statuses),
                node=(pod.get("spec") or {}).get("nodeName"),
                waiting=waiting,
            )
        )
    return sorted(out, key=lambda p: (p.rank is None, p.rank or 0, p.name))


# -- events ----------------------------------------------------------------------


def event_time(event: dict) -> str:
    return (
        event.get("lastTimestamp")
        or event.get("eventTime")
        or event.get("firstTimestamp")
        or (event.get("metadata") or {}).get("creationTimestamp")
        or ""
    )


def job_events(events: list[dict], names: set[str], limit: int = 10) -> list[Event]:
    """The latest events about the named objects (the job, its pods, its workloads)."""
    mine = [e for e in events if (e.get("involvedObject") or {}).get("name") in names]
    mine.sort(key=event_time)
    return [
        Event(
            time=event_time(e),
            type=e.get("type", ""),
            reason=e.get("reason", ""),
            object=f"{e['involvedObject'].get('kind', '')}/{e['involvedObject']['name']}",
            message=(e.get("message") or "").strip(),
        )
        for e in mine[-limit:]
    ]


# -- why is it not running -------------------------------------------------------


def explain(
    primary: dict,
    pods: list[dict],
    events: list[Event],
    workloads: list[dict],
    pool: str | None = None,
) -> Explanation | None:
    """Why the job is not (yet) running, or None when it is running or finished well."""
    state = job_state(primary, pods)
    if state == FAILED:
        cond = condition(primary, "Failed") or {}
        why = cond.get("message") or cond.get("reason") or "the job failed"
        return Explanation("failed", f"failed: {why}")
    if state in (RUNNING, SUCCEEDED):
        return None
    pool_words = f"pool {pool}" if pool else "the GPU pool"

    queued = _explain_queue(primary, workloads, state)
    if queued is not None:
        return queued

    by_reason: dict[str, Event] = {}
    for event in events:  # oldest first, so the latest of each reason wins
        by_reason[event.reason] = event
    not_triggered = by_reason.get("NotTriggerScaleUp")
    triggered = by_reason.get("TriggeredScaleUp")
    if not_triggered and (not triggered or triggered.time <= not_triggered.time):
        msg = not_triggered.message
        low = msg.lower()
        if "backoff after failed scale-up" in low:
            return Explanation(
                "quota",
                f"{pool_words} could not grow: its last scale-up failed, usually an EC2 "
                f"quota or no capacity for the instance type (autoscaler: {msg}); "
                "check the account's GPU quota or try another pool",
            )
        if "max node group size reached" in low or "max limit reached" in low:
            return Explanation(
                "quota",
                f"{pool_words} is at its maximum size: the job waits for other jobs to "
                f"free nodes (autoscaler: {msg}); raise the pool's max or wait",
            )
        return Explanation(
            "never-fits",
            f"can never fit: the autoscaler will not add a node that could take it "
            f"(autoscaler: {msg}); check the pool, GPUs per node and node selector",
        )
    if triggered:
        return Explanation(
            "scale-up",
            f"waiting for {pool_words} to scale up (from zero, new GPU nodes take a few "
            f"minutes to boot and join): {triggered.message}",
        )
    for rank in rank_pods(pods):
        if rank.waiting in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
            return Explanation("image", f"rank {rank.rank} cannot pull its image ({rank.waiting})")
    scheduling = by_reason.get("FailedScheduling")
    unschedulable = _unschedulable_message(pods)
    if scheduling or unschedulable:
        msg = scheduling.message if scheduling else unschedulable
        return Explanation(
            "scheduling",
            f"waiting for a node: the scheduler found none ({msg}); no word from the "
            "cluster autoscaler yet",
        )
    if state == PENDING:
        return Explanation("no-pods", "no pods yet: the job controller has not created them")
    return None


def _explain_queue(primary: dict, workloads: list[dict], state: str) -> Explanation | None:
    admitted = any(_true(w, "QuotaReserved") for w in workloads)
    if admitted and state != QUEUED:
        return None
    if workloads and not admitted:
        workload = workloads[-1]
        cond = condition(workload, "QuotaReserved") or {}
        msg = cond.get("message") or ""
        queue = (workload.get("spec") or {}).get("queueName") or "its queue"
        low = msg.lower()
        if "insufficient quota" in low and "maximum capacity" in low:
            return Explanation(
                "never-fits",
                f"can never fit queue {queue}'s quota: {msg}; ask for fewer GPUs or "
                "raise the ClusterQueue's quota",
            )
        if "insufficient unused quota" in low or "insufficient quota" in low:
            return Explanation(
                "quota",
                f"quota exhausted: queue {queue} is full and the job waits for others "
                f"to finish ({msg})",
            )
        detail = msg or "no quota reserved yet"
        return Explanation("queue", f"not admitted by Kueue queue {queue} yet: {detail}")
    if state == QUEUED:
        return Explanation(
            "queue",
            "suspended, waiting for Kueue to admit it (no Workload yet: is Kueue running "
            "and the queue label right?)",
        )
    return None


def _unschedulable_message(pods: list[dict]) -> str | None:
    for pod in pods:
        cond = condition(pod, "PodScheduled")
        if cond and cond.get("status") == "False" and cond.get("reason") == "Unschedulable":
            return cond.get("message") or "unschedulable"
    return None


# -- time ------------------------------------------------------------------------


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- node health -------------------------------------------------------------------


def went_down(pod: dict) -> bool:
    """The pod failed, was evicted, is being deleted or carries a DisruptionTarget."""
    status = pod.get("status") or {}
    return (
        status.get("phase") == "Failed"
        or status.get("reason") == "Evicted"
        or bool((pod.get("metadata") or {}).get("deletionTimestamp"))
        or _true(pod, "DisruptionTarget")
    )


def node_problems(pods: list[dict], nodes: list[dict]) -> list[NodeProblem]:
    """Which ranks went down on a node whose conditions show a problem, and which condition:
    the EKS node monitoring agent's (`AcceleratedHardwareReady` after a GPU XID, ...) or the
    kubelet's (`Ready`, pressure), as `node_health.problem_conditions` reads them."""
    by_name = {(n.get("metadata") or {}).get("name"): n for n in nodes}
    out = []
    for pod in pods:
        node_name = (pod.get("spec") or {}).get("nodeName")
        node = by_name.get(node_name)
        if node is None or not went_down(pod):
            continue
        for cond in node_health.problem_conditions((node.get("status") or {}).get("conditions")):
            out.append(
                NodeProblem(
                    rank=rank_of(pod),
                    pod=pod["metadata"]["name"],
                    node=node_name,
                    condition=cond.get("type", ""),
                    status=cond.get("status", ""),
                    reason=cond.get("reason") or "",
                    message=cond.get("message") or "",
                )
            )
    return sorted(out, key=lambda p: (p.rank is None, p.rank or 0, p.pod, p.condition))
