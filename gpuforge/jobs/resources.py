"""The Kubernetes API resources gpuforge creates or reads, written once.

The cluster client builds request paths from this table, the emulated API
declares the custom resources from it, and the job state reads the primary
kinds from it. Pure data: no kubernetes import. The Kueue API version is the one the
platform installs (`gpuforge.model.kueue`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.model.kueue import KUEUE_API
from gpuforge.model.served_apis import JOBSET_API
from gpuforge.model.training_runtimes import CLUSTER_TRAINING_RUNTIME_KIND, TRAINER_API


@dataclass(frozen=True)
class Resource:
    """One API resource: where it lives and what its objects are called."""

    api_version: str
    """`v1` for the core group, else `<group>/<version>`."""
    kind: str
    plural: str
    namespaced: bool = True
    custom: bool = False
    """A custom resource (its CRD must be installed on the cluster)."""

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        """The API path of the collection (no name) or of one object."""
        base = f"/api/{self.version}" if not self.group else f"/apis/{self.api_version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{namespace}"
        base += f"/{self.plural}"
        return f"{base}/{name}" if name else base


SERVICE = Resource("v1", "Service", "services")
POD = Resource("v1", "Pod", "pods")
EVENT = Resource("v1", "Event", "events")
CONFIG_MAP = Resource("v1", "ConfigMap", "configmaps")
NODE = Resource("v1", "Node", "nodes", namespaced=False)
BATCH_JOB = Resource("batch/v1", "Job", "jobs")
JOBSET = Resource(JOBSET_API, "JobSet", "jobsets", custom=True)
TRAINJOB = Resource(TRAINER_API, "TrainJob", "trainjobs", custom=True)
LOCAL_QUEUE = Resource(KUEUE_API, "LocalQueue", "localqueues", custom=True)
WORKLOAD = Resource(KUEUE_API, "Workload", "workloads", custom=True)
CLUSTER_TRAINING_RUNTIME = Resource(
    TRAINER_API,
    CLUSTER_TRAINING_RUNTIME_KIND,
    "clustertrainingruntimes",
    namespaced=False,
    custom=True,
)

KNOWN = (
    SERVICE,
    POD,
    EVENT,
    CONFIG_MAP,
    NODE,
    BATCH_JOB,
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
