"""The in-cluster training runtime: its namespace."""

from __future__ import annotations

from gpuforge.model.errors import SpecError
from gpuforge.model.k8s_syntax import DNS1123_LABEL_MAX, dns1123_label_problem
from gpuforge.model.spec import EnvironmentSpec

EXISTING_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def check_training(spec: EnvironmentSpec) -> None:
    namespace = spec.training.namespace
    problem = dns1123_label_problem(namespace, DNS1123_LABEL_MAX)
    if problem:
        raise SpecError(
            "training.namespace",
            f"{namespace!r} is not a valid Kubernetes namespace: it {problem}",
            "lower-case letters, digits and '-'",
        )
    if namespace in EXISTING_NAMESPACES or namespace.startswith("kube-"):
        raise SpecError(
            "training.namespace",
            f"{namespace} is a namespace every cluster has (kube-* is reserved for Kubernetes)",
            "gpuforge creates the training namespace: choose your own, e.g. training",
        )
