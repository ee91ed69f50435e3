"""Job backends, by name: each turns a checked job into Kubernetes objects, in its own shape.

A backend is one module with a module-level `BACKEND` object that has

- `name`: the value of the job spec's `backend:`;
- `primary`: `(api_version, kind, plural)` of the object whose status is the job's status;
- `priority_settable`: whether it can give pods a PriorityClass;
- `render(job, env) -> list[dict]`: the objects to create, in creation order (pure).

The table below lists them without importing them (as torchx lists its schedulers),
so a new backend is one module and one line.
"""

from __future__ import annotations

import importlib
from typing import Protocol

from gpuforge.jobs.spec import JobSpec
from gpuforge.model.spec import EnvironmentSpec

BACKEND_MODULES = {
    "indexed-job": "gpuforge.jobs.backends.indexed_job",
    "jobset": "gpuforge.jobs.backends.jobset",
    "trainjob": "gpuforge.jobs.backends.trainjob",
}


class Backend(Protocol):
    name: str
    primary: tuple[str, str, str]
    priority_settable: bool

    def render(self, job: JobSpec, env: EnvironmentSpec) -> list[dict]: ...


def get(name: str) -> Backend:
    """The backend registered as `name` (a `KeyError` for an unknown one)."""
    return importlib.import_module(BACKEND_MODULES[name]).BACKEND


def names() -> list[str]:
    return list(BACKEND_MODULES)
