"""Kueue in the cluster: its API version, its controller's chart values and the queue objects.

One `ResourceFlavor` per GPU pool (its node labels and taints), one `ClusterQueue` for
the environment whose quota is what the pools hold at their max size, and the
`LocalQueue` jobs name. Pure functions of an `EnvironmentSpec`.
"""

from __future__ import annotations

from typing import Any

import yaml

from gpuforge.model import gang_timeouts, names, pools
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec

KUEUE_API = "kueue.x-k8s.io/v1beta2"
"""Kueue v0.20 serves only v1beta2 (v1beta1 is gone)."""


MANAGER_CONFIG: dict[str, Any] = {
    "apiVersion": "config.kueue.x-k8s.io/v1beta2",
    "kind": "Configuration",
    "health": {"healthProbeBindAddress": ":8081"},
    "metrics": {"bindAddress": ":8443"},
    "webhook": {"port": 9443},
    "leaderElection": {"leaderElect": True, "resourceName": "c1f6bfd2.kueue.x-k8s.io"},
    "controller": {
        "groupKindConcurrency": {
            "Job.batch": 5,
            "Pod": 5,
            "Workload.kueue.x-k8s.io": 10,
            "LocalQueue.kueue.x-k8s.io": 5,
            "ClusterQueue.kueue.x-k8s.io": 5,
            "ResourceFlavor.kueue.x-k8s.io": 1,
        }
    },
    "clientConnection": {"qps": 300, "burst": 500},
    "manageJobsWithoutQueueName": False,
    "integrations": {
        "frameworks": [
            "batch/job",
            "kubeflow.org/mpijob",
            "ray.io/rayjob",
            "ray.io/rayservice",
            "ray.io/raycluster",
            "jobset.x-k8s.io/jobset",
            "workload.codeflare.dev/appwrapper",
            "trainer.kubeflow.org/trainjob",
            "pod",
            "deployment",
            "statefulset",
            "leaderworkerset.x-k8s.io/leaderworkerset",
        ]
    },
    # A gang whose pods are not all Ready a scale from zero after admission (or after a
    # pod's loss) is evicted, its quota freed, and requeued with backoff
    # (kubernetes-sigs/kueue@8eab687:apis/config/v1beta2/configuration_types.go:79,
    # :304-328 WaitForPodsReady, :406-439 RequeuingStrategy). `blockAdmission` keeps
    # its default (false): other jobs are admitted meanwhile.
    "waitForPodsReady": {
        "timeout": f"{gang_timeouts.PODS_READY_SECONDS}s",
        "recoveryTimeout": f"{gang_timeouts.PODS_READY_SECONDS}s",
        "requeuingStrategy": {
            "timestamp": "Eviction",
            "backoffBaseSeconds": gang_timeouts.REQUEUE_BACKOFF_BASE_SECONDS,
            "backoffMaxSeconds": gang_timeouts.REQUEUE_BACKOFF_MAX_SECONDS,
        },
    },
}
"""Kueue's controller_manager_config.yaml: the chart's default
(kubernetes-sigs/kueue@8eab687:charts/kueue/values.yaml:115-208, v0.19.2, the newest
release in the snapshot; gpuforge pins chart 0.20.0) with `manageJobsWithoutQueueName`
stated (configuration_types.go:53 of the same commit): only jobs that name a queue."""


FAIR_SHARING = {"preemptionStrategies": ["LessThanOrEqualToFinalShare", "LessThanInitialShare"]}
"""Fair Sharing as Kueue documents it (kubernetes-sigs/kueue@8eab687:
site/content/en/docs/concepts/preemption.md:130-137), for environments with teams."""


def manager_config(spec: EnvironmentSpec) -> dict[str, Any]:
    """Kueue's Configuration: `MANAGER_CONFIG`, plus Fair Sharing when the environment has
    teams (their ClusterQueues share one cohort, `gpuforge.model.team_queues`)."""
    if not spec.teams:
        return MANAGER_CONFIG
    return {**MANAGER_CONFIG, "fairSharing": FAIR_SHARING}


def controller_values(spec: EnvironmentSpec) -> dict[str, Any]:
    """Kueue's controller on the system nodes; it only manages jobs that name a queue.

    The chart has no `managerConfig.manageJobsWithoutQueueName` value: it reads the
    whole Configuration as YAML text from `managerConfig.controllerManagerConfigYaml`
    (kubernetes-sigs/kueue@8eab687:charts/kueue/templates/manager/manager-config.yaml:26),
    and a value replaces the chart's default text entirely, so gpuforge gives all of it.
    """
    return {
        "controllerManager": {
            "manager": {"priorityClassName": "system-cluster-critical"},
            "nodeSelector": {names.NODE_ROLE_KEY: names.SYSTEM_NODE_ROLE},
        },
        "managerConfig": {
            "controllerManagerConfigYaml": yaml.safe_dump(manager_config(spec), sort_keys=False)
        },
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
