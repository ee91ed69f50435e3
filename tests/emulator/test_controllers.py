"""Each emulated controller on its own, through the emulated API.

Objects are created over HTTP (as a user or a controller would); a test plays the
kubelet by setting a pod's phase, and the clock by handing the loop its own.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from gpuforge.emulator.controllers import garbage_collector
from gpuforge.emulator.controllers.kueue_admission import workload_name
from gpuforge.emulator.k8s_controllers import Controllers
from gpuforge.jobs import pod as pod_model
from gpuforge.jobs import resources
from gpuforge.model import names
from gpuforge.model.loader import load_env

_ns = itertools.count()
GPU = "nvidia.com/gpu"


@pytest.fixture(scope="module")
def api():
    from gpuforge.emulator.kubernetes import EmulatedKubernetes

    with EmulatedKubernetes() as server:
        yield server


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def namespace() -> str:
    return f"c{next(_ns)}"


@pytest.fixture
def env(namespace):
    """prod (Kueue, every backend) with this test's namespace."""
    _, spec = load_env("prod")
    return spec.model_copy(
        update={"training": spec.training.model_copy(update={"namespace": namespace})}
    )


@pytest.fixture
def ctl(api, env, clock) -> Controllers:
    return Controllers(api, env, clock=clock)


def template(gpus: int = 0, pool: str = "h100") -> dict:
    resources_ = {"limits": {GPU: str(gpus)}} if gpus else {}
    return {
        "metadata": {"labels": {"app": "t"}},
        "spec": {
            "subdomain": "svc",
            "nodeSelector": {names.POOL_KEY: pool},
            "restartPolicy": "Never",
            "containers": [
                {"name": pod_model.CONTAINER, "image": "busybox", "resources": resources_}
            ],
        },
    }


def batch_job(namespace: str, name: str, n: int = 2, queue: bool = False, **spec) -> dict:
    labels = {names.KUEUE_QUEUE_LABEL: names.LOCAL_QUEUE} if queue else {}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": labels},
        "spec": {
            "completionMode": "Indexed",
            "completions": n,
            "parallelism": n,
            "backoffLimit": 0,
            "suspend": queue,
            "template": spec.pop("template", template()),
            **spec,
        },
    }


def owned(api, resource, namespace, owner: dict) -> list[dict]:
    uid = owner["metadata"]["uid"]
    return [
        o
        for o in api.stored(resource, namespace)
        if any(r.get("uid") == uid for r in o["metadata"].get("ownerReferences") or [])
    ]


def get(api, resource, namespace, name) -> dict | None:
    return next((o for o in api.stored(resource, namespace) if o["metadata"]["name"] == name), None)


def set_phase(api, pod: dict, phase: str, exit_code: int | None = None, conditions=None) -> None:
    status: dict = {"phase": phase}
    if exit_code is not None:
        status["containerStatuses"] = [
            {"name": pod_model.CONTAINER, "state": {"terminated": {"exitCode": exit_code}}}
        ]
    if conditions:
        status["conditions"] = conditions
    api.put({**pod, "status": status})


def http_delete(ctl, resource, namespace, name, policy: str) -> None:
    body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": policy}
    ctl.store.kube()._call("DELETE", resource.path(namespace, name), body=body)


# -- the Job controller ------------------------------------------------------------


def test_an_indexed_job_gets_one_pending_pod_per_index(api, ctl, namespace):
    job = ctl.store.create(batch_job(namespace, "train"))
    ctl.settle()
    pods = sorted(owned(api, resources.POD, namespace, job), key=lambda p: p["metadata"]["name"])
    assert [p["metadata"]["name"][: len("train-0-")] for p in pods] == ["train-0-", "train-1-"]
    for index, pod in enumerate(pods):
        meta, spec = pod["metadata"], pod["spec"]
        assert len(meta["name"]) == len("train-0-") + 5
        assert meta["labels"]["batch.kubernetes.io/job-completion-index"] == str(index)
        assert meta["annotations"]["batch.kubernetes.io/job-completion-index"] == str(index)
        assert meta["labels"]["batch.kubernetes.io/job-name"] == "train"
        assert meta["labels"]["batch.kubernetes.io/controller-uid"] == job["metadata"]["uid"]
        assert meta["ownerReferences"] == [
            {
                "apiVersion": "batch/v1",
                "kind": "Job",
                "name": "train",
                "uid": job["metadata"]["uid"],
                "controller": True,
                "blockOwnerDeletion": True,
            }
        ]
        assert (spec["hostname"], spec["subdomain"]) == (f"train-{index}", "svc")
        assert {"name": "JOB_COMPLETION_INDEX"}.items() <= spec["containers"][0]["env"][-1].items()
        assert pod["status"]["phase"] == "Pending" and "nodeName" not in spec
    assert get(api, resources.BATCH_JOB, namespace, "train")["status"]["active"] == 2


