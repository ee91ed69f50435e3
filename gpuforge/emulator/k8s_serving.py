"""How the emulated Kubernetes API speaks: the wire shapes a real API server uses.

`KubernetesServing` is a mixin for kmock's `KubernetesEmulator` (listed before it):
it replaces what kmock 0.8 answers in its own shapes with what kubectl and the
official client expect from an API server (the shapes are in `k8s_discovery`):

- discovery: `/api/v1` says `groupVersion: v1` (kmock: `/v1`), `/apis` lists every
  served group with its preferred version, each resource with its kind, scope,
  verbs, short names and categories;
- `/version`: the emulated EKS control plane's Kubernetes version;
- lists carry `kind` (`PodList`) and `apiVersion`; a fetched object carries both;
- errors are `Status` objects with the API server's reasons and messages:
  `pods "x" not found` (404 `NotFound`), `jobs.batch "x" already exists` (409
  `AlreadyExists`); a resource nothing serves is a plain `404 page not found`;
- Namespace objects (`/api/v1/namespaces[/<name>]`, which kmock's path parser reads as
  a namespace scope and fails on) and the four namespaces every cluster has;
- OpenAPI v3 (`k8s_openapi`), and `fieldValidation=Strict` on create: unknown fields
  of a built-in kind answer 400 as the API server's strict decoding does.

`tls_server_class(context)` is the aiohttp test server kmock's `Server` starts, serving
HTTPS with the certificate of `k8s_tls.ServerTLS`.

kmock internals used (pinned `kmock>=0.8,<0.9`): the discovery handlers
`KubernetesScaffold._serve_*` and `_render_error`, which kmock registers as bound
methods (so overriding them here replaces them), `RawHandler.__call__`'s request
bookkeeping (`_requests`, `_errors`) and `rendering.Request`.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from gpuforge.emulator import k8s_discovery as shapes
from gpuforge.emulator import k8s_openapi
from gpuforge.model.catalog import EKS_DEFAULT_VERSION

SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
"""The namespaces the API server itself creates (kube-apiserver's system namespaces
controller and `default`), present in every EKS cluster."""

ABSENT_GROUPS = ("metrics.k8s.io", "gateway.networking.k8s.io")
"""Groups in kmock's bundled resource list (read from a k3s cluster: metrics-server and
Traefik's Gateway API) that an EKS cluster does not serve unless they are installed.
With them `kubectl get pods` resolved to metrics.k8s.io."""

_NAMESPACES = re.compile(
    r"^/api/v1/namespaces(?:/(?P<name>[^/]+)(?:/(?P<sub>status|finalize))?)?/?$"
)


def _error(doc: dict) -> Exception:
    import kmock

    return kmock.KubernetesError(
        status=doc["code"], reason=doc["reason"], message=doc["message"], details=doc.get("details")
    )


def not_found_error(group: str, plural: str, name: str) -> Exception:
    """The API server's 404 for a missing object, to raise from a kmock handler."""
    return _error(shapes.not_found(group, plural, name))


def unauthorized_error() -> Exception:
    """The API server's 401 for a request without a valid bearer token."""
    return _error(shapes.unauthorized())


