"""Job tests: write job files, load environments, and an emulated Kubernetes API.

One API server serves the whole session; each cluster test gets its own namespace
(and so its own environment spec), so tests never see each other's objects. The
tests play the controllers kmock lacks: they create pods and events with `api.put`.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
import yaml

from gpuforge.jobs import kube_client
from gpuforge.jobs.job_objects import selector
from gpuforge.jobs.spec import JobSpec
from gpuforge.model.loader import load_spec
from tests.conftest import ROOT

EXAMPLES = ROOT / "examples" / "jobs"
# example file -> the environment it is written for
EXAMPLE_ENVS = {
    "single-node.yaml": "dev",
    "llama-2x8-h100.yaml": "prod",
    "a100-jobset.yaml": "staging",
    "l40s-trainjob.yaml": "prod",
    "tiny-gpt.yaml": "dev",
}


def env_spec(name: str):
    return load_spec(ROOT / "stacks" / f"{name}.yaml")


def offering(env, backend: str):
    """`env` with `backend` among the backends it offers (`training.backends`)."""
    if backend in env.training.backends:
        return env
    training = env.training.model_copy(update={"backends": [*env.training.backends, backend]})
    return env.model_copy(update={"training": training})


BASE_JOB = {
    "name": "demo",
    "image": "pytorch/pytorch:2.13.0",
    "pool": "h100",
    "nodes": 2,
    "command": ["train.py", "--epochs", "3"],
    "checkpoint": {"uri": "s3://{checkpoints}/demo"},
}


@pytest.fixture
def write_job(tmp_path):
    """Write a job mapping (or raw text) to a file and return its path."""

    def write(data: dict | str, name: str = "job.yaml") -> Path:
        path = tmp_path / name
        path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False))
        return path

    return write


_ns = itertools.count()


@pytest.fixture(scope="session")
def api():
    from gpuforge.emulator.kubernetes import EmulatedKubernetes

    with EmulatedKubernetes() as server:
        yield server


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Retries sleep into this list instead of the clock."""
    slept: list[float] = []
    monkeypatch.setattr(kube_client, "DEFAULT_RETRY", kube_client.RetryPolicy(sleep=slept.append))
    return slept


@pytest.fixture
def namespace(api) -> str:
    api.call(lambda: api.emulator.gpuforge_rejections.clear())
    return f"t{next(_ns)}"


@pytest.fixture
def env(namespace):
    """stacks/prod.yaml with this test's namespace."""
    from gpuforge.model.loader import load_env

    _, spec = load_env(str(ROOT / "stacks" / "prod.yaml"))
    return spec.model_copy(
        update={"training": spec.training.model_copy(update={"namespace": namespace})}
    )


@pytest.fixture
def env_file(tmp_path, namespace) -> str:
    """The same environment as a spec file, for the CLI."""
    doc = yaml.safe_load((ROOT / "stacks" / "prod.yaml").read_text())
    doc["training"]["namespace"] = namespace
    path = tmp_path / "prod.yaml"
    path.write_text(yaml.safe_dump(doc))
    return str(path)


@pytest.fixture
def kubeconfig(api, tmp_path) -> str:
    return str(api.write_kubeconfig(tmp_path / "kubeconfig"))


def job_spec(name="llama", nodes=2, pool="h100") -> JobSpec:
    """A real job: `nodes` whole nodes of `pool` (8 H100s each on prod's h100)."""
    return JobSpec.model_validate(
        {
            "name": name,
            "image": "pytorch/pytorch:2.13.0",
            "pool": pool,
            "nodes": nodes,
            "command": ["train.py"],
        }
    )


def unqueued(env):
    """`env` submitting jobs directly (training.queueing: none): the Job is not created
    suspended, so a test can play the Job controller without playing Kueue first."""
    return env.model_copy(update={"training": env.training.model_copy(update={"queueing": "none"})})


def labels(name: str) -> dict:
    return {**selector(name), "app.kubernetes.io/name": name}


def pod(job: str, namespace: str, rank: int, phase="Running", restarts=0, **status) -> dict:
    """A pod as the Job controller makes it (and the kubelet reports it)."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{job}-{rank}-abcde",
            "namespace": namespace,
            "labels": {**labels(job), "batch.kubernetes.io/job-completion-index": str(rank)},
        },
        "spec": {"nodeName": f"ip-10-0-0-{rank}" if phase != "Pending" else None},
        "status": {
            "phase": phase,
            "containerStatuses": [{"name": "trainer", "restartCount": restarts}],
            **status,
        },
    }


def event(namespace: str, obj: str, reason: str, message: str, when: str, kind="Pod") -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{obj}.{reason}.{when}", "namespace": namespace},
        "involvedObject": {"kind": kind, "name": obj, "namespace": namespace},
        "reason": reason,
        "message": message,
        "type": "Warning" if reason.startswith(("Failed", "Not")) else "Normal",
        "lastTimestamp": when,
    }


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path