def test_a_suspended_job_gets_no_pods(api, ctl, namespace):
    job = ctl.store.create(
        {
            **batch_job(namespace, "held"),
            "spec": {**batch_job(namespace, "held")["spec"], "suspend": True},
        }
    )
    ctl.settle()
    assert owned(api, resources.POD, namespace, job) == []


def test_backoff_limit_counts_failed_pods(api, ctl, namespace):
    job = ctl.store.create(batch_job(namespace, "flaky", n=1, backoffLimit=1))
    ctl.settle()
    (first,) = owned(api, resources.POD, namespace, job)
    set_phase(api, first, "Failed", exit_code=1)
    ctl.settle()
    pods = owned(api, resources.POD, namespace, job)
    assert len(pods) == 2  # the failure counted once, within the limit: a new pod
    (second,) = [p for p in pods if p["status"]["phase"] == "Pending"]
    set_phase(api, second, "Failed", exit_code=1)
    ctl.settle()
    failed = get(api, resources.BATCH_JOB, namespace, "flaky")
    conds = {c["type"]: c for c in failed["status"]["conditions"]}
    assert conds["Failed"]["reason"] == "BackoffLimitExceeded"
    assert conds["Failed"]["message"] == "Job has reached the specified backoff limit"


IGNORE_DISRUPTION_FAIL_ON_EXIT = {
    "rules": [
        {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]},
        {
            "action": "FailJob",
            "onExitCodes": {"containerName": "trainer", "operator": "NotIn", "values": [0]},
        },
    ]
}
"""gpuforge's rules before issue 19 (the emulated Job controller still plays them)."""


def test_pod_failure_policy_fails_the_gang_or_ignores_a_disruption(api, ctl, namespace):
    job = ctl.store.create(
        batch_job(namespace, "gang", podFailurePolicy=IGNORE_DISRUPTION_FAIL_ON_EXIT)
    )
    ctl.settle()
    pods = sorted(owned(api, resources.POD, namespace, job), key=lambda p: p["metadata"]["name"])
    drained = [{"type": "DisruptionTarget", "status": "True"}]
    set_phase(api, pods[1], "Failed", conditions=drained)
    ctl.settle()
    live = [
        p for p in owned(api, resources.POD, namespace, job) if p["status"]["phase"] == "Pending"
    ]
    assert sorted(
        p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"] for p in live
    ) == ["0", "1"]
    assert not get(api, resources.BATCH_JOB, namespace, "gang")["status"].get("conditions")

    set_phase(api, pods[0], "Failed", exit_code=3)
    ctl.settle()
    failed = get(api, resources.BATCH_JOB, namespace, "gang")
    cond = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert cond["reason"] == "PodFailurePolicy"
    assert cond["message"] == (
        f"Container trainer for pod {namespace}/{pods[0]['metadata']['name']} failed with exit "
        "code 3 matching FailJob rule at index 1"
    )
    # the rest of the gang is stopped at once
    assert all(p["status"]["phase"] == "Failed" for p in owned(api, resources.POD, namespace, job))


def test_ttl_after_finished_deletes_the_job_and_its_pods(api, ctl, namespace, clock):
    job = ctl.store.create(batch_job(namespace, "short", ttlSecondsAfterFinished=60))
    ctl.settle()
    for pod in owned(api, resources.POD, namespace, job):
        set_phase(api, pod, "Succeeded", exit_code=0)
    ctl.settle()
    done = get(api, resources.BATCH_JOB, namespace, "short")
    assert {c["type"] for c in done["status"]["conditions"]} == {"SuccessCriteriaMet", "Complete"}
    assert done["status"]["completedIndexes"] == "0-1"
    clock.now += timedelta(seconds=59)
    ctl.settle()
    assert get(api, resources.BATCH_JOB, namespace, "short") is not None
    clock.now += timedelta(seconds=2)
    ctl.settle()
    assert get(api, resources.BATCH_JOB, namespace, "short") is None
    assert owned(api, resources.POD, namespace, job) == []


