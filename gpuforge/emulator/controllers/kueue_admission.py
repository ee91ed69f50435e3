"""Kueue's admission, for the Jobs, JobSets and TrainJobs that name a queue.

For each such object (not one a managed parent owns, as a JobSet's child Job) Kueue
makes one Workload, named and owned as its job framework does, and its scheduler
admits the Workload when the ClusterQueue behind the LocalQueue has quota for every
pod set in one flavor; then the job is unsuspended (`spec.suspend: false`). Otherwise
the Workload stays pending with the scheduler's own message. A finished job's Workload
gets `Finished`, which frees its quota. The queue objects are the runtime's own
(`gpuforge.model.kueue`), not a copy.

Read at kubernetes-sigs/kueue@8eab687 (v0.19.2, the newest release in the snapshot):
- `pkg/controller/jobframework/workload_names.go:GenerateWorkloadNameWithExtra`: the name
  `<kind>-<job name>-<first 5 hex of sha1(kind, group, name, uid)>`, so a name reused
  by a new object (a new uid) gets a new Workload;
- `pkg/workload/workload.go:893 SetQuotaReservation` (`QuotaReserved`, reason
  `QuotaReserved`, "Quota reserved in ClusterQueue <cq>") and
  `pkg/workload/admissionchecks.go:39 SyncAdmittedCondition` (`Admitted`, reason
  `Admitted`, "The workload is admitted");
- `pkg/scheduler/scheduler.go:1172` (a workload that does not fit: `QuotaReserved`
  false, reason `Pending`: `UnadmittedWorkloadsObservability` is off by default,
  `pkg/features/kube_features.go:899`) with the message of
  `pkg/scheduler/flavorassigner/flavorassigner.go:228 Assignment.Message`,
  `:1243` (untolerated taint), `:1252` (node affinity), `:1350` (more than the
  flavor's quota) and `:1368` (quota in use), reasons sorted and joined by ", " (`:353`);
- `pkg/controller/core/workload_controller.go:2084` ("LocalQueue <q> doesn't exist",
  reason `Misconfigured`);
- `apis/kueue/v1beta2/workload_types.go:1164` (`Finished`, reasons `Succeeded`/`Failed`).

ClusterQueues in a cohort (an environment's teams, `gpuforge.model.team_queues`) borrow
each other's unused quota within their borrowing and lending limits (`_Room`).

A team within its nominal quota reclaims what others borrowed (`_reclaim`: their newest
workloads are evicted and their jobs suspended).

Not emulated: preemption by priority (`withinClusterQueue`), Fair Sharing's ordering and
share values, admission checks, partial admission, priorities (admission is first come,
first served in creation order).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

from gpuforge.emulator.controllers import trainer_controller
from gpuforge.emulator.controllers.store import (
    Store,
    condition,
    controller_uid,
    is_true,
    owner_reference,
    set_condition,
    timestamp,
)
from gpuforge.jobs import resources
from gpuforge.jobs.resources import Resource
from gpuforge.model import kueue, team_queues, teams
from gpuforge.model.names import KUEUE_QUEUE_LABEL
from gpuforge.model.spec import EnvironmentSpec

MANAGED = (resources.BATCH_JOB, resources.JOBSET, resources.TRAINJOB)
JOB_UID_LABEL = "kueue.x-k8s.io/job-uid"
MAIN_POD_SET = "main"
"""The pod set name Kueue gives a batch Job (`kueue.DefaultPodSetName`)."""


def workload_name(obj: dict) -> str:
    """`GetWorkloadNameForOwnerWithGVK`: `<kind>-<name>-<hash of kind, group, name, uid>`."""
    meta = obj["metadata"]
    kind = obj["kind"]
    group = obj["apiVersion"].rpartition("/")[0]
    digest = hashlib.sha1("\n".join([kind, group, meta["name"], meta["uid"]]).encode()).hexdigest()
    prefix = f"{kind.lower()}-{meta['name']}"[: 253 - 1 - 5]
    return f"{prefix}-{digest[:5]}"


def quantity(value: Any) -> Decimal:
    from kubernetes.utils.quantity import parse_quantity

    return Decimal(parse_quantity(str(value)))


def pod_requests(template: dict) -> dict[str, Decimal]:
    """What one pod asks for: its containers' requests (a limit stands in for a missing
    request, as the API server defaults it)."""
    total: dict[str, Decimal] = {}
    for container in (template.get("spec") or {}).get("containers") or []:
        res = container.get("resources") or {}
        asked = {**(res.get("limits") or {}), **(res.get("requests") or {})}
        for name, value in asked.items():
            total[name] = total.get(name, Decimal(0)) + quantity(value)
    return total


def pod_sets(store: Store, resource: Resource, obj: dict) -> list[dict]:
    """The Workload's pod sets: name, count and pod template, per job kind."""
    spec = obj.get("spec") or {}
    if resource is resources.BATCH_JOB:
        count = int(spec.get("parallelism") or 1)
        return [{"name": MAIN_POD_SET, "count": count, "template": spec.get("template") or {}}]
    if resource is resources.TRAINJOB:
        spec = trainer_controller.jobset_spec(store, obj) or {}
    sets = []
    for rjob in spec.get("replicatedJobs") or []:
        job_spec = (rjob.get("template") or {}).get("spec") or {}
        count = int(rjob.get("replicas") or 1) * int(job_spec.get("parallelism") or 1)
        sets.append(
            {"name": rjob["name"], "count": count, "template": job_spec.get("template") or {}}
        )
    return sets


