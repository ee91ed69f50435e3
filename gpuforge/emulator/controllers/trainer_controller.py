"""The Kubeflow Trainer controller (kubeflow/trainer v2.3.0, 658725b), where installed.

A TrainJob and the ClusterTrainingRuntime it references become one JobSet of the same
name, owned by the TrainJob, built as Trainer's plugins build it:
- `pkg/runtime/framework/plugins/jobset/jobset.go:325 Build`: the runtime's
  `template.spec`, the TrainJob's `runtimePatches` applied on top; an existing JobSet
  is left alone unless suspended; `suspend` follows the TrainJob's;
- `pkg/runtime/framework/plugins/jobset/builder.go:113 Trainer`: the replicated job
  labelled `trainer.kubeflow.org/trainjob-ancestor-step: trainer` gets 1 replica, its
  `node` container the TrainJob's image, command, args and env;
- the trainer's `numNodes` is the pod count (`parallelism`, `completions`) and
  `resourcesPerNode` the container's resources (`pkg/runtime/framework/plugins/mlpolicy`);
- `pkg/runtime/framework/plugins/torch/torch.go:145-203`: `PET_NNODES`,
  `PET_NPROC_PER_NODE`, `PET_NODE_RANK` (the completion index), `PET_MASTER_ADDR`
  (`<name>-node-0-0.<name>`), `PET_MASTER_PORT` and the container port 29500
  (`pkg/constants/constants.go:72`).

The TrainJob's `Complete`/`Failed` follow the JobSet's `Completed`/`Failed`. The JobSet
controller takes it from there. Not emulated: initializers, other ML policies, the
validating webhook.
"""

from __future__ import annotations

import copy
from typing import Any

from gpuforge.emulator.controllers.job_controller import INDEX_KEY
from gpuforge.emulator.controllers.store import (
    Store,
    condition,
    controller_uid,
    owner_reference,
    set_condition,
    timestamp,
)
from gpuforge.jobs import resources
from gpuforge.model import network_policy
from gpuforge.model import training_runtimes as rt

TRAINER_PORT = network_policy.TRAINER_MASTER_PORT


def runtime_of(store: Store, trainjob: dict) -> dict | None:
    """The ClusterTrainingRuntime the TrainJob references, from the cluster."""
    ref = (trainjob.get("spec") or {}).get("runtimeRef") or {}
    for runtime in store.list(resources.CLUSTER_TRAINING_RUNTIME):
        if runtime["metadata"]["name"] == ref.get("name"):
            return runtime
    return None


