# ruff: noqa: F811  (the emulated cluster's fixtures, imported from test_controllers)
"""The gang restarts together in the emulated cluster, whoever is lost, rank 0 included.

What each backend renders is launched into the emulated API; its controllers (Job,
JobSet, Trainer) play the upstream semantics gpuforge relies on. A pod's loss is played
as the cluster records it: evicted or preempted, the pod is Failed with a
`DisruptionTarget` condition; the other ranks' torchrun agents then exit 1
(tests/jobs/test_gang_torchrun.py shows that with real torchrun: rank 0's loss takes the
c10d store, another's loss fails rank 0's collectives and the pods restart nothing).
"""

from __future__ import annotations

import re

import pytest

from gpuforge.jobs import backends, resources
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import gang_timeouts, kueue, names
from tests.emulator.test_controllers import (  # noqa: F401 (fixtures)
    api,
    clock,
    ctl,
    env,
    get,
    namespace,
    set_phase,
)
from tests.jobs.conftest import BASE_JOB
from tests.jobs.test_manifests import fitted

MAX_RESTARTS = 2
INDEX = "batch.kubernetes.io/job-completion-index"
EVICTED = [{"type": "DisruptionTarget", "status": "True", "reason": "EvictionByEvictionAPI"}]


def launch(ctl, env, backend: str) -> JobSpec:
    job = JobSpec.model_validate({**BASE_JOB, "backend": backend, "max_restarts": MAX_RESTARTS})
    for obj in backends.render(fitted(job, env)):
        ctl.store.create(obj)
    ctl.settle(rounds=60)
    return job


def gang(api, namespace) -> dict[int, dict]:
    """The job's live pods by rank."""
    live = [
        p
        for p in api.stored(resources.POD, namespace)
        if (p["metadata"].get("labels") or {}).get(names.JOB_LABEL) == "demo"
        and (p.get("status") or {}).get("phase") not in ("Failed", "Succeeded")
    ]
    out = {int(p["metadata"]["labels"][INDEX]): p for p in live}
    assert len(out) == len(live), "two live pods of one rank"
    return out


def lose(api, ctl, namespace, rank: int) -> None:
    """`rank`'s pod is evicted; every other rank's torchrun agent then exits 1."""
    pods = gang(api, namespace)
    set_phase(api, pods[rank], "Failed", conditions=EVICTED)
    for other, pod in pods.items():
        if other != rank:
            set_phase(api, pod, "Failed", exit_code=1)
    ctl.settle(rounds=60)


def uids(pods: dict[int, dict]) -> set[str]:
    return {p["metadata"]["uid"] for p in pods.values()}


def failed(obj: dict) -> dict | None:
    return next(
        (c for c in (obj.get("status") or {}).get("conditions") or [] if c["type"] == "Failed"),
        None,
    )


@pytest.mark.parametrize("rank", [0, 1])
def test_indexed_job_recreates_the_whole_gang_up_to_max_restarts(api, ctl, env, namespace, rank):
    launch(ctl, env, "indexed-job")
    before = gang(api, namespace)
    assert sorted(before) == [0, 1]
    for restart in range(1, MAX_RESTARTS + 1):
        lose(api, ctl, namespace, rank)
        job = get(api, resources.BATCH_JOB, namespace, "demo")
        assert failed(job) is None, f"restart {restart}: {failed(job)}"
        now = gang(api, namespace)
        assert sorted(now) == [0, 1] and not uids(now) & uids(before)  # every pod new
        assert job["status"]["failed"] == 2 * restart  # the restart count goes up
        before = now
    lose(api, ctl, namespace, rank)
    cond = failed(get(api, resources.BATCH_JOB, namespace, "demo"))
    assert cond and cond["reason"] == "BackoffLimitExceeded"
    assert gang(api, namespace) == {}


@pytest.mark.parametrize("rank", [0, 1])
def test_jobset_recreates_the_whole_gang_on_one_eviction(api, ctl, env, namespace, rank):
    launch(ctl, env, "jobset")
    before = gang(api, namespace)
    assert sorted(before) == [0, 1]
    for restart in range(1, MAX_RESTARTS + 1):
        # the eviction alone fails the child Job: JobSet restarts the gang
        set_phase(api, gang(api, namespace)[rank], "Failed", conditions=EVICTED)
        ctl.settle(rounds=60)
        js = get(api, resources.JOBSET, namespace, "demo")
        assert failed(js) is None
        assert js["status"]["restarts"] == js["status"]["restartsCountTowardsMax"] == restart
        now = gang(api, namespace)
        assert sorted(now) == [0, 1] and not uids(now) & uids(before)
        labels = now[0]["metadata"]["labels"]
        assert labels["jobset.sigs.k8s.io/restart-attempt"] == str(restart)
        before = now
    set_phase(api, gang(api, namespace)[rank], "Failed", conditions=EVICTED)
    ctl.settle(rounds=60)
    cond = failed(get(api, resources.JOBSET, namespace, "demo"))
    assert cond and cond["reason"] == "ReachedMaxRestarts"


def test_trainjob_recreates_the_whole_gang_when_rank0_is_lost(api, ctl, env, namespace):
    """Trainer's runtime Job keeps Kubernetes' default `backoffLimit` (6): a lost rank 0
    and the agents that exit with it are all recreated."""
    launch(ctl, env, "trainjob")
    before = gang(api, namespace)
    assert sorted(before) == [0, 1]
    lose(api, ctl, namespace, 0)
    now = gang(api, namespace)
    assert sorted(now) == [0, 1] and not uids(now) & uids(before)
    assert failed(get(api, resources.TRAINJOB, namespace, "demo")) is None


def waits(command: list[str]) -> tuple[int, int]:
    """(rendezvous join timeout, rank 0 DNS wait) of a pod's command, in seconds."""
    script = " ".join(command)
    join = re.search(r"(?:join_timeout|rdzv-conf=timeout)=(\d+)", script)
    dns = re.search(r"did not resolve in (\d+)s", script)
    assert dns
    return (int(join.group(1)) if join else 0), int(dns.group(1))


@pytest.mark.parametrize("backend", ["indexed-job", "jobset", "trainjob"])
def test_a_late_node_still_joins(api, ctl, env, namespace, backend):
    """Rank 1's node comes up to cluster-autoscaler's max-node-provision-time (15 min)
    plus an image pull after rank 0's: every wait of the gang outlasts that."""
    launch(ctl, env, backend)
    late = gang_timeouts.NODE_PROVISION_SECONDS + gang_timeouts.IMAGE_PULL_SECONDS
    for pod in gang(api, namespace).values():
        join, dns = waits(pod["spec"]["containers"][0]["command"])
        assert join >= late > 600  # torchrun's default join_timeout would give up
        assert dns >= late
    ready = kueue.MANAGER_CONFIG["waitForPodsReady"]
    assert int(ready["timeout"].rstrip("s")) >= late
