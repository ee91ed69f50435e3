"""The Job controller (kube-controller-manager's `job` and `ttl-after-finished`), for
Indexed Jobs, the kind every gpuforge backend runs in the end.

For each Job that is not suspended it keeps one pod per completion index until that
index succeeds, at most `parallelism` at a time, and writes the Job's status. Read at
kubernetes/kubernetes@0370912:
- `pkg/controller/job/indexed_job_utils.go`: a pod of index i is named from
  `podGenerateNameWithIndex` (`<job>-<i>-` plus five random characters), gets the
  `batch.kubernetes.io/job-completion-index` annotation and label, and each container
  the `JOB_COMPLETION_INDEX` variable from it (`addCompletionIndexEnvVariable`);
- `pkg/controller/job/job_controller.go`: an Indexed Job's pod gets hostname
  `<job>-<i>` (its subdomain comes from the template); pods are owned by the Job
  (`metav1.NewControllerRef`); `backoffLimit` counts failed pods ("Job has reached the
  specified backoff limit", reason `BackoffLimitExceeded`); `activeDeadlineSeconds`
  ("Job was active longer than specified deadline", `DeadlineExceeded`); a failed Job
  gets `FailureTarget` and `Failed`, a finished one `SuccessCriteriaMet` and
  `Complete`; suspending deletes the active pods;
- `pkg/controller/job/pod_failure_policy.go`: rules in order, `onExitCodes`
  (`In`/`NotIn`, optional `containerName`) and `onPodConditions`; `FailJob` fails the
  Job ("Container <c> for pod <ns>/<pod> failed with exit code <n> matching FailJob
  rule at index <i>", reason `PodFailurePolicy`), `Ignore` does not count the failure,
  `Count` (and no match) counts it;
- `pkg/registry/batch/job/strategy.go` `generateSelector`: the labels
  `batch.kubernetes.io/controller-uid`, `batch.kubernetes.io/job-name`,
  `controller-uid` and `job-name` on the pods;
- `pkg/controller/ttlafterfinished/ttlafterfinished_controller.go`: a finished Job with
  `ttlSecondsAfterFinished` is deleted that long after it finished, in the foreground.

Pods are created Pending without a node, through the API server (admission applies);
binding and running them is the scheduler's and the kubelet's (a test sets a pod's
phase). `podReplacementPolicy: Failed` (types.go:162) holds a terminating pod's index until it
has terminated. Not emulated: non-Indexed completion, `backoffLimitPerIndex`,
`successPolicy`, the job-tracking finalizer (a deleted pod vanishes uncounted; tests
fail a pod as the kubelet and an eviction do), exponential back-off delays.
"""

from __future__ import annotations

import copy
import random
from datetime import timedelta

from gpuforge.emulator.controllers import garbage_collector
from gpuforge.emulator.controllers.store import (
    Store,
    condition,
    controller_uid,
    is_true,
    owner_reference,
    parse_time,
    set_condition,
    timestamp,
)
from gpuforge.jobs import resources

INDEX_KEY = "batch.kubernetes.io/job-completion-index"
INDEX_ENV = "JOB_COMPLETION_INDEX"
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"
"""apimachinery `util/rand` alphabet, which `generateName` suffixes use."""

BACKOFF_LIMIT_EXCEEDED = ("BackoffLimitExceeded", "Job has reached the specified backoff limit")
DEADLINE_EXCEEDED = ("DeadlineExceeded", "Job was active longer than specified deadline")


def finished(job: dict) -> dict | None:
    """The Job's `Complete` or `Failed` condition when it has finished."""
    for kind in ("Complete", "Failed"):
        cond = condition(job, kind)
        if cond and cond.get("status") == "True":
            return cond
    return None


def completion_index(pod: dict) -> int | None:
    value = (pod["metadata"].get("annotations") or {}).get(INDEX_KEY)
    if value is None:
        value = (pod["metadata"].get("labels") or {}).get(INDEX_KEY)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def failure_rule(policy: dict | None, pod: dict) -> tuple[str, str | None]:
    """(action, FailJob message) of the first matching podFailurePolicy rule; `Count` if none."""
    meta = pod["metadata"]
    status = pod.get("status") or {}
    for index, rule in enumerate((policy or {}).get("rules") or []):
        on_codes = rule.get("onExitCodes")
        if on_codes:
            for cs in status.get("containerStatuses") or []:
                if on_codes.get("containerName") and cs.get("name") != on_codes["containerName"]:
                    continue
                code = ((cs.get("state") or {}).get("terminated") or {}).get("exitCode")
                if code is None or code == 0:
                    continue  # exit code 0 never matches (pod_failure_policy.go)
                inside = code in (on_codes.get("values") or [])
                if inside == (on_codes.get("operator") == "In"):
                    pod_ref = f"{meta.get('namespace')}/{meta['name']}"
                    message = (
                        f"Container {cs.get('name')} for pod {pod_ref} failed with exit code "
                        f"{code} matching {rule['action']} rule at index {index}"
                    )
                    return rule["action"], message
        for want in rule.get("onPodConditions") or []:
            for cond in status.get("conditions") or []:
                if cond.get("type") == want.get("type") and cond.get("status") == want.get(
                    "status", "True"
                ):
                    message = (
                        f"Pod {meta.get('namespace')}/{meta['name']} has condition "
                        f"{want['type']} matching {rule['action']} rule at index {index}"
                    )
                    return rule["action"], message
    return "Count", None