# -- the garbage collector ---------------------------------------------------------


@pytest.mark.parametrize("policy", ["Background", "Foreground"])
def test_deleting_a_job_deletes_its_pods(api, ctl, namespace, policy):
    job = ctl.store.create(batch_job(namespace, "gone"))
    ctl.settle()
    assert len(owned(api, resources.POD, namespace, job)) == 2
    http_delete(ctl, resources.BATCH_JOB, namespace, "gone", policy)
    left = get(api, resources.BATCH_JOB, namespace, "gone")
    if policy == "Foreground":  # stays, marked, until its pods are gone
        assert left["metadata"]["deletionTimestamp"]
        assert left["metadata"]["finalizers"] == [garbage_collector.FOREGROUND_FINALIZER]
    else:
        assert left is None
    ctl.settle()
    assert get(api, resources.BATCH_JOB, namespace, "gone") is None
    assert owned(api, resources.POD, namespace, job) == []


def test_orphan_keeps_the_pods_and_a_job_delete_orphans_by_default(api, ctl, namespace):
    job = ctl.store.create(batch_job(namespace, "orphans", n=1))
    ctl.settle()
    (pod,) = owned(api, resources.POD, namespace, job)
    ctl.store.kube()._call("DELETE", resources.BATCH_JOB.path(namespace, "orphans"))
    ctl.settle()
    kept = get(api, resources.POD, namespace, pod["metadata"]["name"])
    assert kept is not None and "ownerReferences" not in kept["metadata"]


# -- Kueue -------------------------------------------------------------------------


def test_kueue_admits_by_quota_and_says_why_not(api, ctl, env, namespace):
    (h100,) = [p for p in env.gpu_pools if p.name == "h100"]
    flavor = names.resource_flavor("h100")
    full = h100.max  # nodes of 8 GPUs the quota holds
    first = ctl.store.create(batch_job(namespace, "big", n=full, queue=True, template=template(8)))
    ctl.settle()
    (wl,) = owned(api, resources.WORKLOAD, namespace, first)
    assert wl["metadata"]["name"] == workload_name(first)
    assert wl["metadata"]["name"].startswith("job-big-")
    conds = {c["type"]: c for c in wl["status"]["conditions"]}
    assert conds["QuotaReserved"]["status"] == "True"
    assert (
        conds["QuotaReserved"]["message"]
        == f"Quota reserved in ClusterQueue gpuforge-{env.environment}"
    )
    assert conds["Admitted"]["message"] == "The workload is admitted"
    assert get(api, resources.BATCH_JOB, namespace, "big")["spec"]["suspend"] is False
    assert len(owned(api, resources.POD, namespace, first)) == full

    second = ctl.store.create(batch_job(namespace, "next", n=1, queue=True, template=template(8)))
    ctl.settle()
    (wl2,) = owned(api, resources.WORKLOAD, namespace, second)
    cond = next(c for c in wl2["status"]["conditions"] if c["type"] == "QuotaReserved")
    assert (cond["status"], cond["reason"]) == ("False", "Pending")
    assert cond["message"].startswith("couldn't assign flavors to pod set main: ")
    assert (
        f"insufficient unused quota for {GPU} in flavor {flavor}, 8 more needed" in cond["message"]
    )
    assert get(api, resources.BATCH_JOB, namespace, "next")["spec"]["suspend"] is True

    never = ctl.store.create(
        batch_job(namespace, "huge", n=full + 1, queue=True, template=template(8))
    )
    ctl.settle()
    (wl3,) = owned(api, resources.WORKLOAD, namespace, never)
    cond = next(c for c in wl3["status"]["conditions"] if c["type"] == "QuotaReserved")
    assert (
        f"insufficient quota for {GPU} in flavor {flavor}, previously considered podsets "
        f"requests (0) + current podset request ({8 * (full + 1)}) > maximum capacity ({8 * full})"
    ) in cond["message"]

    # the first job ends: its quota is free again, and the next one is admitted
    for pod in owned(api, resources.POD, namespace, first):
        set_phase(api, pod, "Succeeded", exit_code=0)
    ctl.settle()
    assert get(api, resources.BATCH_JOB, namespace, "next")["spec"]["suspend"] is False