class KubernetesServing:
    """Real API-server shapes over kmock's emulator (a mixin, before kmock's class)."""

    kubernetes_version: str = EKS_DEFAULT_VERSION
    server_address: str = "127.0.0.1:443"

    def configure_serving(self, kubernetes_version: str) -> None:
        """Serve `/version` and the OpenAPI of `kubernetes_version` (`1.35`)."""
        self.kubernetes_version = kubernetes_version

    # -- the served resources ------------------------------------------------------

    def api_resources(self) -> list[shapes.ApiResource]:
        """Every declared resource, in declaration order."""
        declared = self.resources  # type: ignore[attr-defined]
        out = []
        for res in list(declared):
            info = declared[res]
            out.append(
                shapes.ApiResource(
                    group=res.group or "",
                    version=res.version,
                    plural=res.plural,
                    kind=info.kind or res.plural.capitalize(),
                    namespaced=bool(info.namespaced),
                    verbs=tuple(sorted(info.verbs)),
                    singular=info.singular or "",
                    short_names=tuple(sorted(info.shortnames)),
                    categories=tuple(sorted(info.categories)),
                    subresources=tuple(sorted(info.subresources)),
                )
            )
        return out

    def served(self, resource: Any) -> shapes.ApiResource | None:
        """The declared resource a request's `resource` names, or None."""
        key = (resource.group or "", resource.version, resource.plural)
        for r in self.api_resources():
            if (r.group, r.version, r.plural) == key:
                return r
        return None

    # -- requests ------------------------------------------------------------------

    async def __call__(self, raw_request: Any) -> Any:
        match = _NAMESPACES.match(raw_request.path)
        if match is None:
            return await super().__call__(raw_request)  # type: ignore[misc]
        return await self._call_namespaces(raw_request, match)

    async def _call_namespaces(self, raw_request: Any, match: re.Match) -> Any:
        """kmock's `RawHandler.__call__` for `/api/v1/namespaces[/<name>]`, parsed as the
        cluster-scoped resource it is."""
        import kmock
        from kmock._internal import parsing, rendering

        body = await raw_request.read()
        try:
            text = body.decode("utf-8")
            try:
                data = json.loads(text) if text else None
            except ValueError:
                data = None
            path = parsing.ParsedPath("", "v1", "namespaces", None, match["name"], match["sub"])
            method = kmock.method(raw_request.method)
            request = rendering.Request(
                id=len(self._requests),  # type: ignore[attr-defined]
                raw_request=raw_request,
                url=raw_request.url,
                method=raw_request.method,
                params=dict(raw_request.query),
                headers=dict(raw_request.headers),
                cookies=dict(raw_request.cookies),
                data=data,
                body=body,
                text=text,
                action=parsing.guess_k8s(path, method, dict(raw_request.query)),
                resource=kmock.resource("", "v1", "namespaces"),
                namespace=None,
                name=match["name"],
                subresource=match["sub"],
            )
            self._requests.append(request)  # type: ignore[attr-defined]
            return await self._handle(request)
        except Exception as exc:
            if not self._errors:  # type: ignore[attr-defined]
                raise
            self._errors[-1].append(exc)  # type: ignore[attr-defined]
            return await self._render_error(exc)

    async def _handle(self, request: Any) -> Any:
        import kmock
        from kmock._internal.k8s import KubernetesObjectConflictError

        if request.method == kmock.method.GET and request.url.path.startswith("/openapi/"):
            return self._serve_openapi(request.url.path)
        if request.method == kmock.method.GET and request.url.path == "/version/":
            import aiohttp.web  # the official client asks for `/version/`

            return aiohttp.web.json_response(await self._serve_server_version(request))
        resource = request.resource
        served = None
        if resource is not None and resource.plural is not None:
            served = self.served(resource)
            if served is None:
                raise kmock.KubernetesResourceNotFoundError()
            strategic = _check_media_type(request, served, self.kubernetes_version)
            if request.action == kmock.action.CREATE:
                self._check_fields(request, served)
            if strategic:
                request = self._as_merge_patch(request, served)
        try:
            return await super()._handle(request)  # type: ignore[misc]
        except kmock.KubernetesObjectNotFoundError:
            assert served is not None
            name = request.name or ((request.data or {}).get("metadata") or {}).get("name", "")
            raise _error(shapes.not_found(served.group, served.plural, name)) from None
        except KubernetesObjectConflictError:
            assert served is not None
            name = ((request.data or {}).get("metadata") or {}).get("name", "")
            raise _error(shapes.already_exists(served.group, served.plural, name)) from None

    def _as_merge_patch(self, request: Any, served: shapes.ApiResource) -> Any:
        """A strategic merge patch of a stored built-in object, applied as the API server
        applies it (`k8s_strategic_merge`), handed to kmock as the JSON merge patch that
        gives the same object. kmock serves no copy of a request (no reaction matched an
        `attrs.evolve`d one), so the body is swapped in place: `_requests` then shows the
        JSON merge patch."""
        from gpuforge.emulator import k8s_strategic_merge

        key = (request.resource, request.namespace, request.name)
        objects = self._objects  # type: ignore[attr-defined]
        if key not in objects or objects[key].deleted or not isinstance(request.data, dict):
            return request  # kmock answers the 404
        stored = objects[key]
        original = stored.raw
        merged = k8s_strategic_merge.apply(
            original,
            request.data,
            self.kubernetes_version,
            served.group,
            served.version,
            served.kind,
        )
        object.__setattr__(  # a frozen attrs Request
            request, "data", k8s_strategic_merge.merge_patch(original, merged)
        )
        return request

    def _check_fields(self, request: Any, served: shapes.ApiResource) -> None:
        """`fieldValidation=Strict` (kubectl's default): refuse unknown fields."""
        if request.params.get("fieldValidation") != "Strict" or not isinstance(request.data, dict):
            return
        fields = k8s_openapi.unknown_fields(
            request.data, self.kubernetes_version, served.group, served.version
        )
        if fields:
            raise _error(shapes.unknown_fields_refused(served.kind, served.version, fields))

    async def _render_error(self, exc: Exception) -> Any:
        import aiohttp.web
        import kmock

        if isinstance(
            exc, kmock.KubernetesResourceNotFoundError | kmock.KubernetesEndpointNotFoundError
        ):
            return aiohttp.web.Response(
                text=shapes.NOT_FOUND_TEXT,
                status=404,
                headers={"X-Content-Type-Options": "nosniff"},
                content_type="text/plain",
            )
        if isinstance(exc, kmock.KubernetesError):
            doc = shapes.status(exc.status, exc.reason or "", exc.message or "", exc.details)
        else:
            doc = shapes.internal_error(repr(exc))
        return aiohttp.web.json_response(doc, status=doc["code"])

    # -- discovery (kmock registers these as its fallbacks) ----------------------------

    async def _serve_root(self, request: Any) -> dict:
        return shapes.root_paths(self.api_resources())

    async def _serve_server_version(self, request: Any) -> dict:
        return shapes.version_info(self.kubernetes_version)

    async def _serve_api(self, request: Any) -> dict:
        return shapes.api_versions(self.server_address)

    async def _serve_apis(self, request: Any) -> dict:
        return shapes.api_group_list(self.api_resources())

    async def _serve_group(self, request: Any) -> dict:
        import kmock

        doc = shapes.api_group(self.api_resources(), request.resource.group)
        if doc is None:
            raise kmock.KubernetesResourceNotFoundError()
        return doc

    async def _serve_version(self, request: Any) -> dict:
        import kmock

        res = request.resource
        doc = shapes.api_resource_list(self.api_resources(), res.group or "", res.version)
        if doc is None:
            raise kmock.KubernetesResourceNotFoundError()
        return doc

    # -- objects -------------------------------------------------------------------

    async def _serve_list(self, request: Any) -> dict:
        doc = await super()._serve_list(request)  # type: ignore[misc]
        served = self.served(request.resource)
        assert served is not None  # _handle answered 404 otherwise
        items = [_with_type(item, served) for item in doc.get("items") or []]
        version = str(len(self._requests))  # type: ignore[attr-defined]
        return shapes.object_list(served, items, version)

    async def _serve_fetch(self, request: Any) -> dict:
        obj = await super()._serve_fetch(request)  # type: ignore[misc]
        served = self.served(request.resource)
        return _with_type(obj, served) if served is not None else obj

    # -- OpenAPI -------------------------------------------------------------------

    def _serve_openapi(self, path: str) -> Any:
        import aiohttp.web
        import kmock

        docs = _openapi_documents(tuple(self.api_resources()), self.kubernetes_version)
        if path.rstrip("/") == "/openapi/v3":
            body = k8s_openapi.index({gv: digest for gv, (digest, _) in docs.items()})
            return aiohttp.web.json_response(body)
        found = docs.get(path.removeprefix("/openapi/v3/"))
        if found is None:
            raise kmock.KubernetesEndpointNotFoundError()
        return aiohttp.web.Response(body=found[1], content_type="application/json")