def format_amount(resource: str, amount: Decimal) -> str:
    """A quantity as Kueue's resource formatter prints it (cpu in cores or millicores,
    memory in the largest binary unit that divides it, anything else as a count)."""
    if resource == "cpu":
        milli = int(amount * 1000)
        return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"
    if resource == "memory":
        value = int(amount)
        for suffix, size in (
            ("Ei", 2**60),
            ("Pi", 2**50),
            ("Ti", 2**40),
            ("Gi", 2**30),
            ("Mi", 2**20),
            ("Ki", 2**10),
        ):
            if value and value % size == 0:
                return f"{value // size}{suffix}"
        return str(value)
    return str(int(amount)) if amount == int(amount) else str(amount)


class KueueAdmission:
    """Kueue's job framework and scheduler for one environment's queues."""

    def __init__(self, store: Store, spec: EnvironmentSpec | None = None) -> None:
        self.store = store
        self.spec = spec

    def step(self) -> int:
        acted = 0
        for resource in MANAGED:
            for obj in sorted(
                self.store.list(resource),
                key=lambda o: o["metadata"].get("creationTimestamp") or "",
            ):
                labels = obj["metadata"].get("labels") or {}
                if KUEUE_QUEUE_LABEL not in labels or controller_uid(obj):
                    continue
                if obj["metadata"].get("deletionTimestamp"):
                    continue
                acted += self._reconcile(resource, obj, labels[KUEUE_QUEUE_LABEL])
        return acted

    # -- one job -------------------------------------------------------------------

    def _reconcile(self, resource: Resource, obj: dict, queue: str) -> int:
        meta = obj["metadata"]
        uid = self.store.uid(resource, obj)
        namespace = meta.get("namespace")
        workload = self._workload_of(namespace, uid)
        if workload is None:
            if (
                resource is resources.TRAINJOB
                and trainer_controller.jobset_spec(self.store, obj) is None
            ):
                return 0  # no runtime to size it by: Kueue's TrainJob integration waits too
            workload = self._create_workload(resource, obj, queue)
        finished = _finished(resource, obj)
        if finished is not None:
            if not is_true(workload, "Finished"):
                self._set_conditions(workload, [self._cond("Finished", "True", *finished)])
                return 1
            return 0
        if is_true(workload, "QuotaReserved"):
            if (obj.get("spec") or {}).get("suspend"):
                self.store.patch(resource, namespace, meta["name"], {"spec": {"suspend": False}})
                return 1
            return 0
        return self._schedule(resource, obj, workload)

    def _workload_of(self, namespace: str | None, uid: str) -> dict | None:
        for workload in self.store.list(resources.WORKLOAD, namespace):
            if controller_uid(workload) == uid:
                return workload
        return None

    def _create_workload(self, resource: Resource, obj: dict, queue: str) -> dict:
        meta = obj["metadata"]
        workload = {
            "apiVersion": resources.WORKLOAD.api_version,
            "kind": resources.WORKLOAD.kind,
            "metadata": {
                "name": workload_name(obj),
                "namespace": meta.get("namespace"),
                "labels": {JOB_UID_LABEL: meta["uid"]},
                "ownerReferences": [owner_reference(obj)],
            },
            "spec": {
                "queueName": queue,
                "podSets": pod_sets(self.store, resource, obj),
            },
        }
        return self.store.create(workload)

    # -- the scheduler -------------------------------------------------------------

    def _schedule(self, resource: Resource, obj: dict, workload: dict) -> int:
        queue = workload["spec"]["queueName"]
        namespace = obj["metadata"].get("namespace")
        cluster_queue = self._cluster_queue(namespace, queue)
        if cluster_queue is None:
            message = f"LocalQueue {queue} doesn't exist"
            return self._pending(workload, "Misconfigured", message)
        assignments, message = self._assign(cluster_queue, workload)
        if assignments is None:
            assignments = self._reclaim(cluster_queue, workload)
        if assignments is None:
            return self._pending(workload, "Pending", message)
        cq_name = cluster_queue["name"]
        now = timestamp(self.store.clock())
        conditions = [
            self._cond(
                "QuotaReserved",
                "True",
                "QuotaReserved",
                f"Quota reserved in ClusterQueue {cq_name}",
            ),
            self._cond("Admitted", "True", "Admitted", "The workload is admitted"),
        ]
        self.store.patch(
            resources.WORKLOAD,
            namespace,
            workload["metadata"]["name"],
            {
                "status": {
                    "admission": {"clusterQueue": cq_name, "podSetAssignments": assignments},
                    "conditions": _merged(workload, conditions, now),
                }
            },
        )
        self.store.patch(resource, namespace, obj["metadata"]["name"], {"spec": {"suspend": False}})
        return 1

    def _pending(self, workload: dict, reason: str, message: str) -> int:
        current = condition(workload, "QuotaReserved") or {}
        if (current.get("status"), current.get("reason"), current.get("message")) == (
            "False",
            reason,
            message,
        ):
            return 0
        self._set_conditions(workload, [self._cond("QuotaReserved", "False", reason, message)])
        return 1

    def _cluster_queue(self, namespace: str | None, queue: str) -> dict | None:
        """The runtime's ClusterQueue behind LocalQueue `queue` in `namespace`, or None
        (the environment's one, or a team's: `gpuforge.model.team_queues`)."""
        if self.spec is None:
            return None
        for team in teams.teams(self.spec):
            local = team_queues.local_queue(self.spec, team)
            if (local["namespace"], local["name"]) != (namespace, queue):
                continue
            cluster = self._queues().get(local["spec"]["clusterQueue"])
            if cluster is None:
                return None
            selector = cluster["spec"]["namespaceSelector"]["matchLabels"]
            if selector.get("kubernetes.io/metadata.name", namespace) != namespace:
                return None
            return cluster
        return None

    def _queues(self) -> dict[str, dict]:
        """Every ClusterQueue of the environment, by name."""
        if self.spec is None:
            return {}
        return {q["name"]: q for q in team_queues.cluster_queues(self.spec)}

    def _assign(
        self,
        cluster_queue: dict,
        workload: dict,
        usage: dict[str, dict[tuple[str, str], Decimal]] | None = None,
    ) -> tuple[list[dict] | None, str]:
        """Flavors for every pod set, or None and the scheduler's message."""
        room = _Room(cluster_queue, self._queues(), self._usage() if usage is None else usage)
        pools_by_flavor = {
            kueue.resource_flavor(p)["name"]: kueue.resource_flavor(p)["spec"]
            for p in (self.spec.gpu_pools if self.spec else [])
        }
        assigned: dict[tuple[str, str], Decimal] = {}
        assignments, messages = [], []
        for pod_set in workload["spec"]["podSets"]:
            per_pod = pod_requests(pod_set["template"])
            total = {r: v * pod_set["count"] for r, v in per_pod.items()}
            reasons: list[str] = []
            chosen = None
            for group in cluster_queue["spec"]["resourceGroups"]:
                covered = group["coveredResources"]
                missing = [r for r in total if r not in covered and total[r] > 0]
                if missing:
                    reasons = [f"resource {missing[0]} unavailable in ClusterQueue"]
                    break
                for flavor in group["flavors"]:
                    fname = flavor["name"]
                    why = _flavor_mismatch(
                        fname, pools_by_flavor.get(fname) or {}, pod_set["template"]
                    )
                    if why:
                        reasons.append(why)
                        continue
                    fits = True
                    for rname, want in sorted(total.items()):
                        if want <= 0:
                            continue
                        previous = assigned.get((fname, rname), Decimal(0))
                        cap = room.potential(fname, rname)
                        available = room.available(fname, rname)
                        if previous + want > cap:
                            reasons.append(
                                f"insufficient quota for {rname} in flavor {fname}, previously "
                                f"considered podsets requests ({format_amount(rname, previous)}) + "
                                f"current podset request ({format_amount(rname, want)}) > maximum "
                                f"capacity ({format_amount(rname, cap)})"
                            )
                            fits = False
                        elif previous + want > available:
                            more = previous + want - available
                            reasons.append(
                                f"insufficient unused quota for {rname} in flavor {fname}, "
                                f"{format_amount(rname, more)} more needed"
                            )
                            fits = False
                    if fits:
                        chosen = fname
                        break
                break
            if chosen is None:
                messages.append(
                    f"couldn't assign flavors to pod set {pod_set['name']}: "
                    + ", ".join(sorted(reasons))
                )
                continue
            for rname, want in total.items():
                assigned[(chosen, rname)] = assigned.get((chosen, rname), Decimal(0)) + want
            assignments.append(
                {
                    "name": pod_set["name"],
                    "count": pod_set["count"],
                    "flavors": {r: chosen for r in total},
                    "resourceUsage": {r: format_amount(r, v) for r, v in total.items()},
                }
            )
        if messages:
            return None, "; ".join(messages)
        return assignments, ""

    # -- reclaim within the cohort ---------------------------------------------------

    def _reclaim(self, cluster_queue: dict, workload: dict) -> list[dict] | None:
        """Kueue's classic reclaim (`preemption.reclaimWithinCohort`): a workload that fits
        its ClusterQueue's nominal quota takes back what other ClusterQueues of the cohort
        borrowed, evicting their admitted workloads, newest first, only from a queue still
        borrowing, and only if that makes it fit (then its assignments; else None, and
        nothing is evicted). kubernetes-sigs/kueue@8eab687:
        pkg/scheduler/flavorassigner/flavorassigner.go:1362-1370 (preemption is tried when
        the request is within the nominal quota), pkg/scheduler/preemption/preemption.go
        (`preemptionMessage`, reason `InCohortReclamation`), and the job framework's
        eviction (pkg/controller/jobframework/reconciler.go:580-612: the job stopped, the
        Workload `Requeued` and its quota reservation unset). Priorities and Fair Sharing's
        share values are not weighed."""
        policy = (cluster_queue["spec"].get("preemption") or {}).get("reclaimWithinCohort")
        cohort = cluster_queue["spec"].get("cohortName")
        if not cohort or policy in (None, "Never"):
            return None
        queues = self._queues()
        usage = self._usage()
        room = _Room(cluster_queue, queues, usage)
        wanted = _totals(workload)
        mine = usage.get(cluster_queue["name"], {})
        if not any(
            all(mine.get((f, r), Decimal(0)) + v <= room.nominal(f, r) for r, v in want.items())
            for f, want in _by_flavor(cluster_queue, wanted).items()
        ):
            return None
        victims: list[dict] = []
        for candidate in self._admitted_in_cohort(cohort, exclude=cluster_queue["name"]):
            held = _held(candidate)
            queue = queues[candidate["status"]["admission"]["clusterQueue"]]
            theirs = usage.setdefault(queue["name"], {})
            other = _Room(queue, queues, usage)
            if not any(theirs.get(fr, Decimal(0)) > other.nominal(*fr) for fr in held):
                continue  # that queue is within its own quota: nothing to reclaim there
            for fr, amount in held.items():
                theirs[fr] = theirs.get(fr, Decimal(0)) - amount
            victims.append(candidate)
            assignments, _ = self._assign(cluster_queue, workload, usage)
            if assignments is not None:
                for victim in victims:
                    self._evict(victim, workload, cluster_queue, queues, cohort)
                return assignments
        return None

    def _admitted_in_cohort(self, cohort: str, exclude: str) -> list[dict]:
        """Admitted, unfinished Workloads of the cohort's other queues, newest first."""
        names_ = {n for n, q in self._queues().items() if q["spec"].get("cohortName") == cohort} - {
            exclude
        }
        found = [
            w
            for w in self.store.list(resources.WORKLOAD)
            if ((w.get("status") or {}).get("admission") or {}).get("clusterQueue") in names_
            and is_true(w, "QuotaReserved")
            and not is_true(w, "Finished")
        ]
        return sorted(
            found,
            key=lambda w: (condition(w, "QuotaReserved") or {}).get("lastTransitionTime") or "",
            reverse=True,
        )

    def _evict(
        self, victim: dict, preemptor: dict, cq: dict, queues: dict[str, dict], cohort: str
    ) -> None:
        """Evict `victim` for `preemptor` as Kueue does, and stop (suspend) its job."""
        victim_cq = victim["status"]["admission"]["clusterQueue"]
        message = (
            f"Preempted to accommodate a workload (UID: {preemptor['metadata'].get('uid')}, "
            f"JobUID: {(preemptor['metadata'].get('labels') or {}).get(JOB_UID_LABEL)}) due to "
            f"reclamation within the cohort; preemptor path: /{cohort}/{cq['name']}; "
            f"preemptee path: /{cohort}/{victim_cq}"
        )
        meta = victim["metadata"]
        now = timestamp(self.store.clock())
        conditions = [
            self._cond("Evicted", "True", "Preempted", message),
            self._cond("Preempted", "True", "InCohortReclamation", message),
            self._cond("Requeued", "True", "Preempted", message),
            self._cond("QuotaReserved", "False", "Pending", message),
            self._cond("Admitted", "False", "NoReservation", "The workload has no reservation"),
        ]
        self.store.patch(
            resources.WORKLOAD,
            meta.get("namespace"),
            meta["name"],
            {"status": {"admission": None, "conditions": _merged(victim, conditions, now)}},
        )
        for owner in meta.get("ownerReferences") or []:
            for resource in MANAGED:
                if resource.kind == owner.get("kind"):
                    self.store.patch(
                        resource, meta.get("namespace"), owner["name"], {"spec": {"suspend": True}}
                    )

    def _usage(self) -> dict[str, dict[tuple[str, str], Decimal]]:
        """What admitted, unfinished Workloads hold, per ClusterQueue, flavor and resource
        (only the namespace a ClusterQueue's `namespaceSelector` selects can use it)."""
        used: dict[str, dict[tuple[str, str], Decimal]] = {}
        selected = {
            name: q["spec"]["namespaceSelector"]["matchLabels"].get("kubernetes.io/metadata.name")
            for name, q in self._queues().items()
        }
        for workload in self.store.list(resources.WORKLOAD):
            admission = (workload.get("status") or {}).get("admission") or {}
            queue = admission.get("clusterQueue")
            if queue not in selected or workload["metadata"].get("namespace") != selected[queue]:
                continue
            if not is_true(workload, "QuotaReserved") or is_true(workload, "Finished"):
                continue
            mine = used.setdefault(queue, {})
            for assignment in admission.get("podSetAssignments") or []:
                for rname, amount in (assignment.get("resourceUsage") or {}).items():
                    key = (assignment["flavors"][rname], rname)
                    mine[key] = mine.get(key, Decimal(0)) + quantity(amount)
        return used

    # -- status writes -------------------------------------------------------------

    def _cond(self, kind: str, status: str, reason: str, message: str) -> dict:
        return {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": message,
            "lastTransitionTime": timestamp(self.store.clock()),
        }

    def _set_conditions(self, workload: dict, new: list[dict]) -> None:
        now = timestamp(self.store.clock())
        self.store.patch(
            resources.WORKLOAD,
            workload["metadata"].get("namespace"),
            workload["metadata"]["name"],
            {"status": {"conditions": _merged(workload, new, now)}},
        )


