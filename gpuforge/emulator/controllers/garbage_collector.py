"""The garbage collector: dependents go with their owner, by `ownerReferences` and uid.

kmock deletes only the object named in a DELETE and ignores `propagationPolicy`, so a
Job's pods and a JobSet's Jobs would outlive them. This module does what
kube-controller-manager's garbage collector and the API server's delete do together
(kubernetes/kubernetes@0370912 `pkg/controller/garbagecollector/garbagecollector.go`
`attemptToDeleteItem`, and `staging/src/k8s.io/apiserver/pkg/registry/generic/registry/store.go`
`Delete`/`updateForGracefulDeletionAndFinalizers`):

- **Background**: the owner goes at once; the collector then deletes every object none
  of whose owners (by uid) exists any more, in the background too unless that object
  carries the `foregroundDeletion` or `orphan` finalizer.
- **Foreground**: the owner gets `deletionTimestamp` and the `foregroundDeletion`
  finalizer and stays visible; its dependents are deleted (in the foreground
  themselves), and the owner goes once no dependent with `blockOwnerDeletion: true`
  is left.
- **Orphan**: the dependents lose their ownerReference to the owner and stay.

With no policy in the request the default is Background, except for `batch/v1` Jobs,
whose registry keeps the old default, Orphan (`pkg/registry/batch/job/strategy.go`
`DefaultGarbageCollectionPolicy`; kubectl and gpuforge always send a policy).

`before_delete` runs in the emulated API server before kmock stores a DELETE;
`GarbageCollector.step` is the collector's pass.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gpuforge.emulator.controllers.store import Store, same_resource, timestamp
from gpuforge.jobs import resources
from gpuforge.jobs.resources import Resource

FOREGROUND = "Foreground"
BACKGROUND = "Background"
ORPHAN = "Orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"
ORPHAN_FINALIZER = "orphan"


def requested_policy(request: Any) -> str:
    """The propagation policy of a DELETE request (body DeleteOptions, or the query)."""
    body = request.data if isinstance(request.data, dict) else {}
    policy = body.get("propagationPolicy") or (request.params or {}).get("propagationPolicy")
    if policy:
        return str(policy)
    orphan = body.get("orphanDependents", (request.params or {}).get("orphanDependents"))
    if orphan in (True, "true"):
        return ORPHAN
    if orphan in (False, "false"):
        return BACKGROUND
    res = request.resource
    if res is not None and same_resource(res, resources.BATCH_JOB):
        return ORPHAN
    return BACKGROUND


def before_delete(emulator: Any, request: Any) -> None:
    """Apply a DELETE's propagation policy to the stored objects before kmock deletes.

    Foreground: the `foregroundDeletion` finalizer, so kmock keeps the object and sets
    its `deletionTimestamp` (what the API server does); Orphan: the dependents let go.
    """
    key = (request.resource, request.namespace, request.name)
    if key not in emulator.objects:
        return
    stored = emulator.objects[key]
    if stored.deleted:
        return
    policy = requested_policy(request)
    meta = stored.get("metadata") or {}
    if policy == FOREGROUND:
        finalizers = list(meta.get("finalizers") or [])
        if FOREGROUND_FINALIZER not in finalizers:
            stored.patch({"metadata": {"finalizers": [*finalizers, FOREGROUND_FINALIZER]}})
    elif policy == ORPHAN and meta.get("uid"):
        _orphan_dependents(emulator, meta["uid"])


def delete(store: Store, resource: Resource, namespace: str | None, name: str, policy: str) -> None:
    """A controller's delete with `policy` (Foreground, Background or Orphan)."""
    now = store.clock()
    store.call(lambda: delete_stored(store.api.emulator, resource, namespace, name, policy, now))


def delete_stored(
    emulator: Any, resource: Resource, namespace: str | None, name: str, policy: str, now: datetime
) -> None:
    """A controller's delete with `policy`, on the server's loop thread."""
    for (res, ns, n), obj in list(emulator.objects.items()):
        if same_resource(res, resource) and ns == namespace and n == name and not obj.deleted:
            _delete(emulator, obj, policy, now)
            return


