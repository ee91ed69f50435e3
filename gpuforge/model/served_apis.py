"""The custom resources an environment's cluster serves: those of the controllers it installs.

A CRD exists on a cluster only when the chart of its controller is installed, so the
served kinds are a function of the same runtime model that picks the charts
(`helm_charts.charts_for`). `plan` lists them (the Kubernetes side of a plan) and the
emulated API serves exactly these (`gpuforge emulate k8s -e ENV`); any other custom
resource answers 404, as a real API server answers for a resource it does not know.

Each controller's kinds are listed under its chart's release name; JobSet's and
Kubeflow Trainer's are served only where the environment offers a backend that needs
them (`training.backends`). Pure data.
"""

from __future__ import annotations

from gpuforge.model import api_resources as api
from gpuforge.model import helm_charts
from gpuforge.model.api_resources import Resource
from gpuforge.model.spec import EnvironmentSpec

CONTROLLER_RESOURCES: dict[str, tuple[Resource, ...]] = {
    "kueue": (
        api.LOCAL_QUEUE,
        api.WORKLOAD,
        api.CLUSTER_QUEUE,
        api.RESOURCE_FLAVOR,
        api.WORKLOAD_PRIORITY_CLASS,
    ),
    "jobset": (api.JOBSET,),
    "kubeflow-trainer": (api.TRAINJOB, api.TRAINING_RUNTIME, api.CLUSTER_TRAINING_RUNTIME),
}
"""The kinds each controller's CRDs add, by the Helm release that installs it."""


def served_resources(spec: EnvironmentSpec) -> list[Resource]:
    """The custom resources this environment's cluster serves, in chart install order."""
    return [
        resource
        for chart in helm_charts.charts_for(spec)
        for resource in CONTROLLER_RESOURCES.get(chart.release, ())
    ]


def all_custom_resources() -> list[Resource]:
    """Every kind of every controller gpuforge knows (an emulated API for no environment)."""
    return [r for kinds in CONTROLLER_RESOURCES.values() for r in kinds]
