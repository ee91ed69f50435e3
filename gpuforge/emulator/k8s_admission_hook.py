"""Wires `k8s_admission` into the emulated API: pods and Jobs created over HTTP.

A namespace is admitted as EKS would only once it is registered
(`EmulatedKubernetes.admit_namespace(spec)`): its labels, LimitRange and
ResourceQuota are then the ones the runtime declares for that environment. Pods in
other namespaces are stored as sent (an unlabelled namespace without LimitRange or
quota admits them too). Warnings go back as `Warning: 299 - "<text>"` headers, as
kube-apiserver sends them (kubernetes/apiserver@5c93bee0 pkg/endpoints/handlers
warning recorder; RFC 7234 section 5.5).
"""

from __future__ import annotations

from typing import Any

from gpuforge.emulator.k8s_admission import (
    Admitted,
    NamespaceObjects,
    admit_pod,
    warn_pod_template,
)


def live_pods(emulator: Any, namespace: str) -> list[dict]:
    return [
        obj.raw
        for (res, ns, _), obj in list(emulator.objects.items())
        if res.plural == "pods" and (res.group or "") == "" and ns == namespace and not obj.deleted
    ]


def refuse_unserved(emulator: Any, request: Any) -> None:
    """404 for a resource the cluster does not serve (a CRD whose controller is not
    installed), before kmock stores anything. kube-apiserver hands such a path to its
    last handler, which answers `http.NotFound` (kubernetes/apiserver@5c93bee0 (v0.35.0):
    pkg/util/notfoundhandler/not_found_handler.go:46-66); every client turns that 404
    into this Status (kubernetes/apimachinery@72d71eac (v0.35.0):
    pkg/api/errors/errors.go:448-450, `NewGenericServerResponse`), which is what the
    emulator sends so that clients without that step see the same thing."""
    import kmock

    res = request.resource
    served = getattr(emulator, "gpuforge_served", None)
    if res is None or served is None or not res.plural or not res.version:
        return
    if (res.group or "", res.version, res.plural) not in served:
        raise kmock.KubernetesError(
            status=404,
            reason="NotFound",
            message="the server could not find the requested resource",
            details={},
        )


def admit_request(emulator: Any, request: Any) -> tuple[dict | None, list[str]]:
    """(the object as admission leaves it, to store in place of the request's; warnings).

    Raises the Status error of a refused request. The request itself stays as sent (it is
    what tests read back as sent); `store_admitted` puts the admitted object in the store.
    """
    import kmock

    registered: dict[str, NamespaceObjects] = emulator.gpuforge_namespaces
    res = request.resource
    if (
        res is None
        or request.action != kmock.action.CREATE
        or request.subresource
        or not isinstance(request.data, dict)
    ):
        return None, []
    namespace = request.namespace or (request.data.get("metadata") or {}).get("namespace")
    if namespace not in registered:
        return None, []
    declared = registered[namespace]
    if (res.group or "", res.plural) == ("", "pods"):
        objects = NamespaceObjects(
            name=namespace,
            labels=declared.labels,
            limit_ranges=declared.limit_ranges,
            resource_quotas=declared.resource_quotas,
            pods=live_pods(emulator, namespace),
        )
        result = admit_pod(objects, request.data)
        if not isinstance(result, Admitted):
            status = result.status
            raise kmock.KubernetesError(
                status=status["code"],
                reason=status["reason"],
                message=status["message"],
                details=status["details"],
            )
        return result.pod, result.warnings
    if (res.group or "", res.plural) == ("batch", "jobs"):
        template = (request.data.get("spec") or {}).get("template") or {}
        return None, warn_pod_template(declared.labels, template)
    return None, []


def store_admitted(emulator: Any, request: Any, admitted: dict | None) -> None:
    """Give the stored object what admission set (LimitRanger's defaults and annotation).

    The create's response body is still the object as sent: a gap of the emulator."""
    if admitted is None:
        return
    meta = request.data.get("metadata") or {}
    key = (request.resource, request.namespace or meta.get("namespace"), meta.get("name"))
    if key in emulator._objects and not emulator._objects[key].deleted:
        emulator._objects[key].patch(admitted)


def add_warnings(response: Any, warnings: list[str]) -> None:
    for text in warnings:
        response.headers.add("Warning", '299 - "' + text.replace('"', '\\"') + '"')
