"""The JobSet controller (kubernetes-sigs/jobset v0.12.0, f22e565), where installed.

For each JobSet it keeps one child Job per replicated job and index, named
`<jobset>-<replicatedJob>-<index>` (`pkg/util/placement/placement.go:14 GenJobName`),
labelled and annotated as `pkg/controllers/jobset_controller.go:1014
labelAndAnnotateObject` does (job and pod template alike), with the template's
subdomain when `network.enableDNSHostnames` (`constructJob`, :938; `GetSubdomain`,
:1090) and `suspend` following the JobSet's. It makes the headless Service
(`:800`, selector `jobset.sigs.k8s.io/jobset-name`, owned by the JobSet).

Failures (`pkg/controllers/failure_policy.go`): without `failurePolicy` a failed child
Job fails the JobSet (`FailedJobs`, "jobset failed due to one or more job failures
(first failed job: <job>)"); with one, the default action restarts it: `status.restarts`
and `restartsCountTowardsMax` go up by one (`failurePolicyRecreateAll`, :186), and
every child Job whose `jobset.sigs.k8s.io/restart-attempt` label is below
`status.restarts` is deleted in the foreground (`jobset_controller.go:367`, :761) and
recreated; once `restartsCountTowardsMax` reaches `maxRestarts` the JobSet fails
(`ReachedMaxRestarts`, "jobset failed due to reaching max number of restarts (first
failed job: <job>)"). All child Jobs complete: `Completed` ("jobset completed
successfully", `AllJobsCompleted`). `ttlSecondsAfterFinished` deletes a finished JobSet
in the foreground (`pkg/controllers/ttl_after_finished.go:129`).

Not emulated: failure policy rules, success policies other than `All`, startup
policy, coordinator, exclusive placement, in-place restarts.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import timedelta

from gpuforge.emulator.controllers import garbage_collector, job_controller
from gpuforge.emulator.controllers.store import (
    Store,
    condition,
    controller_uid,
    owner_reference,
    parse_time,
    set_condition,
    timestamp,
)
from gpuforge.jobs import resources

PREFIX = "jobset.sigs.k8s.io/"
JOBSET_NAME = PREFIX + "jobset-name"
RESTARTS = PREFIX + "restart-attempt"
DEFAULT_GROUP = "default"


def child_job_name(jobset: str, replicated_job: str, index: int) -> str:
    return f"{jobset}-{replicated_job}-{index}"


def dns_hostnames(js: dict) -> bool:
    """`network.enableDNSHostnames`, which JobSet's webhook defaults to true
    (`pkg/webhooks/jobset_webhook.go:134`)."""
    value = ((js.get("spec") or {}).get("network") or {}).get("enableDNSHostnames")
    return True if value is None else bool(value)


def subdomain(js: dict) -> str:
    return ((js.get("spec") or {}).get("network") or {}).get("subdomain") or js["metadata"]["name"]


def child_labels(js: dict, rjob: dict, index: int) -> dict[str, str]:
    """The labels (and, the same, annotations) `labelAndAnnotateObject` sets."""
    meta, spec = js["metadata"], js.get("spec") or {}
    rjobs = spec.get("replicatedJobs") or []
    status = js.get("status") or {}
    group = rjob.get("groupName") or DEFAULT_GROUP
    name = child_job_name(meta["name"], rjob["name"], index)

    def replicas(rj: dict) -> int:
        return int(rj.get("replicas") or 1)

    before = 0
    for rj in rjobs:
        if rj["name"] == rjob["name"]:
            break
        before += replicas(rj)
    group_before = 0
    for rj in rjobs:
        if (rj.get("groupName") or DEFAULT_GROUP) != group:
            continue
        if rj["name"] == rjob["name"]:
            break
        group_before += replicas(rj)
    return {
        JOBSET_NAME: meta["name"],
        PREFIX + "jobset-uid": meta["uid"],
        PREFIX + "replicatedjob-name": rjob["name"],
        RESTARTS: str(int(status.get("restarts") or 0)),
        PREFIX + "replicatedjob-replicas": str(replicas(rjob)),
        PREFIX + "global-replicas": str(sum(replicas(rj) for rj in rjobs)),
        PREFIX + "job-index": str(index),
        PREFIX + "job-key": hashlib.sha1(f"{meta.get('namespace')}/{name}".encode()).hexdigest(),
        PREFIX + "job-global-index": str(before + index),
        PREFIX + "group-name": group,
        PREFIX + "group-replicas": str(
            sum(replicas(rj) for rj in rjobs if (rj.get("groupName") or DEFAULT_GROUP) == group)
        ),
        PREFIX + "job-group-index": str(group_before + index),
    }


def construct_job(js: dict, rjob: dict, index: int) -> dict:
    """`constructJob`: the child Job of replicated job `rjob` at `index`."""
    meta, spec = js["metadata"], js.get("spec") or {}
    template = copy.deepcopy(rjob.get("template") or {})
    tmeta = template.get("metadata") or {}
    job_spec = template.get("spec") or {}
    marks = child_labels(js, rjob, index)
    pod_template = job_spec.setdefault("template", {})
    pod_meta = pod_template.setdefault("metadata", {})
    pod_meta["labels"] = {**(pod_meta.get("labels") or {}), **marks}
    pod_meta["annotations"] = {**(pod_meta.get("annotations") or {}), **marks}
    if dns_hostnames(js):
        pod_template.setdefault("spec", {})["subdomain"] = subdomain(js)
    job_spec["suspend"] = bool(spec.get("suspend"))
    return {
        "apiVersion": resources.BATCH_JOB.api_version,
        "kind": resources.BATCH_JOB.kind,
        "metadata": {
            "name": child_job_name(meta["name"], rjob["name"], index),
            "namespace": meta.get("namespace"),
            "labels": {**(tmeta.get("labels") or {}), **marks},
            "annotations": {**(tmeta.get("annotations") or {}), **marks},
            "ownerReferences": [owner_reference(js)],
        },
        "spec": job_spec,
    }


class JobSetController:
    """Child Jobs and the headless Service of each JobSet; its failure policy and TTL."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def step(self) -> int:
        acted = 0
        jobsets = self.store.list(resources.JOBSET)
        if not jobsets:
            return 0
        jobs = self.store.list(resources.BATCH_JOB)
        services = self.store.list(resources.SERVICE)
        for js in jobsets:
            if js["metadata"].get("deletionTimestamp"):
                continue
            uid = self.store.uid(resources.JOBSET, js)
            owned = [j for j in jobs if controller_uid(j) == uid]
            acted += self._reconcile(js, owned, services)
        return acted

    def _reconcile(self, js: dict, owned: list[dict], services: list[dict]) -> int:
        meta, spec = js["metadata"], js.get("spec") or {}
        status = js.get("status") or {}
        done = _finished(js)
        if done is not None:
            return self._ttl(js, done)
        restarts = int(status.get("restarts") or 0)
        acted = 0

        previous = [j for j in owned if int(_labels(j).get(RESTARTS, "0")) < restarts]
        for job in previous:
            if not job["metadata"].get("deletionTimestamp"):
                self._delete(resources.BATCH_JOB, job, garbage_collector.FOREGROUND)
                acted += 1
        current = [j for j in owned if j not in previous]

        failed = [j for j in current if job_controller.finished(j) and _true(j, "Failed")]
        if failed:
            first = sorted(failed, key=lambda j: j["metadata"]["name"])[0]["metadata"]["name"]
            return acted + self._on_failure(js, first)
        rjobs = spec.get("replicatedJobs") or []
        wanted = sum(int(rj.get("replicas") or 1) for rj in rjobs)
        complete = [j for j in current if _true(j, "Complete")]
        if wanted and len(complete) >= wanted:
            return acted + self._set_condition(
                js, "Completed", "AllJobsCompleted", "jobset completed successfully"
            )

        if dns_hostnames(js):
            acted += self._service(js, services)
        taken = {j["metadata"]["name"] for j in owned}
        suspended = bool(spec.get("suspend"))
        for rjob in rjobs:
            for index in range(int(rjob.get("replicas") or 1)):
                name = child_job_name(meta["name"], rjob["name"], index)
                if name not in taken:
                    self.store.create(construct_job(js, rjob, index))
                    acted += 1
        for job in current:
            if bool((job.get("spec") or {}).get("suspend")) != suspended:
                jm = job["metadata"]
                self.store.patch(
                    resources.BATCH_JOB,
                    jm.get("namespace"),
                    jm["name"],
                    {"spec": {"suspend": suspended}},
                )
                acted += 1
        return acted

    def _service(self, js: dict, services: list[dict]) -> int:
        meta = js["metadata"]
        name = subdomain(js)
        if any(
            s["metadata"]["name"] == name
            and s["metadata"].get("namespace") == meta.get("namespace")
            for s in services
        ):
            return 0
        network = (js.get("spec") or {}).get("network") or {}
        self.store.create(
            {
                "apiVersion": resources.SERVICE.api_version,
                "kind": resources.SERVICE.kind,
                "metadata": {
                    "name": name,
                    "namespace": meta.get("namespace"),
                    "ownerReferences": [owner_reference(js)],
                },
                "spec": {
                    "clusterIP": "None",
                    "selector": {JOBSET_NAME: meta["name"]},
                    "publishNotReadyAddresses": network.get("publishNotReadyAddresses", True),
                },
            }
        )
        return 1

    def _on_failure(self, js: dict, first_failed: str) -> int:
        policy = (js.get("spec") or {}).get("failurePolicy")
        status = js.get("status") or {}
        if policy is None:
            return self._set_condition(
                js,
                "Failed",
                "FailedJobs",
                f"jobset failed due to one or more job failures (first failed job: {first_failed})",
            )
        counted = int(status.get("restartsCountTowardsMax") or 0)
        if counted >= int(policy.get("maxRestarts") or 0):
            return self._set_condition(
                js,
                "Failed",
                "ReachedMaxRestarts",
                "jobset failed due to reaching max number of restarts "
                f"(first failed job: {first_failed})",
            )
        meta = js["metadata"]
        self.store.patch(
            resources.JOBSET,
            meta.get("namespace"),
            meta["name"],
            {
                "status": {
                    "restarts": int(status.get("restarts") or 0) + 1,
                    "restartsCountTowardsMax": counted + 1,
                }
            },
        )
        self.store.event(
            js,
            "RestartJobSetFailurePolicyAction",
            f"applying RestartJobSet failure policy action (first failed job: {first_failed})",
            "Warning",
        )
        return 1

    def _set_condition(self, js: dict, kind: str, reason: str, message: str) -> int:
        now = timestamp(self.store.clock())
        conditions = set_condition(
            list((js.get("status") or {}).get("conditions") or []),
            {
                "type": kind,
                "status": "True",
                "reason": reason,
                "message": message,
                "lastTransitionTime": now,
            },
        )
        meta = js["metadata"]
        changes: dict = {"conditions": conditions, "terminalState": kind}
        self.store.patch(resources.JOBSET, meta.get("namespace"), meta["name"], {"status": changes})
        return 1

    def _ttl(self, js: dict, done: dict) -> int:
        ttl = (js.get("spec") or {}).get("ttlSecondsAfterFinished")
        at = parse_time(done.get("lastTransitionTime"))
        if ttl is None or at is None or self.store.clock() < at + timedelta(seconds=int(ttl)):
            return 0
        self._delete(resources.JOBSET, js, garbage_collector.FOREGROUND)
        return 1

    def _delete(self, resource, obj: dict, policy: str) -> None:
        meta = obj["metadata"]
        garbage_collector.delete(self.store, resource, meta.get("namespace"), meta["name"], policy)


def _labels(obj: dict) -> dict:
    return obj["metadata"].get("labels") or {}


def _true(obj: dict, kind: str) -> bool:
    return (condition(obj, kind) or {}).get("status") == "True"


def _finished(js: dict) -> dict | None:
    for kind in ("Completed", "Failed"):
        cond = condition(js, kind)
        if cond and cond.get("status") == "True":
            return cond
    return None
