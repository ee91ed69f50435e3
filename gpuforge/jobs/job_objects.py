"""A job on a cluster is the objects that carry its label: find them, and delete them.

A job is the set of objects labelled `gpuforge.dev/job=<name>` and
`app.kubernetes.io/managed-by=gpuforge` in the environment's training namespace;
its status is its backend's primary object (`resources.PRIMARY`). Labels are
filtered here as well as sent, because the emulated API ignores selectors.
"""

from __future__ import annotations

import time

from gpuforge.jobs import resources
from gpuforge.jobs.job_errors import StillDeleting
from gpuforge.jobs.kube_client import Kube, matches
from gpuforge.model.names import JOB_LABEL, MANAGED_LABELS

JOB_SELECTOR = dict(MANAGED_LABELS)
DELETE_WAIT_S = 120.0


def selector(name: str) -> dict[str, str]:
    """The labels every object of job `name` carries."""
    return {**JOB_SELECTOR, JOB_LABEL: name}


def is_ours(obj: dict, name: str) -> bool:
    """Whether `obj` is an object of gpuforge's job `name`."""
    return matches(obj, selector(name))


def primaries(kube: Kube, namespace: str, name: str | None = None) -> list[dict]:
    """The primary object of every job (or of job `name`), not those a controller owns."""
    found = []
    for resource in resources.PRIMARY:
        for obj in kube.list(resource, namespace, selector(name) if name else JOB_SELECTOR):
            meta = obj.get("metadata", {})
            job = (meta.get("labels") or {}).get(JOB_LABEL)
            owned = any(ref.get("controller") for ref in meta.get("ownerReferences") or [])
            if job and meta.get("name") == job and not owned:
                found.append(obj)
    return found


def pods_by_job(kube: Kube, namespace: str) -> dict[str, list[dict]]:
    pods: dict[str, list[dict]] = {}
    for pod in kube.list(resources.POD, namespace, JOB_SELECTOR):
        job = pod["metadata"]["labels"].get(JOB_LABEL)
        if job:
            pods.setdefault(job, []).append(pod)
    return pods


def job_objects(kube: Kube, namespace: str, name: str) -> tuple[dict | None, list[dict]]:
    """Job `name`'s primary object (None when there is no such job) and its pods."""
    found = primaries(kube, namespace, name)
    if not found:
        return None, []
    return found[0], kube.list(resources.POD, namespace, selector(name))


def delete_job(kube: Kube, namespace: str, name: str, wait_gone: bool = False) -> list[str]:
    """Delete every object of job `name`; returns what was deleted (`Kind/name`).

    With `wait_gone`, wait until they are gone (pods aside: an old job's pods may take
    their grace period), up to `DELETE_WAIT_S`.
    """
    deleted: list[tuple[resources.Resource, str]] = []
    for resource in resources.OWNED:
        for obj in kube.list(resource, namespace, selector(name)):
            if kube.delete(resource, namespace, obj["metadata"]["name"]):
                deleted.append((resource, obj["metadata"]["name"]))
    if wait_gone:
        deadline = time.monotonic() + DELETE_WAIT_S
        for resource, obj_name in deleted:
            if resource is resources.POD:
                continue
            while kube.get(resource, namespace, obj_name) is not None:
                if time.monotonic() > deadline:
                    raise StillDeleting(name, f"{resource.kind}/{obj_name}")
                time.sleep(1.0)
    return [f"{r.kind}/{n}" for r, n in deleted]
