"""What the emulated Kubernetes API answers in the shapes a real API server uses.

Pure functions over plain data (no kmock, no HTTP): API discovery (`/api`, `/api/v1`,
`/apis`, `/apis/<group>`, `/apis/<group>/<version>`), `/version`, lists with their
`kind`, and the `Status` objects of errors. `k8s_serving` wires them into kmock.

Upstream shapes (kubernetes/apimachinery@eed236ceee2c19c2753a3d93ac0631dc20750454,
the published copy of kubernetes/kubernetes staging/src/k8s.io/apimachinery):

- `pkg/api/errors/errors.go:145` `NewNotFound`: code 404, reason `NotFound`, message
  `fmt.Sprintf("%s %q not found", qualifiedResource.String(), name)` (the resource's
  plural, `.group` unless core), details `{group, kind: <plural>, name}`;
- `pkg/api/errors/errors.go:160` `NewAlreadyExists`: 409, `AlreadyExists`,
  `%s %q already exists`;
- `pkg/api/errors/errors.go:195` `NewUnauthorized`: 401, `Unauthorized`, the message as
  given, no details; the API server's authentication filter gives "Unauthorized"
  (kubernetes/apiserver@24a394e516bfda066d7e2221d7d92c052de27c54:
  pkg/endpoints/filters/authentication.go:149);
- an unknown path (a resource no group serves) is Go's `http.NotFound`: a plain-text
  `404 page not found` (kubernetes/apiserver@24a394e:
  pkg/util/notfoundhandler/not_found_handler.go:66), not a Status;
- `pkg/version/types.go:20` `Info`: the fields of `/version`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# EKS reports its build in gitVersion (`v1.35.0-eks-<hash>`) and a minor with a `+`.
# The patch level and hash are the emulator's own: no API here serves EKS's builds.
EKS_PATCH = "0"
EKS_BUILD = "eks-gpuforge"
GO_VERSION = "go1.25.0"

NOT_FOUND_TEXT = "404 page not found\n"
"""What the API server answers for a path nothing serves (Go's `http.NotFound`)."""


@dataclass(frozen=True)
class ApiResource:
    """One served resource, as discovery describes it."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = ()
    singular: str = ""
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = field(default=())

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`jobs.batch`, `pods`: how the API server names the resource in messages."""
        return f"{self.plural}.{self.group}" if self.group else self.plural


# -- /version -----------------------------------------------------------------------


def version_info(kubernetes_version: str) -> dict:
    """`/version` of an EKS control plane running `kubernetes_version` (`1.35`)."""
    major, minor = kubernetes_version.split(".")[:2]
    return {
        "major": major,
        "minor": f"{minor}+",
        "emulationMajor": major,
        "emulationMinor": minor,
        "minCompatibilityMajor": major,
        "minCompatibilityMinor": str(int(minor) - 1),
        "gitVersion": f"v{major}.{minor}.{EKS_PATCH}-{EKS_BUILD}",
        "gitCommit": "0" * 40,
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": GO_VERSION,
        "compiler": "gc",
        "platform": "linux/amd64",
    }


# -- discovery ----------------------------------------------------------------------

_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes' version order: GA before beta before alpha, higher numbers first
    (apimachinery@eed236c pkg/version/helpers.go:67 `CompareKubeAwareVersionStrings`)."""
    match = _VERSION.match(version)
    if match is None:
        return (-1, 0, 0)
    level = {"alpha": 0, "beta": 1, None: 2}[match.group(2)]
    return (level, int(match.group(1)), int(match.group(3) or 0))


def api_versions(server_address: str) -> dict:
    """`/api`."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _group_versions(resources: Iterable[ApiResource]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for r in resources:
        if r.group and r.version not in groups.setdefault(r.group, []):
            groups[r.group].append(r.version)
    return {g: sorted(vs, key=version_priority, reverse=True) for g, vs in groups.items()}


def _group(name: str, versions: list[str]) -> dict:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def api_group_list(resources: Iterable[ApiResource]) -> dict:
    """`/apis`: every served group, in the order its resources were declared."""
    groups = _group_versions(resources)
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(g, vs) for g, vs in groups.items()],
    }


def api_group(resources: Iterable[ApiResource], name: str) -> dict | None:
    """`/apis/<name>`, or None when no resource of that group is served."""
    versions = _group_versions(resources).get(name)
    if not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


