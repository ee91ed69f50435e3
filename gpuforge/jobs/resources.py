"""The Kubernetes API resources gpuforge creates or reads, written once.

The cluster client builds request paths from this table, the emulated API
declares the custom resources from it, and the job state reads the primary
kinds from it. Pure data: no kubernetes import. `Resource` and the custom resources
of the controllers the platform installs come from `gpuforge.model.api_resources`.
"""

from __future__ import annotations

from gpuforge.model.api_resources import (
    CLUSTER_TRAINING_RUNTIME,
    JOBSET,
    LOCAL_QUEUE,
    TRAINJOB,
    WORKLOAD,
    Resource,
)

SERVICE = Resource("v1", "Service", "services")
POD = Resource("v1", "Pod", "pods")
EVENT = Resource("v1", "Event", "events")
CONFIG_MAP = Resource("v1", "ConfigMap", "configmaps")
NODE = Resource("v1", "Node", "nodes", namespaced=False)
BATCH_JOB = Resource("batch/v1", "Job", "jobs")
PERSISTENT_VOLUME_CLAIM = Resource("v1", "PersistentVolumeClaim", "persistentvolumeclaims")

KNOWN = (
    SERVICE,
    POD,
    EVENT,
    CONFIG_MAP,
    NODE,
    BATCH_JOB,
    PERSISTENT_VOLUME_CLAIM,
    JOBSET,
    TRAINJOB,
    LOCAL_QUEUE,
    WORKLOAD,
    CLUSTER_TRAINING_RUNTIME,
)

PRIMARY = (BATCH_JOB, JOBSET, TRAINJOB)
"""Kinds whose object carries a job's status, one per backend (each backend's `primary`)."""

OWNED = (BATCH_JOB, JOBSET, TRAINJOB, SERVICE, CONFIG_MAP, POD)
"""Kinds `cancel` sweeps for objects labelled with the job (pods too: the
emulated API has no garbage collector, and on a real one deleting them is harmless)."""

CUSTOM = tuple(r for r in KNOWN if r.custom)


def for_kind(api_version: str, kind: str) -> Resource:
    """The resource of a manifest's apiVersion and kind."""
    for resource in KNOWN:
        if (resource.api_version, resource.kind) == (api_version, kind):
            return resource
    raise KeyError(f"gpuforge does not know the resource {api_version} {kind}")