def _totals(workload: dict) -> dict[str, Decimal]:
    """What the whole workload asks for, per resource."""
    total: dict[str, Decimal] = {}
    for pod_set in workload["spec"]["podSets"]:
        for name, value in pod_requests(pod_set["template"]).items():
            total[name] = total.get(name, Decimal(0)) + value * pod_set["count"]
    return {k: v for k, v in total.items() if v > 0}


def _by_flavor(cluster_queue: dict, wanted: dict[str, Decimal]) -> dict[str, dict[str, Decimal]]:
    """The workload's request placed on each of the queue's flavors in turn."""
    return {
        flavor["name"]: wanted
        for group in cluster_queue["spec"]["resourceGroups"]
        for flavor in group["flavors"]
    }


def _held(workload: dict) -> dict[tuple[str, str], Decimal]:
    """What an admitted workload holds, per (flavor, resource)."""
    held: dict[tuple[str, str], Decimal] = {}
    for assignment in (workload["status"].get("admission") or {}).get("podSetAssignments") or []:
        for rname, amount in (assignment.get("resourceUsage") or {}).items():
            key = (assignment["flavors"][rname], rname)
            held[key] = held.get(key, Decimal(0)) + quantity(amount)
    return held


class _Room:
    """How much of a flavor's resource a ClusterQueue can take: Kueue's resource tree for
    one level (ClusterQueues in a cohort), kubernetes-sigs/kueue@8eab687:
    pkg/cache/scheduler/resource_node.go:63-142 (`localQuota`, `available`,
    `potentialAvailable`) and :217-227 (what a ClusterQueue adds to its cohort: its
    quota less what it keeps back by `lendingLimit`, its usage beyond that), as
    `fitsResourceQuota` uses them (pkg/scheduler/flavorassigner/flavorassigner.go:1340-1370).
    A ClusterQueue without a cohort has its nominal quota and nothing more."""

    def __init__(
        self,
        queue: dict,
        queues: dict[str, dict],
        usage: dict[str, dict[tuple[str, str], Decimal]],
    ) -> None:
        self.queue = queue
        cohort = queue["spec"].get("cohortName")
        self.members = (
            [q for q in queues.values() if q["spec"].get("cohortName") == cohort]
            if cohort
            else [queue]
        )
        self.cohort = cohort
        self.usage = usage

    def _quota(self, queue: dict, fr: tuple[str, str]) -> dict[str, Decimal | None]:
        """nominal, borrow and lend (None: no limit) of a flavor's resource in `queue`."""
        for group in queue["spec"]["resourceGroups"]:
            for flavor in group["flavors"]:
                for res in flavor["resources"] if flavor["name"] == fr[0] else []:
                    if res["name"] != fr[1]:
                        continue
                    limits = (res.get("borrowingLimit"), res.get("lendingLimit"))
                    return {
                        "nominal": quantity(res.get("nominalQuota", 0)),
                        "borrow": None if limits[0] is None else quantity(limits[0]),
                        "lend": None if limits[1] is None else quantity(limits[1]),
                    }
        return {"nominal": Decimal(0), "borrow": None, "lend": None}

    def _local(self, quota: dict) -> Decimal:
        if quota["lend"] is None:
            return Decimal(0)
        return max(Decimal(0), quota["nominal"] - quota["lend"])

    def _used(self, queue: dict, fr: tuple[str, str]) -> Decimal:
        return self.usage.get(queue["name"], {}).get(fr, Decimal(0))

    def _cohort_free(self, fr: tuple[str, str]) -> tuple[Decimal, Decimal]:
        """The cohort's quota (what its members lend) and what of it is unused."""
        total, used = Decimal(0), Decimal(0)
        for member in self.members:
            quota = self._quota(member, fr)
            local = self._local(quota)
            total += quota["nominal"] - local
            used += max(Decimal(0), self._used(member, fr) - local)
        return total, total - used

    def nominal(self, flavor: str, resource: str) -> Decimal:
        return self._quota(self.queue, (flavor, resource))["nominal"] or Decimal(0)

    def available(self, flavor: str, resource: str) -> Decimal:
        fr = (flavor, resource)
        quota = self._quota(self.queue, fr)
        usage = self._used(self.queue, fr)
        if not self.cohort:
            return quota["nominal"] - usage
        local = self._local(quota)
        _, parent = self._cohort_free(fr)
        if quota["borrow"] is not None:
            stored = quota["nominal"] - local
            used_in_parent = max(Decimal(0), usage - local)
            parent = min(stored - used_in_parent + quota["borrow"], parent)
        return max(Decimal(0), local - usage) + parent

    def potential(self, flavor: str, resource: str) -> Decimal:
        fr = (flavor, resource)
        quota = self._quota(self.queue, fr)
        if not self.cohort:
            return quota["nominal"]
        total, _ = self._cohort_free(fr)
        most = self._local(quota) + total
        if quota["borrow"] is not None:
            most = min(quota["nominal"] + quota["borrow"], most)
        return most


