"""A stand-in for the scheduler and cluster-autoscaler of a cluster whose GPU pools sit at zero.

Until the emulated scheduler (`gpuforge.emulator.k8s_scheduler.Scheduler`) is plugged
into the controller loop, this plays what such a cluster does with a gpuforge job's
Pending pod that no node can take: the scheduler marks it unschedulable
(`PodScheduled` false, `FailedScheduling`), and cluster-autoscaler answers
`TriggeredScaleUp` for the pool's node group, from 0 to the number of pods waiting. It
never binds a pod: there are no nodes. `gpuforge status` explains the wait from that.
"""

from __future__ import annotations

from gpuforge.emulator.controllers.store import Store, condition
from gpuforge.jobs import resources
from gpuforge.model.names import JOB_LABEL, POOL_KEY


class ScaleFromZero:
    """Marks each new Pending pod of a gpuforge job unschedulable and scaling up its pool."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def step(self) -> int:
        acted = 0
        pods = self.store.list(resources.POD)
        waiting = [
            p
            for p in pods
            if JOB_LABEL in (p["metadata"].get("labels") or {})
            and (p.get("status") or {}).get("phase", "Pending") == "Pending"
            and not (p.get("spec") or {}).get("nodeName")
            and not p["metadata"].get("deletionTimestamp")
        ]
        for pod in waiting:
            if condition(pod, "PodScheduled") is not None:
                continue
            meta = pod["metadata"]
            labels = meta.get("labels") or {}
            pool = labels.get(POOL_KEY, "gpu")
            same_job = [
                p
                for p in waiting
                if (p["metadata"].get("labels") or {}).get(JOB_LABEL) == labels[JOB_LABEL]
            ]
            reason = (
                "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector "
                f"(pool {pool} has no nodes yet)."
            )
            cond = {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": reason,
            }
            self.store.patch(
                resources.POD,
                meta.get("namespace"),
                meta["name"],
                {"status": {"conditions": [cond]}},
            )
            self.store.event(pod, "FailedScheduling", reason, "Warning")
            self.store.event(
                pod, "TriggeredScaleUp", f"pod triggered scale-up: [{{{pool} 0->{len(same_job)}}}]"
            )
            acted += 1
        return acted
