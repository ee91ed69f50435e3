"""Two teams on the emulated cluster: Kueue admits each team's jobs on its own ClusterQueue,
lets a team borrow the other's unused GPUs within the cohort and its limits, reclaims lent
GPUs by evicting the borrower, and says why not in Kueue's words. The queues are the
runtime's (`stacks/shared.yaml`, `team_queues`)."""

from __future__ import annotations

import pytest

from gpuforge.emulator.k8s_controllers import Controllers
from gpuforge.jobs import resources
from gpuforge.model.loader import load_env
from tests.conftest import ROOT
from tests.emulator.test_controllers import Clock, batch_job, get, owned, set_phase, template

GPU = "nvidia.com/gpu"


@pytest.fixture(scope="module")
def api():
    from gpuforge.emulator.kubernetes import EmulatedKubernetes

    with EmulatedKubernetes() as server:
        yield server


@pytest.fixture
def ctl(api) -> Controllers:
    _, spec = load_env("shared", ROOT)
    return Controllers(api, spec, clock=Clock())


def _reserved(api, namespace: str, job: dict) -> dict:
    (wl,) = owned(api, resources.WORKLOAD, namespace, job)
    return next(c for c in wl["status"]["conditions"] if c["type"] == "QuotaReserved")


def test_teams_borrow_within_the_cohort_and_wait_for_what_was_lent(api, ctl):
    # vision: 16 H100 GPUs nominal, may borrow 16; nlp lends all of its 16
    big = ctl.store.create(batch_job("vision", "big", n=4, queue=True, template=template(8)))
    ctl.settle()
    cond = _reserved(api, "vision", big)
    assert (cond["status"], cond["message"]) == (
        "True",
        "Quota reserved in ClusterQueue gpuforge-shared-vision",
    )
    (wl,) = owned(api, resources.WORKLOAD, "vision", big)
    assert wl["status"]["admission"]["clusterQueue"] == "gpuforge-shared-vision"

    # nlp's own 16 are lent out: within its nominal quota it reclaims them
    # (reclaimWithinCohort: Any): vision's borrowing job is evicted and suspended
    nlp = ctl.store.create(batch_job("nlp", "mine", n=2, queue=True, template=template(8)))
    ctl.settle()
    assert _reserved(api, "nlp", nlp)["status"] == "True"
    assert get(api, resources.BATCH_JOB, "nlp", "mine")["spec"]["suspend"] is False
    (evicted,) = owned(api, resources.WORKLOAD, "vision", big)
    conds = {c["type"]: c for c in evicted["status"]["conditions"]}
    assert (conds["Evicted"]["status"], conds["Evicted"]["reason"]) == ("True", "Preempted")
    assert conds["Preempted"]["reason"] == "InCohortReclamation"
    assert conds["Evicted"]["message"].startswith("Preempted to accommodate a workload (UID: ")
    assert conds["Evicted"]["message"].endswith(
        "due to reclamation within the cohort; preemptor path: /gpuforge-shared/"
        "gpuforge-shared-nlp; preemptee path: /gpuforge-shared/gpuforge-shared-vision"
    )
    assert get(api, resources.BATCH_JOB, "vision", "big")["spec"]["suspend"] is True
    assert owned(api, resources.POD, "vision", big) == []  # suspending deleted its pods
    # vision now waits for what nlp took back: 8 of its own + 8 lendable left, 32 wanted
    cond = _reserved(api, "vision", big)
    assert (cond["status"], cond["reason"]) == ("False", "Pending")
    assert (
        f"insufficient unused quota for {GPU} in flavor pool-h100, 16 more needed"
        in (cond["message"])
    )

    # more than nlp's nominal 16 + borrowing limit 8 can never be admitted
    never = ctl.store.create(batch_job("nlp", "huge", n=4, queue=True, template=template(8)))
    ctl.settle()
    assert (
        f"insufficient quota for {GPU} in flavor pool-h100, previously considered podsets "
        "requests (0) + current podset request (32) > maximum capacity (24)"
    ) in _reserved(api, "nlp", never)["message"]

    # nlp's job ends: vision's job is admitted again
    for pod in owned(api, resources.POD, "nlp", nlp):
        set_phase(api, pod, "Succeeded", exit_code=0)
    ctl.settle()
    assert _reserved(api, "vision", big)["status"] == "True"
    assert get(api, resources.BATCH_JOB, "vision", "big")["spec"]["suspend"] is False
    for pod in owned(api, resources.POD, "vision", big):
        set_phase(api, pod, "Succeeded", exit_code=0)
    ctl.settle()


def test_a_lending_limit_keeps_part_of_a_teams_quota(api, ctl):
    # nlp (no lending limit on h100, borrowing limit 8) takes its 16 plus 8 of vision's:
    # vision lends at most 8 of its 16, so 8 stay vision's
    first = ctl.store.create(batch_job("nlp", "wide", n=3, queue=True, template=template(8)))
    ctl.settle()
    assert _reserved(api, "nlp", first)["status"] == "True"
    more = ctl.store.create(batch_job("nlp", "more", n=1, queue=True, template=template(8)))
    ctl.settle()
    assert _reserved(api, "nlp", more)["status"] == "False"  # its borrowing limit is spent
    kept = ctl.store.create(batch_job("vision", "kept", n=1, queue=True, template=template(8)))
    ctl.settle()
    assert _reserved(api, "vision", kept)["status"] == "True"  # vision's guaranteed 8
    for job in (first, kept):
        for pod in owned(api, resources.POD, job["metadata"]["namespace"], job):
            set_phase(api, pod, "Succeeded", exit_code=0)
    ctl.settle()


def test_a_team_cannot_use_another_teams_local_queue(api, ctl):
    job = batch_job("training", "stray", n=1, queue=True, template=template(8))
    created = ctl.store.create(job)
    ctl.settle()
    cond = _reserved(api, "training", created)
    assert (cond["reason"], cond["message"]) == (
        "Misconfigured",
        "LocalQueue training doesn't exist",
    )