def test_a_reused_name_is_admitted_like_a_new_one(api, ctl, namespace):
    old = ctl.store.create(batch_job(namespace, "again", n=1, queue=True, template=template(8)))
    ctl.settle()
    (old_wl,) = owned(api, resources.WORKLOAD, namespace, old)
    http_delete(ctl, resources.BATCH_JOB, namespace, "again", "Background")
    ctl.settle()
    assert owned(api, resources.WORKLOAD, namespace, old) == []  # went with its job

    new = ctl.store.create(batch_job(namespace, "again", n=1, queue=True, template=template(8)))
    ctl.settle()
    (new_wl,) = owned(api, resources.WORKLOAD, namespace, new)
    assert new_wl["metadata"]["name"] != old_wl["metadata"]["name"]
    assert get(api, resources.BATCH_JOB, namespace, "again")["spec"]["suspend"] is False
    assert len(owned(api, resources.POD, namespace, new)) == 1


def test_a_queue_that_does_not_exist_is_misconfigured(api, ctl, namespace):
    job = batch_job(namespace, "lost", n=1, queue=True)
    job["metadata"]["labels"][names.KUEUE_QUEUE_LABEL] = "nope"
    created = ctl.store.create(job)
    ctl.settle()
    (wl,) = owned(api, resources.WORKLOAD, namespace, created)
    cond = wl["status"]["conditions"][0]
    assert (cond["reason"], cond["message"]) == ("Misconfigured", "LocalQueue nope doesn't exist")


# -- JobSet --------------------------------------------------------------------------


