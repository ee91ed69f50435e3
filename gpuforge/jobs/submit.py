"""Send a checked, rendered job to its cluster: create its objects or none, then follow it.

`submit(fit, manifests)` sends the manifests exactly as rendered (what `launch
--dry-run` prints), in order, to the namespace of the `Fit`'s environment. If
the API refuses one, the ones already created are deleted again: nothing is left
half-launched. Once the primary object exists, the job's other objects (the headless
Service) get an ownerReference to it, so they go with it. `follow` polls the job until
it ends (`launch --wait`).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from gpuforge.jobs import job_status, resources
from gpuforge.jobs.fit import Fit
from gpuforge.jobs.gang_words import gang_words
from gpuforge.jobs.job_errors import (
    Interrupted,
    JobExists,
    JobFailed,
    JobNotFound,
    LaunchRejected,
)
from gpuforge.jobs.job_objects import delete_job, is_ours, job_objects
from gpuforge.jobs.kube_client import ClaimedElsewhere, Kube, KubeError, connect
from gpuforge.jobs.kube_errors import Conflict

POLL_S = 5.0
"""Seconds between polls while following a job (the emulated API cannot watch)."""

Say = Callable[[str], None]


def say_on_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def submit(
    fit: Fit,
    manifests: list[dict],
    *,
    replace: bool = False,
    wait: bool = False,
    kubeconfig: str | None = None,
    context: str | None = None,
    say: Say = say_on_stderr,
    poll_s: float = POLL_S,
    on_name_free: Callable[[], None] | None = None,
) -> str:
    """Create the job's objects in order and return its state (its final one with `wait`).

    `on_name_free` runs once the job's objects are created (the name was free, or
    replaced): the CLI prints its summary there, so a refused name prints only the error.

    Refuses a name that is taken (`JobExists`) unless `replace`, and only for gpuforge's
    own job of that name: then the old job is deleted first. If the API rejects an
    object, the ones already created are deleted again (`LaunchRejected`).
    """
    kube = connect(fit.env, kubeconfig, context)
    name, namespace = fit.name, fit.namespace

    # No read before the creates: a taken name answers the first create with 409, and
    # only then are the names looked up (2 round trips fewer on every launch, issue 23).
    try:
        _create_all(kube, namespace, name, manifests, say)
    except _NameTaken:
        taken = _existing(kube, manifests, namespace)
        if not taken:  # gone in between (a cancel, a TTL): the name is free now
            _create_all(kube, namespace, name, manifests, say)
        else:
            foreign = any(not is_ours(o, name) for o in taken)
            if foreign or not replace:
                what = [f"{o['kind']}/{o['metadata']['name']}" for o in taken]
                raise JobExists(name, namespace, what, foreign) from None
            say(f"replacing job {name}: deleting the old one")
            delete_job(kube, namespace, name, wait_gone=True)
            _create_all(kube, namespace, name, manifests, say)
    if on_name_free is not None:
        on_name_free()
    say(
        f"launched {name}: {gang_words(fit.nodes, fit.gpus_per_node)} on pool {fit.pool.name} "
        f"({fit.backend}, namespace {namespace})"
    )
    if not wait:
        return job_status.PENDING
    return follow(kube, namespace, name, say=say, poll_s=poll_s)


class _NameTaken(Exception):
    """A create found its name taken; what was created before it is rolled back."""


def _create_all(kube: Kube, namespace: str, name: str, manifests: list[dict], say: Say) -> None:
    """Create the objects in order, then own the others by the primary; all or none."""
    created: list[tuple[resources.Resource, str]] = []
    stored: list[dict] = []
    try:
        for obj in manifests:
            resource = resources.for_kind(obj["apiVersion"], obj["kind"])
            stored.append(kube.create(resource, namespace, obj))
            created.append((resource, obj["metadata"]["name"]))
            for warning in kube.take_warnings():
                say(f"warning: {obj['kind']}/{obj['metadata']['name']}: {warning}")
        _owned_by_primary(kube, namespace, manifests, stored)
    except Conflict as exc:
        if isinstance(exc, ClaimedElsewhere):  # not a taken name: a launch that lost a race
            left = _roll_back(kube, namespace, created)
            raise LaunchRejected(
                name, f"{obj['kind']}/{obj['metadata']['name']}", exc.message, left
            ) from None
        left = _roll_back(kube, namespace, created)
        if left:
            at = f"{obj['kind']}/{obj['metadata']['name']}"
            raise LaunchRejected(name, at, "the name is taken", left) from None
        raise _NameTaken from None
    except BaseException as exc:
        left = _roll_back(kube, namespace, created)
        at = f"{obj['kind']}/{obj['metadata']['name']}"
        if isinstance(exc, (KubeError, KeyboardInterrupt)):
            why = exc.message if isinstance(exc, KubeError) else "interrupted"
            raise LaunchRejected(name, at, why, left) from None
        raise


def _owned_by_primary(
    kube: Kube, namespace: str, manifests: list[dict], stored: list[dict]
) -> None:
    """Give every other object of the job an ownerReference to its primary object.

    The garbage collector then deletes them with it (after its TTL, or a delete that
    names only the primary), so nothing of the job outlives it and blocks a relaunch of
    the same name. A reference needs the primary's uid, which exists only once it is
    created: the objects are created in the dry run's order and patched after.
    """
    kinds = {(r.api_version, r.kind) for r in resources.PRIMARY}
    at = [i for i, m in enumerate(manifests) if (m["apiVersion"], m["kind"]) in kinds]
    if not at:
        return
    primary = manifests[at[-1]]
    name = primary["metadata"]["name"]
    uid = (stored[at[-1]].get("metadata") or {}).get("uid")
    if not uid:
        live = kube.get(resources.for_kind(primary["apiVersion"], primary["kind"]), namespace, name)
        uid = ((live or {}).get("metadata") or {}).get("uid")
    if not uid:
        return
    ref = {"apiVersion": primary["apiVersion"], "kind": primary["kind"], "name": name, "uid": uid}
    for i, obj in enumerate(manifests):
        if i == at[-1]:
            continue
        resource = resources.for_kind(obj["apiVersion"], obj["kind"])
        refs = (obj["metadata"].get("ownerReferences") or []) + [ref]
        kube.patch(
            resource, namespace, obj["metadata"]["name"], {"metadata": {"ownerReferences": refs}}
        )


def _existing(kube: Kube, objects: list[dict], namespace: str) -> list[dict]:
    found = []
    for obj in objects:
        resource = resources.for_kind(obj["apiVersion"], obj["kind"])
        live = kube.get(resource, namespace, obj["metadata"]["name"])
        if live is not None:
            live.setdefault("kind", obj["kind"])
            found.append(live)
    return found


def _roll_back(
    kube: Kube, namespace: str, created: list[tuple[resources.Resource, str]]
) -> list[str]:
    """Delete what a failed launch created, newest first; returns what could not be."""
    left = []
    for resource, name in reversed(created):
        try:
            kube.delete(resource, namespace, name)
        except KubeError:
            left.append(f"{resource.kind}/{name}")
    return left


def follow(
    kube: Kube, namespace: str, name: str, *, say: Say = say_on_stderr, poll_s: float = POLL_S
) -> str:
    """Poll the job until it ends; say each change. Failed raises `JobFailed`."""
    last = None
    try:
        while True:
            primary, pods = job_objects(kube, namespace, name)
            if primary is None:
                raise JobNotFound(name, namespace, gone=True)
            now = job_status.job_state(primary, pods)
            if now != last:
                say(f"{name}: {now}")
                last = now
            if now == job_status.SUCCEEDED:
                return now
            if now == job_status.FAILED:
                why = job_status.explain(primary, pods, [], [])
                raise JobFailed(name, why.text.removeprefix("failed: ") if why else None)
            time.sleep(poll_s)
    except KeyboardInterrupt:
        raise Interrupted(name, following="status") from None
