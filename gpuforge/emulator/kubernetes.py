"""The emulated Kubernetes API: kmock's stateful emulator served on 127.0.0.1.

``EmulatedKubernetes`` runs ``kmock.KubernetesEmulator`` behind ``kmock.Server`` on a
daemon thread with its own asyncio loop, so synchronous code (the CLI, the tests,
the benchmark) talks to it over real HTTP with the official ``kubernetes`` client::

    with EmulatedKubernetes() as api:
        api.write_kubeconfig("kubeconfig.yaml")
        ...  # gpuforge launch job.yaml -e dev --kubeconfig kubeconfig.yaml

It declares the built-in resources (kmock's bundled list) and the custom resources
gpuforge uses (JobSet, TrainJob, Kueue LocalQueue and Workload, from
``gpuforge.jobs.resources``). What it adds to kmock:

- HTTPS with a CA made at start (``k8s_tls``; the kubeconfig's
  ``certificate-authority-data``) and a bearer token: requests without the token the
  kubeconfig names get 401; kubectl and the official client both verify and send it;
- the API server's wire shapes (``k8s_serving``): discovery, ``/version``, list kinds,
  ``Status`` errors, Namespace objects, OpenAPI v3 and strict field checks;
- pod logs: ``set_log(namespace, pod, text)`` is what ``pods/<name>/log`` answers
  (kmock alone answers the Pod object);
- for an environment (``EmulatedKubernetes(spec=...)``): only the custom resources its
  controllers serve (``served_apis``; others answer 404), and admission of pods in its
  training namespace as EKS runs it (``k8s_admission``: LimitRange, ResourceQuota, Pod
  Security; ``warn`` as ``Warning`` headers);
- ``reject(predicate)``: refuse matching requests *before* anything is stored,
  as a real API server's admission does (a kmock reaction runs after the write);
- on create, the server's own ``metadata.uid`` and ``creationTimestamp`` (what
  ``gpuforge jobs`` reads a job's age from), set on the stored object: the request
  as sent stays as it was, in ``emulator._requests``.

What it does not do (kmock 0.8): no controllers (nothing creates a Job's pods or
events; a test or ``put`` does), no label or field selectors (filter on the
client), no server-side watch from the Python client, no garbage collection, no
server-filled resourceVersion, no protobuf bodies, no server-side printing (Table).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from gpuforge.emulator import k8s_serving
from gpuforge.emulator.k8s_admission_hook import (
    add_warnings,
    admit_request,
    refuse_unserved,
    store_admitted,
)
from gpuforge.emulator.k8s_tls import ServerTLS, write_private
from gpuforge.jobs import resources
from gpuforge.model.catalog import EKS_DEFAULT_VERSION

Predicate = Callable[[Any], bool]
"""A test on a kmock ``Request`` (attributes: method, action, resource, namespace,
name, subresource, data, headers)."""


def _emulator_class():
    import kmock

    from gpuforge.emulator.k8s_serving import KubernetesServing

    class _Emulator(KubernetesServing, kmock.KubernetesEmulator):
        """kmock's emulator with a token check, pod logs and admission-time rejections."""

        def configure(self, token: str) -> None:
            self.gpuforge_token = token
            self.gpuforge_logs: dict[tuple[str, str], str] = {}
            self.gpuforge_rejections: list[tuple[Predicate, Any]] = []
            self.gpuforge_namespaces: dict[str, Any] = {}  # admitted as EKS does (k8s_admission)

        async def _handle(self, request):
            import aiohttp.web

            auth = {k.lower(): v for k, v in request.headers.items()}.get("authorization")
            if auth != f"Bearer {self.gpuforge_token}":
                raise k8s_serving.unauthorized_error()
            for predicate, error in list(self.gpuforge_rejections):
                if predicate(request):
                    raise error
            res = request.resource
            if res is not None and res.plural == "pods" and request.subresource == "log":
                text = self.gpuforge_logs.get((request.namespace, request.name))
                if text is None and not any(
                    not o.deleted for o in self._pods(request.namespace, request.name)
                ):
                    raise k8s_serving.not_found_error("", "pods", request.name)
                return aiohttp.web.Response(text=text or "", content_type="text/plain")
            refuse_unserved(self, request)
            admitted, warnings = admit_request(self, request)
            if request.action == kmock.action.DELETE and request.name is not None:
                from gpuforge.emulator.controllers.garbage_collector import before_delete

                before_delete(self, request)  # propagationPolicy, which kmock ignores
            try:
                response = await super()._handle(request)
                store_admitted(self, request, admitted)
                add_warnings(response, warnings)
                return response
            finally:
                if request.action == kmock.action.CREATE and isinstance(request.data, dict):
                    self._server_set(request)

        def _server_set(self, request) -> None:
            """Give a newly stored object what the API server fills in on create."""
            meta = request.data.get("metadata") or {}
            key = (request.resource, request.namespace or meta.get("namespace"), meta.get("name"))
            if key not in self._objects:
                return
            stored = self._objects[key]
            if stored.deleted or stored.get("metadata", {}).get("uid"):
                return
            stored.patch({"metadata": k8s_serving.server_fields()})

        def _pods(self, namespace, name):
            return [
                obj
                for (res, ns, n), obj in self.objects.items()
                if res.plural == "pods" and ns == namespace and n == name
            ]

    return _Emulator