def jobset(namespace: str, name: str, max_restarts: int | None = 1, nodes: int = 2) -> dict:
    spec: dict = {
        "replicatedJobs": [
            {
                "name": "node",
                "replicas": 2,
                "template": {"spec": batch_job(namespace, "x", n=nodes)["spec"]},
            }
        ],
        "network": {"enableDNSHostnames": True, "subdomain": name},
    }
    if max_restarts is not None:
        spec["failurePolicy"] = {"maxRestarts": max_restarts}
    return {
        "apiVersion": resources.JOBSET.api_version,
        "kind": "JobSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    }


def test_jobset_makes_child_jobs_labelled_as_jobset_does(api, ctl, namespace):
    js = ctl.store.create(jobset(namespace, "gang"))
    ctl.settle()
    jobs = sorted(
        owned(api, resources.BATCH_JOB, namespace, js), key=lambda j: j["metadata"]["name"]
    )
    assert [j["metadata"]["name"] for j in jobs] == ["gang-node-0", "gang-node-1"]
    labels = jobs[1]["metadata"]["labels"]
    assert labels["jobset.sigs.k8s.io/jobset-name"] == "gang"
    assert labels["jobset.sigs.k8s.io/jobset-uid"] == js["metadata"]["uid"]
    assert labels["jobset.sigs.k8s.io/replicatedjob-name"] == "node"
    assert labels["jobset.sigs.k8s.io/job-index"] == "1"
    assert labels["jobset.sigs.k8s.io/job-global-index"] == "1"
    assert labels["jobset.sigs.k8s.io/global-replicas"] == "2"
    assert labels["jobset.sigs.k8s.io/restart-attempt"] == "0"
    assert labels["jobset.sigs.k8s.io/group-name"] == "default"
    assert len(labels["jobset.sigs.k8s.io/job-key"]) == 40
    pod_labels = jobs[1]["spec"]["template"]["metadata"]["labels"]
    assert pod_labels["jobset.sigs.k8s.io/job-index"] == "1"
    assert jobs[1]["spec"]["template"]["spec"]["subdomain"] == "gang"
    (svc,) = owned(api, resources.SERVICE, namespace, js)
    assert svc["spec"]["clusterIP"] == "None"
    assert svc["spec"]["selector"] == {"jobset.sigs.k8s.io/jobset-name": "gang"}
    pods = [p for j in jobs for p in owned(api, resources.POD, namespace, j)]
    assert sorted(p["spec"]["hostname"] for p in pods) == [
        "gang-node-0-0",
        "gang-node-0-1",
        "gang-node-1-0",
        "gang-node-1-1",
    ]


def fail_a_child(api, ctl, namespace, js) -> None:
    child = sorted(
        owned(api, resources.BATCH_JOB, namespace, js), key=lambda j: j["metadata"]["name"]
    )[1]
    pod = owned(api, resources.POD, namespace, child)[0]
    set_phase(api, pod, "Failed", exit_code=1)
    ctl.settle()


def test_a_jobset_restart_recreates_every_child_job(api, ctl, namespace):
    js = ctl.store.create(jobset(namespace, "restarts", max_restarts=1))
    ctl.settle()
    before = {j["metadata"]["uid"] for j in owned(api, resources.BATCH_JOB, namespace, js)}
    fail_a_child(api, ctl, namespace, js)
    status = get(api, resources.JOBSET, namespace, "restarts")["status"]
    assert (status["restarts"], status["restartsCountTowardsMax"]) == (1, 1)
    jobs = owned(api, resources.BATCH_JOB, namespace, js)
    assert sorted(j["metadata"]["name"] for j in jobs) == ["restarts-node-0", "restarts-node-1"]
    assert not before & {j["metadata"]["uid"] for j in jobs}  # all of them new
    assert {j["metadata"]["labels"]["jobset.sigs.k8s.io/restart-attempt"] for j in jobs} == {"1"}
    assert len([p for j in jobs for p in owned(api, resources.POD, namespace, j)]) == 4

    fail_a_child(api, ctl, namespace, js)
    failed = get(api, resources.JOBSET, namespace, "restarts")
    cond = next(c for c in failed["status"]["conditions"] if c["type"] == "Failed")
    assert cond["reason"] == "ReachedMaxRestarts"
    assert cond["message"] == (
        "jobset failed due to reaching max number of restarts (first failed job: restarts-node-1)"
    )


def test_a_jobset_without_failure_policy_fails_on_a_child_failure(api, ctl, namespace):
    js = ctl.store.create(jobset(namespace, "once", max_restarts=None))
    ctl.settle()
    fail_a_child(api, ctl, namespace, js)
    cond = get(api, resources.JOBSET, namespace, "once")["status"]["conditions"][-1]
    assert (cond["type"], cond["reason"]) == ("Failed", "FailedJobs")


# -- Trainer -------------------------------------------------------------------------


def test_a_trainjob_becomes_a_jobset_on_its_runtime(api, ctl, namespace):
    tj = ctl.store.create(
        {
            "apiVersion": resources.TRAINJOB.api_version,
            "kind": "TrainJob",
            "metadata": {"name": "tj", "namespace": namespace},
            "spec": {
                "runtimeRef": {"name": "torch-distributed"},
                "trainer": {
                    "image": "img",
                    "command": ["torchrun", "train.py"],
                    "numNodes": 3,
                    "numProcPerNode": 4,
                    "resourcesPerNode": {"limits": {GPU: "4"}},
                },
            },
        }
    )
    ctl.settle()
    (js,) = owned(api, resources.JOBSET, namespace, tj)
    assert js["metadata"]["name"] == "tj"
    (rjob,) = js["spec"]["replicatedJobs"]
    assert (rjob["name"], rjob["replicas"], rjob["template"]["spec"]["parallelism"]) == (
        "node",
        1,
        3,
    )
    (container,) = rjob["template"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PET_NNODES"] == "3" and env["PET_NPROC_PER_NODE"] == "4"
    assert env["PET_MASTER_ADDR"] == "tj-node-0-0.tj" and env["PET_MASTER_PORT"] == "29500"
    assert (container["image"], container["resources"]) == ("img", {"limits": {GPU: "4"}})
    (child,) = owned(api, resources.BATCH_JOB, namespace, js)
    assert child["metadata"]["name"] == "tj-node-0"
    assert len(owned(api, resources.POD, namespace, child)) == 3


def test_the_loop_runs_only_what_the_environment_installs(api, env):
    from gpuforge.emulator.controllers.jobset_controller import JobSetController
    from gpuforge.emulator.controllers.kueue_admission import KueueAdmission
    from gpuforge.emulator.controllers.scale_from_zero import ScaleFromZero
    from gpuforge.emulator.controllers.trainer_controller import TrainerController

    plain = env.model_copy(
        update={
            "training": env.training.model_copy(
                update={"backends": ["indexed-job"], "queueing": "none"}
            )
        }
    )
    kinds = {type(s) for s in Controllers(api, plain).steppers}
    assert not kinds & {JobSetController, TrainerController, KueueAdmission}
    assert ScaleFromZero in kinds

    class Scheduler:
        def step(self) -> int:
            return 0

    steppers = Controllers(api, env, extra=[Scheduler()]).steppers
    assert {JobSetController, TrainerController, KueueAdmission} <= {type(s) for s in steppers}
    assert isinstance(steppers[-1], Scheduler)
    assert not any(isinstance(s, ScaleFromZero) for s in steppers)