JSON = "application/json"
MERGE_PATCH, STRATEGIC_MERGE_PATCH = (
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
PATCH_TYPES = (MERGE_PATCH, STRATEGIC_MERGE_PATCH)
"""The patches the emulator applies: a JSON merge patch (kmock's merge: dicts merge,
lists replace, null deletes) and, for built-in kinds, a strategic merge patch
(`k8s_strategic_merge`). Custom resources take no strategic merge patch, as the API
server's CRD handler does not. JSON Patch, server-side apply and protobuf bodies
(kubectl's typed commands such as `create namespace` send protobuf) answer 415, as the
API server does for a body it cannot decode."""


def _check_media_type(request: Any, served: shapes.ApiResource, kubernetes_version: str) -> bool:
    """Raise 415 for a body the emulator cannot apply; whether it is a strategic merge
    patch (of a built-in kind)."""
    from gpuforge.emulator import k8s_strategic_merge

    method = str(request.method.value if hasattr(request.method, "value") else request.method)
    if method.upper() not in ("POST", "PUT", "PATCH"):
        return False
    headers = {k.lower(): v for k, v in request.headers.items()}
    media = headers.get("content-type", JSON).split(";")[0].strip().lower()
    accepted: tuple[str, ...] = (JSON,)
    if method.upper() == "PATCH":
        builtin = k8s_strategic_merge.supports(
            kubernetes_version, served.group, served.version, served.kind
        )
        accepted = PATCH_TYPES if builtin else (MERGE_PATCH,)
    if media not in accepted:
        raise _error(shapes.unsupported_media_type(accepted))
    return media == STRATEGIC_MERGE_PATCH


def _with_type(obj: dict, served: shapes.ApiResource) -> dict:
    if obj.get("apiVersion") and obj.get("kind"):
        return obj
    return {"apiVersion": served.group_version, "kind": served.kind, **obj}


@functools.lru_cache(maxsize=8)
def _openapi_documents(
    resources: tuple[shapes.ApiResource, ...], kubernetes_version: str
) -> dict[str, tuple[str, bytes]]:
    """Each served group-version's document: its key in `/openapi/v3` -> (hash, JSON)."""
    out = {}
    for group, version in dict.fromkeys((r.group, r.version) for r in resources):
        doc = k8s_openapi.group_version_document(resources, group, version, kubernetes_version)
        if doc is not None:
            out[k8s_openapi.gv_path(group, version)] = (
                k8s_openapi.document_hash(doc),
                json.dumps(doc, separators=(",", ":")).encode(),
            )
    return out


def timestamp(when: datetime | None = None) -> str:
    """RFC 3339 in seconds, as the API server writes `metav1.Time` (now by default)."""
    return (when or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def server_fields() -> dict[str, str]:
    """The `metadata.uid` and `creationTimestamp` the API server gives an object it creates."""
    return {"uid": str(uuid.uuid4()), "creationTimestamp": timestamp()}


def with_server_fields(obj: dict) -> dict:
    """`obj` with the `metadata.uid` and `creationTimestamp` the API server gives every
    object it creates, where `obj` has none (what kubectl's AGE column reads)."""
    meta = obj.get("metadata") or {}
    if meta.get("uid") and meta.get("creationTimestamp"):
        return obj
    filled = {**server_fields(), **meta}
    return {**obj, "metadata": filled}


def drop_absent_groups(declared: Any) -> None:
    """Remove the `ABSENT_GROUPS` from kmock's declared resources."""
    for res in [r for r in declared if r.group in ABSENT_GROUPS]:
        del declared[res]


def seed_namespaces(emulator: Any) -> None:
    """Store the namespaces every cluster has, as the API server creates them."""
    now = timestamp()
    for name in SYSTEM_NAMESPACES:
        emulator.objects["v1/namespaces", None, name] = {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "uid": str(uuid.uuid4()),
                "creationTimestamp": now,
                "labels": {"kubernetes.io/metadata.name": name},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        }


def tls_server_class(context: Any) -> type:
    """kmock `Server`'s aiohttp test server class, serving HTTPS with `context`."""
    import aiohttp.test_utils

    class TLSServer(aiohttp.test_utils.RawTestServer):
        async def start_server(self, loop: Any = None, **kwargs: Any) -> None:
            kwargs.setdefault("ssl", context)
            await super().start_server(loop=loop, **kwargs)

    return TLSServer