_SUBRESOURCE_VERBS = {
    "status": ("get", "patch", "update"),
    "scale": ("get", "patch", "update"),
    "log": ("get",),
}


def api_resource_list(resources: Iterable[ApiResource], group: str, version: str) -> dict | None:
    """`/api/v1` or `/apis/<group>/<version>`, or None when nothing is served there."""
    served = [r for r in resources if (r.group, r.version) == (group, version)]
    if not served:
        return None
    entries = []
    for r in sorted(served, key=lambda r: r.plural):
        entry: dict = {
            "name": r.plural,
            "singularName": r.singular or r.kind.lower(),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": sorted(r.verbs),
        }
        if r.short_names:
            entry["shortNames"] = sorted(r.short_names)
        if r.categories:
            entry["categories"] = sorted(r.categories)
        entries.append(entry)
        for sub in sorted(r.subresources):
            entries.append(
                {
                    "name": f"{r.plural}/{sub}",
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": r.kind,
                    "verbs": list(_SUBRESOURCE_VERBS.get(sub, ("get",))),
                }
            )
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": f"{group}/{version}" if group else version,
        "resources": entries,
    }


def root_paths(resources: Iterable[ApiResource]) -> dict:
    """`/`: the paths the server serves."""
    paths = {"/api", "/api/v1", "/apis", "/version", "/openapi/v2", "/openapi/v3"}
    for r in resources:
        if r.group:
            paths |= {f"/apis/{r.group}", f"/apis/{r.group}/{r.version}"}
    return {"paths": sorted(paths)}


# -- lists --------------------------------------------------------------------------


def object_list(resource: ApiResource, items: list[dict], resource_version: str) -> dict:
    """A list response: `PodList`, `JobList`, ... with the group's apiVersion."""
    return {
        "kind": f"{resource.kind}List",
        "apiVersion": resource.group_version,
        "metadata": {"resourceVersion": resource_version},
        "items": items,
    }


# -- errors (metav1.Status) ---------------------------------------------------------


def status(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    """A `Status` object of a failed request."""
    doc: dict = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    }
    if details:
        doc["details"] = details
    doc["code"] = code
    return doc


def _details(group: str, plural: str, name: str) -> dict:
    details = {"name": name}
    if group:
        details["group"] = group
    details["kind"] = plural
    return details


def not_found(group: str, plural: str, name: str) -> dict:
    """errors.go `NewNotFound`: `jobs.batch "llama" not found`."""
    qualified = f"{plural}.{group}" if group else plural
    return status(404, "NotFound", f'{qualified} "{name}" not found', _details(group, plural, name))


def already_exists(group: str, plural: str, name: str) -> dict:
    """errors.go `NewAlreadyExists`: `jobs.batch "llama" already exists`."""
    qualified = f"{plural}.{group}" if group else plural
    message = f'{qualified} "{name}" already exists'
    return status(409, "AlreadyExists", message, _details(group, plural, name))


def unauthorized() -> dict:
    """What the authentication filter answers a request without a valid token."""
    return status(401, "Unauthorized", "Unauthorized")


def internal_error(message: str) -> dict:
    """errors.go:387 `NewInternalError`: 500, `InternalError`, the cause in details."""
    details = {"causes": [{"message": message}]}
    return status(500, "InternalError", f"Internal error occurred: {message}", details)


def unknown_fields_refused(kind: str, version: str, fields: list[str]) -> dict:
    """A create with `fieldValidation=Strict` and unknown fields: errors.go:315
    `NewBadRequest` with the message of kubernetes/apiserver@24a394e
    pkg/endpoints/handlers/rest.go:252 `transformDecodeError` around apimachinery's
    pkg/runtime/error.go:138 `strictDecodingError`."""
    listed = ", ".join(f'unknown field "{f}"' for f in fields)
    message = f'{kind} in version "{version}" cannot be handled as a {kind}: '
    return status(400, "BadRequest", message + f"strict decoding error: {listed}")


def unsupported_media_type(accepted: Iterable[str]) -> dict:
    """A body in a format the server does not decode (kubernetes/apiserver@24a394e
    pkg/endpoints/handlers/negotiation/errors.go:89 `errUnsupportedMediaType`)."""
    message = "the body of the request was in an unknown format - accepted media types include: "
    return status(415, "UnsupportedMediaType", message + ", ".join(accepted))
