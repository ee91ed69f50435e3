"""Stand-ins for the controllers a real cluster runs, for the emulated Kubernetes API.

kmock stores objects and runs nothing. `ScaleFromZero` plays, for each gpuforge
batch Job it finds, what a cluster whose GPU pools sit at zero nodes does next:

1. Kueue (when the Job carries a queue label and is suspended): a Workload owned
   by the Job with `QuotaReserved` true, then the Job unsuspended;
2. the Job controller: one Pending pod per completion index, labelled as the real
   controller labels them (`batch.kubernetes.io/job-completion-index`);
3. the scheduler: `FailedScheduling` (no node of the pool exists yet);
4. the cluster autoscaler: `TriggeredScaleUp` naming the pool's node group, from
   0 to the job's node count.

It never starts a pod: there are no nodes. `gpuforge emulate k8s` runs it so that
`gpuforge status` has something true to explain; the tests of the job commands
create these objects themselves, case by case.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

from gpuforge.jobs import resources
from gpuforge.model.names import JOB_LABEL, KUEUE_QUEUE_LABEL, POOL_KEY

INDEX_LABEL = "batch.kubernetes.io/job-completion-index"


class ScaleFromZero:
    """Polls the emulated API and plays Kueue, the Job controller, scheduler and autoscaler."""

    def __init__(self, api: Any, interval_s: float = 0.3, scheduler: Any = None) -> None:
        self.api = api
        self.interval_s = interval_s
        self.scheduler = scheduler
        """A `k8s_scheduler.Scheduler`: when given, it places the pods (and writes the
        scheduler's and autoscaler's events) instead of the fixed story below."""
        self._seen: set[tuple[str, str]] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="k8s-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.step()

    def step(self) -> int:
        """One pass: act on every gpuforge Job not handled yet; how many were handled."""
        handled = 0
        for job in self._gpuforge_jobs():
            meta = job["metadata"]
            key = (meta.get("namespace", ""), meta["name"])
            if key in self._seen:
                continue
            self._seen.add(key)
            self._play(job)
            handled += 1
        if self.scheduler is not None:
            handled += self.scheduler.step()
        return handled

    def _gpuforge_jobs(self) -> list[dict]:
        def read() -> list[dict]:
            batch = resources.BATCH_JOB
            return [
                obj.raw
                for (res, _, _), obj in list(self.api.emulator.objects.items())
                if (res.group or "", res.version, res.plural)
                == (batch.group, batch.version, batch.plural)
                and not obj.deleted
                and JOB_LABEL in (obj.raw.get("metadata", {}).get("labels") or {})
            ]

        return self.api.call(read)

    def _play(self, job: dict) -> None:
        meta = job["metadata"]
        namespace, name = meta.get("namespace", "default"), meta["name"]
        labels = meta.get("labels") or {}
        notes = meta.get("annotations") or {}
        spec = job.get("spec") or {}
        if spec.get("suspend") and KUEUE_QUEUE_LABEL in labels:
            self.api.put(_workload(job))
            self.api.put({**job, "spec": {**spec, "suspend": False}})
        nodes = int(spec.get("completions") or 1)
        pool = notes.get(POOL_KEY) or labels.get(POOL_KEY, "gpu")
        template_labels = (spec.get("template") or {}).get("metadata", {}).get("labels") or {}
        reason = (
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector "
            f"(pool {pool} has no nodes yet)."
        )
        for rank in range(nodes):
            pod_name = f"{name}-{rank}-emul0"
            if self.scheduler is not None:
                pod = _pod(namespace, pod_name, {**template_labels, INDEX_LABEL: str(rank)}, "")
                pod["spec"] = dict((spec.get("template") or {}).get("spec") or {})
                pod["status"] = {"phase": "Pending"}
                self.api.put(pod)
                continue
            self.api.put(
                _pod(namespace, pod_name, {**template_labels, INDEX_LABEL: str(rank)}, reason)
            )
            self.api.put(_event(namespace, pod_name, "FailedScheduling", reason, "Warning"))
            self.api.put(
                _event(
                    namespace,
                    pod_name,
                    "TriggeredScaleUp",
                    f"pod triggered scale-up: [{{{pool} 0->{nodes}}}]",
                    "Normal",
                )
            )


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _pod(namespace: str, name: str, labels: dict, reason: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {},
        "status": {
            "phase": "Pending",
            "conditions": [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": reason,
                }
            ],
        },
    }


def _event(namespace: str, obj: str, reason: str, message: str, kind: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{obj}.{reason.lower()}", "namespace": namespace},
        "involvedObject": {"kind": "Pod", "name": obj, "namespace": namespace},
        "reason": reason,
        "message": message,
        "type": kind,
        "lastTimestamp": _now(),
    }


def _workload(job: dict) -> dict:
    meta = job["metadata"]
    return {
        "apiVersion": resources.WORKLOAD.api_version,
        "kind": "Workload",
        "metadata": {
            "name": f"job-{meta['name']}",
            "namespace": meta.get("namespace", "default"),
            "ownerReferences": [
                {"apiVersion": "batch/v1", "kind": "Job", "name": meta["name"], "controller": True}
            ],
        },
        "status": {
            "conditions": [
                {"type": "QuotaReserved", "status": "True", "reason": "QuotaReserved"},
                {"type": "Admitted", "status": "True", "reason": "Admitted"},
            ]
        },
    }