class EmulatedKubernetes:
    """A stateful Kubernetes API on 127.0.0.1, served from a daemon thread.

    :param port: TCP port (0: a free one).
    :param spec: an `EnvironmentSpec`: its training namespace is admitted as EKS admits it
        (`admit_namespace`), and only the custom resources its controllers serve are served.
    :param kubernetes_version: what `/version` and the OpenAPI say (`1.35`); by default
        the spec's `cluster.version`, else EKS's default.
    """

    def __init__(
        self, port: int = 0, spec: Any = None, kubernetes_version: str | None = None
    ) -> None:
        self.port = port
        self.spec = spec
        self.kubernetes_version = kubernetes_version or (
            spec.cluster.version if spec is not None else EKS_DEFAULT_VERSION
        )
        self.token = f"gpuforge-emulated-{secrets.token_hex(8)}"
        self.tls = ServerTLS.generate()
        self.url: str | None = None
        self._emulator: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------

    def __enter__(self) -> EmulatedKubernetes:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("EmulatedKubernetes already started")
        self._thread = threading.Thread(target=self._serve, name="emulated-k8s", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError(f"the emulated Kubernetes API did not start: {self._error}")
        if self.url is None:
            raise RuntimeError("the emulated Kubernetes API did not start within 30 s")
        if self.spec is not None:
            self.admit_namespace(self.spec)

    def stop(self) -> None:
        if self._thread is None:
            return
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._thread = None
        self.url = None

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        import kmock

        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        emulator = _emulator_class()()
        emulator.configure(self.token)
        emulator.configure_serving(self.kubernetes_version)
        declare_resources(emulator, self.spec)
        k8s_serving.seed_namespaces(emulator)
        server_cls = k8s_serving.tls_server_class(self.tls.ssl_context())
        async with (
            emulator,
            kmock.Server(
                emulator, host="127.0.0.1", port=self.port or None, server_cls=server_cls
            ) as srv,
        ):
            self._emulator = emulator
            self.url = str(srv.url).rstrip("/")
            emulator.server_address = f"127.0.0.1:{srv.port}"
            self._ready.set()
            await self._stop.wait()

    # -- access ------------------------------------------------------------------

    @property
    def emulator(self) -> Any:
        """The kmock emulator (for faults: ``api.emulator[criteria] << 500``)."""
        if self._emulator is None:
            raise RuntimeError("EmulatedKubernetes is not started")
        return self._emulator

    def call(self, fn: Callable[[], Any]) -> Any:
        """Run `fn` on the server's loop thread (safe against concurrent requests)."""
        assert self._loop is not None

        async def run():
            return fn()

        future: concurrent.futures.Future = asyncio.run_coroutine_threadsafe(run(), self._loop)
        return future.result(10)

    def put(self, obj: dict) -> None:
        """Store an object directly, as a controller would (no HTTP)."""
        resource = resources.for_kind(obj["apiVersion"], obj["kind"])
        key = (_kmock_resource(resource), obj["metadata"].get("namespace"), obj["metadata"]["name"])

        def store():
            objects = self.emulator.objects
            if key in objects and not objects[key].deleted:
                objects[key].patch(obj)
            elif key in objects:
                objects[key].create(k8s_serving.with_server_fields(obj))
            else:
                objects[key] = k8s_serving.with_server_fields(obj)

        self.call(store)

    def stored(self, resource: resources.Resource, namespace: str) -> list[dict]:
        """The live objects of one resource in one namespace, as stored."""

        def read():
            return [
                obj.raw
                for (res, ns, _), obj in self.emulator.objects.items()
                if (res.group or "", res.version, res.plural)
                == (resource.group, resource.version, resource.plural)
                and ns == namespace
                and not obj.deleted
            ]

        return self.call(read)

    def set_log(self, namespace: str, pod: str, text: str) -> None:
        """What `GET pods/<pod>/log` answers from now on."""
        self.call(lambda: self.emulator.gpuforge_logs.__setitem__((namespace, pod), text))

    def reject(self, predicate: Predicate, status: int = 500, message: str = "rejected") -> None:
        """Refuse requests matching `predicate` before anything is stored."""
        import kmock

        error = kmock.KubernetesError(status=status, reason="Rejected", message=message)
        self.call(lambda: self.emulator.gpuforge_rejections.append((predicate, error)))

    def admit_namespace(self, spec: Any) -> None:
        """Admit pods in `spec`'s training namespace (each team's, with teams) as EKS does:
        the LimitRange, ResourceQuota and Pod Security labels the runtime declares
        (`gpuforge.emulator.k8s_admission`); and store the data claims the runtime
        declares there (`gpuforge.model.data_volumes`), bound, for the scheduler to find."""
        from gpuforge.emulator.k8s_admission import team_namespace_objects
        from gpuforge.model import data_volumes

        for declared in team_namespace_objects(spec):
            self.call(lambda d=declared: self.emulator.gpuforge_namespaces.__setitem__(d.name, d))
        for fs, access in data_volumes.volumes(spec):
            claim = data_volumes.persistent_volume_claim(spec, fs, access)
            self.put({**claim, "status": {"phase": "Bound", **_claim_capacity(claim)}})

    # -- kubeconfig ----------------------------------------------------------------

    def kubeconfig(self, context: str = "gpuforge-emulated") -> dict:
        """A kubeconfig for this API (its token is a random placeholder, not a credential)."""
        if self.url is None:
            raise RuntimeError("EmulatedKubernetes is not started")
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": context,
                    "cluster": {"server": self.url, "certificate-authority-data": self.tls.ca_data},
                }
            ],
            "users": [{"name": context, "user": {"token": self.token}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
            "current-context": context,
        }

    def write_kubeconfig(self, path: str | Path, context: str = "gpuforge-emulated") -> Path:
        """Write the kubeconfig, created mode 0600 and never through a symbolic link
        (ValueError), and return its path."""
        path = Path(path)
        write_private(path, yaml.safe_dump(self.kubeconfig(context), sort_keys=False))
        return path


def _claim_capacity(claim: dict) -> dict:
    """A bound claim's status fields beside its phase (its PV's modes and capacity)."""
    spec = claim["spec"]
    return {"accessModes": spec["accessModes"], "capacity": spec["resources"]["requests"]}


def _kmock_resource(resource: resources.Resource) -> Any:
    import kmock

    return kmock.resource(resource.group, resource.version, resource.plural)


def declare_resources(emulator: Any, spec: Any = None) -> None:
    """Declare the built-in resources and the custom resources `spec`'s cluster serves
    (`served_apis.served_resources`; with no spec, those of every controller gpuforge knows)."""
    import kmock

    from gpuforge.model import served_apis

    emulator.resources.load_bundled()
    k8s_serving.drop_absent_groups(emulator.resources)
    served = served_apis.served_resources(spec) if spec is not None else None
    for resource in served if served is not None else served_apis.all_custom_resources():
        key = f"{resource.api_version}/{resource.plural}"
        emulator.resources[key] = kmock.ResourceInfo(
            kind=resource.kind,
            namespaced=resource.namespaced,
            verbs={"create", "get", "list", "delete", "patch"},
            subresources={"status"},
        )
    emulator.gpuforge_served = {(r.group or "", r.version, r.plural) for r in emulator.resources}