def replace_only_failed(spec: dict) -> bool:
    """`podReplacementPolicy: Failed`, the only value allowed with a pod failure policy
    (kubernetes/api@v0.35.0:batch/v1/types.go:452-461): a terminating pod's index gets
    no replacement until the pod has terminated."""
    if spec.get("podReplacementPolicy"):
        return spec["podReplacementPolicy"] == "Failed"
    return bool(spec.get("podFailurePolicy"))


class JobController:
    """Pods for Indexed Jobs, their failures and completions, and TTL after finishing."""

    def __init__(self, store: Store, rng: random.Random | None = None) -> None:
        self.store = store
        self.rng = rng or random.Random()

    def step(self) -> int:
        acted = 0
        jobs = self.store.list(resources.BATCH_JOB)
        if not jobs:
            return 0
        pods = self.store.list(resources.POD)
        for job in jobs:
            if job["metadata"].get("deletionTimestamp"):
                continue
            uid = self.store.uid(resources.BATCH_JOB, job)
            owned = [p for p in pods if controller_uid(p) == uid]
            acted += self._reconcile(job, owned)
        return acted

    def _reconcile(self, job: dict, pods: list[dict]) -> int:
        spec = job.get("spec") or {}
        now = self.store.clock()
        done = finished(job)
        if done is not None:
            return self._ttl(job, done)
        active = [p for p in pods if _phase(p) not in ("Succeeded", "Failed")]
        active = [p for p in active if not p["metadata"].get("deletionTimestamp")]
        if spec.get("suspend"):
            for pod in active:
                self._delete_pod(pod)
            return len(active) + self._status(job, {"active": 0})

        status_changes: dict = {}
        if not (job.get("status") or {}).get("startTime"):
            status_changes["startTime"] = timestamp(now)

        counted = 0
        for pod in (p for p in pods if _phase(p) == "Failed"):
            action, message = failure_rule(spec.get("podFailurePolicy"), pod)
            if action == "FailJob":
                return self._fail(job, active, "PodFailurePolicy", message or "")
            if action != "Ignore":
                counted += 1
        if counted > int(spec.get("backoffLimit", 6)):
            return self._fail(job, active, *BACKOFF_LIMIT_EXCEEDED, failed=counted)
        started = parse_time((job.get("status") or {}).get("startTime")) or now
        deadline = spec.get("activeDeadlineSeconds")
        if deadline is not None and now - started >= timedelta(seconds=int(deadline)):
            return self._fail(job, active, *DEADLINE_EXCEEDED, failed=counted)

        completions = int(spec.get("completions") or 1)
        succeeded = sorted(
            {i for p in pods if _phase(p) == "Succeeded" and (i := completion_index(p)) is not None}
        )
        if len(succeeded) >= completions:
            return self._complete(job, succeeded, counted)

        acted = 0
        parallelism = int(spec.get("parallelism") or 1)
        running_indexes = {completion_index(p) for p in active}
        if replace_only_failed(spec):
            running_indexes |= {
                completion_index(p)
                for p in pods
                if p["metadata"].get("deletionTimestamp")
                and _phase(p) not in ("Succeeded", "Failed")
            }
        for index in range(completions):
            if len(active) >= parallelism:
                break
            if index in succeeded or index in running_indexes:
                continue
            active.append(self._create_pod(job, index))
            acted += 1
        ready = sum(1 for p in active if is_true(p, "Ready"))
        status_changes.update(
            {"active": len(active), "ready": ready, "failed": counted, "succeeded": len(succeeded)}
        )
        if succeeded:
            status_changes["completedIndexes"] = _ranges(succeeded)
        return acted + self._status(job, status_changes)

    # -- pods ----------------------------------------------------------------------

    def _create_pod(self, job: dict, index: int) -> dict:
        meta, spec = job["metadata"], job.get("spec") or {}
        template = copy.deepcopy(spec.get("template") or {})
        pod_meta = template.get("metadata") or {}
        uid = meta["uid"]
        labels = {
            **(pod_meta.get("labels") or {}),
            "batch.kubernetes.io/controller-uid": uid,
            "batch.kubernetes.io/job-name": meta["name"],
            "controller-uid": uid,
            "job-name": meta["name"],
            INDEX_KEY: str(index),
        }
        annotations = {**(pod_meta.get("annotations") or {}), INDEX_KEY: str(index)}
        pod_spec = template.get("spec") or {}
        pod_spec["hostname"] = f"{meta['name']}-{index}"
        for key in ("initContainers", "containers"):
            for container in pod_spec.get(key) or []:
                env = container.setdefault("env", [])
                if not any(e.get("name") == INDEX_ENV for e in env):
                    env.append(
                        {
                            "name": INDEX_ENV,
                            "valueFrom": {
                                "fieldRef": {"fieldPath": f"metadata.labels['{INDEX_KEY}']"}
                            },
                        }
                    )
        suffix = "".join(self.rng.choice(_NAME_CHARS) for _ in range(5))
        pod = {
            "apiVersion": resources.POD.api_version,
            "kind": resources.POD.kind,
            "metadata": {
                "name": f"{meta['name']}-{index}-{suffix}",
                "namespace": meta.get("namespace"),
                "labels": labels,
                "annotations": annotations,
                "ownerReferences": [owner_reference(job)],
            },
            "spec": pod_spec,
            "status": {"phase": "Pending"},
        }
        return self.store.create(pod)

    def _delete_pod(self, pod: dict) -> None:
        meta = pod["metadata"]
        garbage_collector.delete(
            self.store,
            resources.POD,
            meta.get("namespace"),
            meta["name"],
            garbage_collector.BACKGROUND,
        )

    # -- endings -------------------------------------------------------------------

    def _fail(
        self, job: dict, active: list[dict], reason: str, message: str, failed: int = 1
    ) -> int:
        for pod in active:
            self._delete_pod(pod)
        now = timestamp(self.store.clock())
        conditions = list((job.get("status") or {}).get("conditions") or [])
        for kind in ("FailureTarget", "Failed"):
            conditions = set_condition(conditions, _cond(kind, reason, message, now))
        return self._status(
            job, {"active": 0, "ready": 0, "failed": failed, "conditions": conditions}
        )

    def _complete(self, job: dict, succeeded: list[int], failed: int) -> int:
        now = timestamp(self.store.clock())
        conditions = list((job.get("status") or {}).get("conditions") or [])
        message = "Reached expected number of succeeded pods"
        for kind in ("SuccessCriteriaMet", "Complete"):
            conditions = set_condition(conditions, _cond(kind, "CompletionsReached", message, now))
        return self._status(
            job,
            {
                "active": 0,
                "ready": 0,
                "succeeded": len(succeeded),
                "failed": failed,
                "completedIndexes": _ranges(succeeded),
                "completionTime": now,
                "conditions": conditions,
            },
        )

    def _ttl(self, job: dict, done: dict) -> int:
        ttl = (job.get("spec") or {}).get("ttlSecondsAfterFinished")
        at = parse_time(done.get("lastTransitionTime"))
        if ttl is None or at is None:
            return 0
        if self.store.clock() < at + timedelta(seconds=int(ttl)):
            return 0
        meta = job["metadata"]
        garbage_collector.delete(
            self.store,
            resources.BATCH_JOB,
            meta.get("namespace"),
            meta["name"],
            garbage_collector.FOREGROUND,
        )
        return 1

    def _status(self, job: dict, changes: dict) -> int:
        current = job.get("status") or {}
        if all(current.get(k) == v for k, v in changes.items()):
            return 0
        meta = job["metadata"]
        self.store.patch(
            resources.BATCH_JOB, meta.get("namespace"), meta["name"], {"status": changes}
        )
        return 1


def _phase(pod: dict) -> str:
    return (pod.get("status") or {}).get("phase") or "Pending"


def _cond(kind: str, reason: str, message: str, now: str) -> dict:
    return {
        "type": kind,
        "status": "True",
        "reason": reason,
        "message": message,
        "lastProbeTime": now,
        "lastTransitionTime": now,
    }


def _ranges(indexes: list[int]) -> str:
    """`completedIndexes` as the controller writes it: "0-2,5"."""
    out, start, prev = [], None, None
    for i in indexes:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append(f"{start}-{prev}" if prev != start else f"{start}")
            start = prev = i
    if start is not None:
        out.append(f"{start}-{prev}" if prev != start else f"{start}")
    return ",".join(out)
