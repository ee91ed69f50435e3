"""Job backends, by name: each turns a checked job (a `Fit`) into Kubernetes objects.

A backend is a module `gpuforge/jobs/backends/<name with _>.py` with a module-level
`BACKEND` object that has

- `name`: the value of the job spec's `backend:`;
- `primary`: the `Resource` (from `gpuforge.jobs.resources`) whose object's status is
  the job's status;
- `priority_settable`: whether it can give pods a PriorityClass;
- `render(fit) -> list[dict]`: the objects to create, in creation order (pure).

Modules are found from the names in `gpuforge.jobs.spec.BACKENDS` without importing
them (as torchx lists its schedulers). So a new backend is its module, its name
in `BACKENDS`, and, when its primary kind is new, that kind in
`gpuforge.jobs.resources` (`PRIMARY` and `OWNED`, which reading and cancelling jobs
go over).
"""

from __future__ import annotations

import importlib
from typing import Protocol

from gpuforge.jobs import launch_annotations
from gpuforge.jobs.fit import Fit
from gpuforge.jobs.resources import Resource
from gpuforge.jobs.spec import BACKENDS

BACKEND_MODULES = {name: f"{__name__}.{name.replace('-', '_')}" for name in BACKENDS}


class Backend(Protocol):
    name: str
    primary: Resource
    priority_settable: bool

    def render(self, fit: Fit) -> list[dict]: ...


def get(name: str) -> Backend:
    """The backend registered as `name` (a `KeyError` for an unknown one)."""
    return importlib.import_module(BACKEND_MODULES[name]).BACKEND


def names() -> list[str]:
    return list(BACKEND_MODULES)


def render(fit: Fit) -> list[dict]:
    """The job's manifests from its backend, each with the launch id: what `launch` sends
    and `launch --dry-run` prints."""
    return launch_annotations.with_launch_id(get(fit.backend).render(fit))