def _delete(emulator: Any, obj: Any, policy: str, now: datetime) -> None:
    meta = obj.get("metadata") or {}
    if policy == FOREGROUND:
        finalizers = list(meta.get("finalizers") or [])
        if FOREGROUND_FINALIZER not in finalizers:
            finalizers.append(FOREGROUND_FINALIZER)
        patch = {"finalizers": finalizers}
        if not meta.get("deletionTimestamp"):
            patch["deletionTimestamp"] = timestamp(now)
        obj.patch({"metadata": patch})
        return
    if policy == ORPHAN and meta.get("uid"):
        _orphan_dependents(emulator, meta["uid"])
    if meta.get("finalizers"):
        if not meta.get("deletionTimestamp"):
            obj.patch({"metadata": {"deletionTimestamp": timestamp(now)}})
        return
    obj.delete()


def _orphan_dependents(emulator: Any, uid: str) -> None:
    for obj in list(emulator.objects.values()):
        if obj.deleted:
            continue
        refs = (obj.get("metadata") or {}).get("ownerReferences") or []
        kept = [r for r in refs if r.get("uid") != uid]
        if len(kept) != len(refs):
            obj.patch({"metadata": {"ownerReferences": kept or None}})


class GarbageCollector:
    """Deletes dependents whose owners are gone, and finishes foreground deletions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def step(self) -> int:
        """One pass; how many objects it deleted or released."""
        now = self.store.clock()
        return self.store.call(lambda: self._pass(self.store.api.emulator, now))

    def _pass(self, emulator: Any, now: datetime) -> int:
        acted = 0
        live = [obj for obj in list(emulator.objects.values()) if not obj.deleted]
        by_uid = {
            (obj.get("metadata") or {}).get("uid"): obj
            for obj in live
            if (obj.get("metadata") or {}).get("uid")
        }
        dependents: dict[str, list[Any]] = {}
        for obj in live:
            for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
                if ref.get("uid"):
                    dependents.setdefault(ref["uid"], []).append(obj)

        for uid, owner in by_uid.items():
            meta = owner.get("metadata") or {}
            if not meta.get("deletionTimestamp"):
                continue
            finalizers = list(meta.get("finalizers") or [])
            if FOREGROUND_FINALIZER not in finalizers:
                continue
            blocking = []
            for dep in dependents.get(uid, []):
                if dep.deleted:
                    continue
                if not (dep.get("metadata") or {}).get("deletionTimestamp"):
                    has_own = (dep.get("metadata") or {}).get("uid") in dependents
                    _delete(emulator, dep, FOREGROUND if has_own else BACKGROUND, now)
                    acted += 1
                refs = (
                    (dep.get("metadata") or {}).get("ownerReferences") or []
                    if not dep.deleted
                    else []
                )
                if any(r.get("uid") == uid and r.get("blockOwnerDeletion") for r in refs):
                    blocking.append(dep)
            if not blocking:
                finalizers.remove(FOREGROUND_FINALIZER)
                if finalizers:
                    owner.patch({"metadata": {"finalizers": finalizers}})
                else:
                    owner.delete()
                acted += 1

        for obj in live:
            if obj.deleted:
                continue
            meta = obj.get("metadata") or {}
            refs = [r for r in meta.get("ownerReferences") or [] if r.get("uid")]
            if meta.get("deletionTimestamp"):
                if not meta.get("finalizers"):
                    obj.delete()
                    acted += 1
                continue
            if refs and not any(r["uid"] in by_uid and not by_uid[r["uid"]].deleted for r in refs):
                finalizers = meta.get("finalizers") or []
                policy = FOREGROUND if FOREGROUND_FINALIZER in finalizers else BACKGROUND
                if ORPHAN_FINALIZER in finalizers:
                    policy = ORPHAN
                _delete(emulator, obj, policy, now)
                acted += 1
        return acted
