"""The custom resources an environment's cluster serves: those of the controllers it installs.

A CRD exists on a cluster only when the chart of its controller is installed, so the
served kinds are a function of the same runtime model that picks the charts
(`helm_charts.charts_for`). `plan` lists them (the Kubernetes side of a plan) and the
emulated API serves exactly these (`gpuforge emulate k8s -e ENV`); any other custom
resource answers 404, as a real API server answers for a resource it does not know.

A controller whose chart no environment installs yet (JobSet, Kubeflow Trainer) has its
kinds here under the chart's release name; they are served once `helm_charts` installs
that release. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass

from gpuforge.model import helm_charts
from gpuforge.model.kueue import KUEUE_API
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.training_runtimes import CLUSTER_TRAINING_RUNTIME_KIND, TRAINER_API

JOBSET_API = "jobset.x-k8s.io/v1alpha2"
"""JobSet's served version (JobSet v0.12)."""


@dataclass(frozen=True)
class CustomResource:
    """One kind a controller's CRDs add to the API."""

    api_version: str
    kind: str
    plural: str
    namespaced: bool = True

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def version(self) -> str:
        return self.api_version.rpartition("/")[2]


CONTROLLER_RESOURCES: dict[str, tuple[CustomResource, ...]] = {
    "kueue": (
        CustomResource(KUEUE_API, "LocalQueue", "localqueues"),
        CustomResource(KUEUE_API, "Workload", "workloads"),
        CustomResource(KUEUE_API, "ClusterQueue", "clusterqueues", namespaced=False),
        CustomResource(KUEUE_API, "ResourceFlavor", "resourceflavors", namespaced=False),
        CustomResource(
            KUEUE_API, "WorkloadPriorityClass", "workloadpriorityclasses", namespaced=False
        ),
    ),
    "jobset": (CustomResource(JOBSET_API, "JobSet", "jobsets"),),
    "kubeflow-trainer": (
        CustomResource(TRAINER_API, "TrainJob", "trainjobs"),
        CustomResource(TRAINER_API, "TrainingRuntime", "trainingruntimes"),
        CustomResource(
            TRAINER_API, CLUSTER_TRAINING_RUNTIME_KIND, "clustertrainingruntimes", namespaced=False
        ),
    ),
}
"""The kinds each controller's CRDs add, by the Helm release that installs it."""


def served_resources(spec: EnvironmentSpec) -> list[CustomResource]:
    """The custom resources this environment's cluster serves, in chart install order."""
    return [
        resource
        for chart in helm_charts.charts_for(spec)
        for resource in CONTROLLER_RESOURCES.get(chart.release, ())
    ]


def all_custom_resources() -> list[CustomResource]:
    """Every kind of every controller gpuforge knows (an emulated API for no environment)."""
    return [r for kinds in CONTROLLER_RESOURCES.values() for r in kinds]