def merge(base: Any, patch: Any) -> Any:
    """A strategic merge as Trainer applies runtime patches: maps merge, lists of named
    items merge by name, other lists are replaced."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            out[key] = merge(base[key], value) if key in base else copy.deepcopy(value)
        return out
    if (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in [*base, *patch])
    ):
        out = [copy.deepcopy(i) for i in base]
        for item in patch:
            at = next((n for n, b in enumerate(out) if b["name"] == item["name"]), None)
            if at is None:
                out.append(copy.deepcopy(item))
            else:
                out[at] = merge(out[at], item)
        return out
    return copy.deepcopy(patch)


def _upsert_env(env: list[dict], new: list[dict]) -> list[dict]:
    out = [e for e in env if e.get("name") not in {n["name"] for n in new}]
    return out + new


def jobset_spec(store: Store, trainjob: dict) -> dict | None:
    """The JobSet spec Trainer builds for `trainjob`, or None without its runtime."""
    runtime = runtime_of(store, trainjob)
    if runtime is None:
        return None
    spec = trainjob.get("spec") or {}
    template = copy.deepcopy((runtime.get("spec") or {}).get("template") or {})
    for patch in spec.get("runtimePatches") or []:
        template = merge(template, (patch.get("trainingRuntimeSpec") or {}).get("template") or {})
    js_spec = template.get("spec") or {}
    trainer = spec.get("trainer") or {}
    name = trainjob["metadata"]["name"]
    num_nodes = int(
        trainer.get("numNodes")
        or ((runtime.get("spec") or {}).get("mlPolicy") or {}).get("numNodes")
        or 1
    )
    for rjob in js_spec.get("replicatedJobs") or []:
        labels = ((rjob.get("template") or {}).get("metadata") or {}).get("labels") or {}
        if labels.get(rt.ANCESTOR_LABEL) != rt.TRAINER_ANCESTOR:
            continue
        rjob["replicas"] = 1
        job_spec = rjob.setdefault("template", {}).setdefault("spec", {})
        job_spec["parallelism"] = num_nodes
        job_spec["completions"] = num_nodes
        job_spec.setdefault("completionMode", "Indexed")
        pod_spec = job_spec.setdefault("template", {}).setdefault("spec", {})
        for container in pod_spec.get("containers") or []:
            if container.get("name") != rt.NODE:
                continue
            for key in ("image", "command", "args"):
                if trainer.get(key) is not None:
                    container[key] = copy.deepcopy(trainer[key])
            if trainer.get("resourcesPerNode") is not None:
                container["resources"] = copy.deepcopy(trainer["resourcesPerNode"])
            pet = [
                {"name": "PET_NNODES", "value": str(num_nodes)},
                {"name": "PET_NPROC_PER_NODE", "value": str(trainer.get("numProcPerNode", "auto"))},
                {
                    "name": "PET_NODE_RANK",
                    "valueFrom": {
                        "fieldRef": {"fieldPath": f"metadata.annotations['{INDEX_KEY}']"}
                    },
                },
                {"name": "PET_MASTER_ADDR", "value": f"{name}-{rt.NODE}-0-0.{name}"},
                {"name": "PET_MASTER_PORT", "value": str(TRAINER_PORT)},
            ]
            container["env"] = _upsert_env(
                _upsert_env(container.get("env") or [], copy.deepcopy(trainer.get("env") or [])),
                pet,
            )
            ports = container.setdefault("ports", [])
            if not any(p.get("containerPort") == TRAINER_PORT for p in ports):
                ports.append({"containerPort": TRAINER_PORT})
    js_spec["suspend"] = bool(spec.get("suspend"))
    return js_spec


class TrainerController:
    """A JobSet per TrainJob, and the TrainJob's end from the JobSet's."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def step(self) -> int:
        trainjobs = self.store.list(resources.TRAINJOB)
        if not trainjobs:
            return 0
        jobsets = self.store.list(resources.JOBSET)
        acted = 0
        for tj in trainjobs:
            if tj["metadata"].get("deletionTimestamp"):
                continue
            uid = self.store.uid(resources.TRAINJOB, tj)
            owned = [j for j in jobsets if controller_uid(j) == uid]
            acted += self._reconcile(tj, owned[0] if owned else None)
        return acted

    def _reconcile(self, tj: dict, jobset: dict | None) -> int:
        meta = tj["metadata"]
        suspended = bool((tj.get("spec") or {}).get("suspend"))
        if jobset is None:
            spec = jobset_spec(self.store, tj)
            if spec is None:
                return 0
            self.store.create(
                {
                    "apiVersion": resources.JOBSET.api_version,
                    "kind": resources.JOBSET.kind,
                    "metadata": {
                        "name": meta["name"],
                        "namespace": meta.get("namespace"),
                        "labels": dict(meta.get("labels") or {}),
                        "ownerReferences": [owner_reference(tj)],
                    },
                    "spec": spec,
                }
            )
            return 1
        jm = jobset["metadata"]
        if bool((jobset.get("spec") or {}).get("suspend")) != suspended:
            self.store.patch(
                resources.JOBSET, jm.get("namespace"), jm["name"], {"spec": {"suspend": suspended}}
            )
            return 1
        for js_kind, tj_kind in (("Completed", "Complete"), ("Failed", "Failed")):
            cond = condition(jobset, js_kind)
            if cond and cond.get("status") == "True" and not condition(tj, tj_kind):
                new = {
                    "type": tj_kind,
                    "status": "True",
                    "reason": cond.get("reason"),
                    "message": cond.get("message"),
                    "lastTransitionTime": timestamp(self.store.clock()),
                }
                conditions = set_condition(
                    list((tj.get("status") or {}).get("conditions") or []), new
                )
                self.store.patch(
                    resources.TRAINJOB,
                    meta.get("namespace"),
                    meta["name"],
                    {"status": {"conditions": conditions}},
                )
                return 1
        return 0
