"""Kubernetes API resources as data: where each lives and what its objects are called.

`Resource` is the one description of an API resource: the job client builds request
paths from it (`gpuforge.jobs.resources`), and `served_apis` lists the custom
resources each controller's CRDs add with it. The custom resources gpuforge's
controllers serve are written here once. Pure data: no kubernetes import.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.model.kueue import KUEUE_API
from gpuforge.model.training_runtimes import CLUSTER_TRAINING_RUNTIME_KIND, TRAINER_API

JOBSET_API = "jobset.x-k8s.io/v1alpha2"
"""JobSet's served version (JobSet v0.12)."""


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


def _custom(api_version: str, kind: str, plural: str, namespaced: bool = True) -> Resource:
    return Resource(api_version, kind, plural, namespaced=namespaced, custom=True)


LOCAL_QUEUE = _custom(KUEUE_API, "LocalQueue", "localqueues")
WORKLOAD = _custom(KUEUE_API, "Workload", "workloads")
CLUSTER_QUEUE = _custom(KUEUE_API, "ClusterQueue", "clusterqueues", namespaced=False)
RESOURCE_FLAVOR = _custom(KUEUE_API, "ResourceFlavor", "resourceflavors", namespaced=False)
WORKLOAD_PRIORITY_CLASS = _custom(
    KUEUE_API, "WorkloadPriorityClass", "workloadpriorityclasses", namespaced=False
)
JOBSET = _custom(JOBSET_API, "JobSet", "jobsets")
TRAINJOB = _custom(TRAINER_API, "TrainJob", "trainjobs")
TRAINING_RUNTIME = _custom(TRAINER_API, "TrainingRuntime", "trainingruntimes")
CLUSTER_TRAINING_RUNTIME = _custom(
    TRAINER_API, CLUSTER_TRAINING_RUNTIME_KIND, "clustertrainingruntimes", namespaced=False
)
