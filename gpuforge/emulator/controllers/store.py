"""What every emulated controller reads and writes: the emulated API's objects.

Reads and status writes go straight to kmock's store on the server's loop thread
(`EmulatedKubernetes.call`), as a controller's informer cache and status updates
would. Creates go over HTTP through the API server (`create`), so the admission the
emulated API runs (LimitRange, ResourceQuota, Pod Security) applies to what a
controller creates exactly as it does to what a user sends. Deletes go through the
garbage collector's propagation (`garbage_collector.delete`).

State is keyed by `metadata.uid`, never by name: a name reused after a delete is a
new object (a new uid), handled like any new one.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from gpuforge.emulator.k8s_serving import timestamp
from gpuforge.jobs import resources
from gpuforge.jobs.resources import Resource

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def same_resource(kmock_resource: Any, resource: Resource) -> bool:
    return (kmock_resource.group or "", kmock_resource.version, kmock_resource.plural) == (
        resource.group,
        resource.version,
        resource.plural,
    )


def owner_reference(owner: dict, *, controller: bool = True) -> dict:
    """An ownerReference to `owner` as a controller writes it (`metav1.NewControllerRef`:
    controller and blockOwnerDeletion true)."""
    meta = owner["metadata"]
    ref = {
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": meta["name"],
        "uid": meta["uid"],
    }
    if controller:
        ref.update({"controller": True, "blockOwnerDeletion": True})
    return ref


def controller_uid(obj: dict) -> str | None:
    """The uid of the object's controller (its ownerReference with `controller: true`)."""
    for ref in obj.get("metadata", {}).get("ownerReferences") or []:
        if ref.get("controller"):
            return ref.get("uid")
    return None


def condition(obj: dict, kind: str) -> dict | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return cond
    return None


def is_true(obj: dict, kind: str) -> bool:
    return (condition(obj, kind) or {}).get("status") == "True"


def set_condition(conditions: list[dict], new: dict) -> list[dict]:
    """`apimeta.SetStatusCondition`: replace the condition of that type, keep the others."""
    return [c for c in conditions if c.get("type") != new["type"]] + [new]


class Store:
    """The emulated API's objects, for the controllers (see the module docstring)."""

    def __init__(self, api: Any, clock: Clock = utc_now) -> None:
        self.api = api
        self.clock = clock
        self._kube: Any = None

    # -- reads ---------------------------------------------------------------------

    def list(self, resource: Resource, namespace: str | None = None) -> list[dict]:
        """Live objects of `resource` (in `namespace`, or everywhere), as copies."""

        def read() -> list[dict]:
            return [
                copy.deepcopy(obj.raw)
                for (res, ns, _), obj in list(self.api.emulator.objects.items())
                if same_resource(res, resource)
                and not obj.deleted
                and (namespace is None or ns == namespace)
            ]

        found = self.call(read)
        for obj in found:
            obj.setdefault("apiVersion", resource.api_version)
            obj.setdefault("kind", resource.kind)
        return found

    def get(self, resource: Resource, namespace: str | None, name: str) -> dict | None:
        for obj in self.list(resource, namespace):
            if obj["metadata"]["name"] == name:
                return obj
        return None

    def uid(self, resource: Resource, obj: dict) -> str:
        """The object's uid; one is given now to an object stored without the API
        server (a test's `api.put`), as the server gives every object one."""
        meta = obj["metadata"]
        if not meta.get("uid"):
            meta["uid"] = str(uuid.uuid4())
            self.patch(
                resource, meta.get("namespace"), meta["name"], {"metadata": {"uid": meta["uid"]}}
            )
        return meta["uid"]

    # -- writes --------------------------------------------------------------------

    def patch(self, resource: Resource, namespace: str | None, name: str, changes: dict) -> None:
        """Merge `changes` into the stored object (a controller's update or status write)."""

        def write() -> None:
            for (res, ns, n), obj in self.api.emulator.objects.items():
                if same_resource(res, resource) and ns == namespace and n == name:
                    if not obj.deleted:
                        obj.patch(changes)
                    return

        self.call(write)

    def create(self, obj: dict) -> dict:
        """Create `obj` through the API server (so its admission applies); the stored object."""
        resource = resources.for_kind(obj["apiVersion"], obj["kind"])
        namespace, name = obj["metadata"].get("namespace"), obj["metadata"]["name"]
        answered = self.kube().create(resource, namespace, obj)
        return self.get(resource, namespace, name) or answered

    def event(self, involved: dict, reason: str, message: str, kind: str = "Normal") -> None:
        """Record an Event about `involved`, as a controller's event recorder does."""
        meta = involved["metadata"]
        namespace = meta.get("namespace") or "default"
        now = timestamp(self.clock())
        name = f"{meta['name']}.{uuid.uuid4().hex[:16]}"
        self.create(
            {
                "apiVersion": resources.EVENT.api_version,
                "kind": resources.EVENT.kind,
                "metadata": {"name": name, "namespace": namespace},
                "involvedObject": {
                    "apiVersion": involved.get("apiVersion"),
                    "kind": involved.get("kind"),
                    "name": meta["name"],
                    "namespace": namespace,
                    "uid": meta.get("uid"),
                },
                "reason": reason,
                "message": message,
                "type": kind,
                "firstTimestamp": now,
                "lastTimestamp": now,
                "count": 1,
            }
        )

    # -- plumbing ------------------------------------------------------------------

    def call(self, fn: Callable[[], Any]) -> Any:
        return self.api.call(fn)

    def kube(self) -> Any:
        """A client of the emulated API server, as a controller's own credentials."""
        if self._kube is None:
            from kubernetes import config

            from gpuforge.jobs.kube_client import Kube

            api_client = config.new_client_from_config_dict(self.api.kubeconfig())
            self._kube = Kube(api_client, self.api.url)
        return self._kube