def _merged(workload: dict, new: list[dict], now: str) -> list[dict]:
    conditions = list((workload.get("status") or {}).get("conditions") or [])
    for cond in new:
        cond.setdefault("lastTransitionTime", now)
        conditions = set_condition(conditions, cond)
    return conditions


def _finished(resource: Resource, obj: dict) -> tuple[str, str] | None:
    """(reason, message) for the Workload's `Finished` when the job has ended."""
    done = {"Complete": "Succeeded", "Completed": "Succeeded", "Failed": "Failed"}
    for kind, reason in done.items():
        cond = condition(obj, kind)
        if cond and cond.get("status") == "True":
            return reason, cond.get("message") or f"{resource.kind} finished"
    return None


def _flavor_mismatch(name: str, flavor: dict, template: dict) -> str | None:
    """Kueue's flavor checks on a pod template (flavorassigner.go:1239-1252): a NoSchedule
    or NoExecute taint neither the pod nor the flavor tolerates, then node labels."""
    spec = template.get("spec") or {}
    tolerations = [*(spec.get("tolerations") or []), *(flavor.get("tolerations") or [])]
    for taint in flavor.get("nodeTaints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if not any(tolerates(t, taint) for t in tolerations):
            # fmt's %s of a corev1.Taint value: its fields in braces
            return (
                f"untolerated taint {{{taint['key']} {taint.get('value', '')} {taint['effect']} "
                f"<nil>}} in flavor {name}"
            )
    selector = spec.get("nodeSelector") or {}
    for key, value in (flavor.get("nodeLabels") or {}).items():
        if key in selector and selector[key] != value:
            return f"flavor {name} doesn't match node affinity"
    return None


def tolerates(toleration: dict, taint: dict) -> bool:
    """`Toleration.ToleratesTaint` (k8s.io/api core/v1 toleration.go)."""
    if toleration.get("effect") and toleration["effect"] != taint.get("effect"):
        return False
    if toleration.get("key") and toleration["key"] != taint.get("key"):
        return False
    if toleration.get("operator") == "Exists":
        return True
    return toleration.get("value", "") == taint.get("value", "")
