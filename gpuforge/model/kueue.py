"""Kueue in the cluster: its API version, its controller's chart values and the queue objects.

One `ResourceFlavor` per GPU pool (its node labels and taints), one `ClusterQueue` for
the environment whose quota is what the pools hold at their max size, and the
`LocalQueue` jobs name. Pure functions of an `EnvironmentSpec`.
"""

from __future__ import annotations

from typing import Any

from gpuforge.model import names, pools
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec

KUEUE_API = "kueue.x-k8s.io/v1beta2"
"""Kueue v0.20 serves only v1beta2 (v1beta1 is gone)."""


def controller_values(spec: EnvironmentSpec) -> dict[str, Any]:
    """Kueue's controller on the system nodes; it only manages jobs that name a queue."""
    return {
        "controllerManager": {
            "manager": {"priorityClassName": "system-cluster-critical"},
            "nodeSelector": {names.NODE_ROLE_KEY: names.SYSTEM_NODE_ROLE},
        },
        "managerConfig": {"manageJobsWithoutQueueName": False},
    }


def covered_resources(spec: EnvironmentSpec) -> list[str]:
    """What the ClusterQueue accounts for: CPU, memory, the accelerators, EFA if any pool has it.

    A pod requesting a resource no flavor covers is never admitted, so every device a
    job on some pool requests must be listed here.
    """
    accelerators = sorted({pools.accelerator_resource(p) for p in spec.gpu_pools})
    extra = [pools.EFA] if pools.efa_pools(spec) else []
    return ["cpu", "memory", *accelerators, *extra]


def resource_flavor(pool: GpuPoolSpec) -> dict[str, Any]:
    """`metadata.name` and `spec` of the pool's ResourceFlavor: its node labels and taints."""
    taints = pools.node_taints(pool)
    return {
        "name": names.resource_flavor(pool.name),
        "spec": {
            "nodeLabels": pools.node_labels(pool),
            "nodeTaints": taints,
            "tolerations": [
                {"key": t["key"], "operator": "Equal", "value": t["value"], "effect": t["effect"]}
                for t in taints
            ],
        },
    }


def flavor_quota(pool: GpuPoolSpec, covered: list[str]) -> dict[str, Any]:
    """The pool's flavor in the ClusterQueue: max nodes x what one node offers."""
    shape = pools.node_shape(pool)
    per_node = {
        "cpu": shape.vcpus,
        shape.accelerator_resource: shape.accelerators,
        pools.EFA: shape.efa_devices,
    }
    resources: list[dict[str, Any]] = []
    for name in covered:
        if name == "memory":
            quota: Any = f"{shape.memory_mib * pool.max}Mi"
        else:
            quota = per_node.get(name, 0) * pool.max
        resources.append({"name": name, "nominalQuota": quota})
    return {"name": names.resource_flavor(pool.name), "resources": resources}


def cluster_queue(spec: EnvironmentSpec) -> dict[str, Any]:
    """`metadata.name` and `spec` of the environment's ClusterQueue."""
    covered = covered_resources(spec)
    return {
        "name": names.cluster_queue(spec.environment),
        "spec": {
            "namespaceSelector": {
                "matchLabels": {"kubernetes.io/metadata.name": spec.training.namespace}
            },
            "queueingStrategy": "BestEffortFIFO",
            "resourceGroups": [
                {
                    "coveredResources": covered,
                    "flavors": [flavor_quota(p, covered) for p in spec.gpu_pools],
                }
            ],
        },
    }


def local_queue(spec: EnvironmentSpec) -> dict[str, Any]:
    """`metadata` and `spec` of the LocalQueue jobs are submitted to."""
    return {
        "name": names.LOCAL_QUEUE,
        "namespace": spec.training.namespace,
        "spec": {"clusterQueue": names.cluster_queue(spec.environment)},
    }
