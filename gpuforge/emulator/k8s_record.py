"""The Kubernetes side of a plan: objects and Helm releases recorded, not applied.

There is no API server behind `gpuforge plan`. `KubernetesRecord` keeps what the program
declared through pulumi-kubernetes and checks what an API server (or Helm) would refuse
about the declarations themselves:

- names are DNS subdomains; a kind is cluster-scoped or namespaced, never both;
- an object is declared once (AlreadyExists);
- a namespaced object's namespace exists: declared in the same run, created by a
  release (`createNamespace`), or one every cluster has (`default`, `kube-system`, ...);
- a `helm.sh/v3:Release` names a chart and an exact version (no range, no "latest").

Not modelled: schemas of the objects, admission (quota, Pod Security, webhooks),
controllers, and anything inside a chart. `helm.v3.Release` arrives as a custom
resource and is recorded with its chart, version, repository and values; Helm never
runs, no chart is fetched or rendered. (`helm.v4.Chart` would arrive as a remote
component, whose children the mocks never see; gpuforge uses `Release`.)
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import AwsError

RELEASE = "kubernetes:helm.sh/v3:Release"
BUILTIN_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})
CLUSTER_SCOPED = frozenset(
    {
        "Namespace",
        "PriorityClass",
        "ClusterRole",
        "ClusterRoleBinding",
        "CustomResourceDefinition",
        "StorageClass",
        "ResourceFlavor",
        "ClusterQueue",
        "Cohort",
        "WorkloadPriorityClass",
    }
)
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


@dataclass
class KubernetesRecord:
    """Every Kubernetes object and Helm release one program run declared."""

    objects: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    """(kind, namespace or "", name) -> the object's inputs."""
    releases: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    """(namespace, release name) -> the release's inputs."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def namespaces(self) -> set[str]:
        declared = {name for kind, _, name in self.objects if kind == "Namespace"}
        created = {ns for (ns, _), rel in self.releases.items() if rel.get("createNamespace")}
        return BUILTIN_NAMESPACES | declared | created

    def record(self, typ: str, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Check and keep one declaration; (id, computed outputs)."""
        if typ == RELEASE:
            return self._release(inputs)
        kind = inputs.get("kind") or typ.rsplit(":", 1)[-1]
        meta = inputs.get("metadata") or {}
        name = meta.get("name")
        _check_name(kind, name)
        namespace = meta.get("namespace") or ""
        if kind in CLUSTER_SCOPED and namespace:
            raise AwsError("BadRequest", f"{kind} is cluster-scoped and takes no namespace")
        if kind not in CLUSTER_SCOPED:
            namespace = namespace or "default"
        with self._lock:
            if namespace and namespace not in self.namespaces():
                raise AwsError(
                    "NotFound", f'namespaces "{namespace}" not found (for {kind} {name})'
                )
            key = (kind, namespace, name)
            if key in self.objects:
                raise AwsError("AlreadyExists", f'{kind} "{name}" already exists')
            self.objects[key] = inputs
        return (f"{namespace}/{name}" if namespace else name), {}

    def _release(self, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        chart, version = inputs.get("chart"), inputs.get("version")
        name = inputs.get("name")
        _check_name("Release", name)
        if not chart:
            raise AwsError("BadRequest", f"release {name}: no chart")
        if not isinstance(version, str) or not _EXACT_VERSION.match(version):
            raise AwsError(
                "BadRequest",
                f"release {name}: chart version {version!r} is not an exact version "
                "(pin one, e.g. 1.2.3)",
            )
        repo = (inputs.get("repositoryOpts") or {}).get("repo")
        if not repo and not str(chart).startswith("oci://"):
            raise AwsError("BadRequest", f"release {name}: chart {chart} needs a repository")
        namespace = inputs.get("namespace") or "default"
        with self._lock:
            if (namespace, name) in self.releases:
                raise AwsError("AlreadyExists", f'release "{name}" already exists')
            if not inputs.get("createNamespace") and namespace not in self.namespaces():
                raise AwsError("NotFound", f'namespaces "{namespace}" not found')
            self.releases[(namespace, name)] = inputs
        status = {
            "name": name,
            "namespace": namespace,
            "chart": chart,
            "version": version,
            "status": "not rendered: the chart was not fetched",
        }
        return f"{namespace}/{name}", {"status": status}


def _check_name(kind: str, name: Any) -> None:
    if not isinstance(name, str) or len(name) > 253 or not _DNS_SUBDOMAIN.match(name):
        raise AwsError("Invalid", f"{kind} name {name!r} is not a valid DNS subdomain")
