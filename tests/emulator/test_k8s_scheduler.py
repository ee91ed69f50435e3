"""The emulated cluster's nodes, scheduler and autoscaler (gpuforge.emulator.k8s_scheduler).

Each test gets its own API server: Nodes are cluster-scoped, so they would leak between
tests sharing one. Pods come from the real dry run of a job, so what is scheduled is
what `launch` sends.
"""

from __future__ import annotations

import pytest

from gpuforge.emulator.k8s_scheduler import Scheduler
from gpuforge.jobs import resources
from gpuforge.jobs.job_status import Event, explain
from gpuforge.model import node_reserve
from gpuforge.model.loader import load_env
from tests.conftest import ROOT

NS = "training"


@pytest.fixture
def api():
    from gpuforge.emulator.kubernetes import EmulatedKubernetes

    with EmulatedKubernetes() as server:
        yield server


@pytest.fixture
def prod():
    return load_env(str(ROOT / "stacks" / "prod.yaml"))[1]


def _pod(prod, name: str, cpu: str | None = None) -> dict:
    """A rank pod as the Indexed Job backend renders it for a default 8-GPU h100 job."""
    from gpuforge.jobs import backends
    from gpuforge.jobs.fit import check_fit
    from gpuforge.jobs.spec import JobSpec

    job = JobSpec.model_validate(
        {
            "name": "demo",
            "image": "pytorch/pytorch:2.13.0",
            "pool": "h100",
            "nodes": 1,
            "command": ["train.py"],
        }  # fmt: skip
    )
    fit = check_fit(job, prod)
    manifests = backends.get(fit.backend).render(fit)
    (batch,) = [m for m in manifests if m["kind"] == "Job"]
    spec = dict(batch["spec"]["template"]["spec"])
    if cpu is not None:
        spec["containers"] = [
            {
                **c,
                "resources": {
                    **c["resources"],
                    "requests": {**c["resources"]["requests"], "cpu": cpu},
                },
            }  # fmt: skip
            for c in spec["containers"]
        ]
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {}},
        "spec": spec,
        "status": {"phase": "Pending"},
    }


def _events(api, pod: str) -> list[dict]:
    return [e for e in api.stored(resources.EVENT, NS) if e["involvedObject"]["name"] == pod]


def _reasons(api, pod: str) -> list[str]:
    return [e["reason"] for e in _events(api, pod)]


def _get(api, name: str) -> dict:
    (pod,) = [p for p in api.stored(resources.POD, NS) if p["metadata"]["name"] == name]
    return pod


def test_nodes_are_stored_as_cluster_scoped_v1_nodes(api, prod):
    Scheduler(api, prod).step()
    nodes = api.stored(resources.NODE, None)
    assert len(nodes) == prod.cluster.system_pool.min  # GPU pools start at zero
    node = nodes[0]
    assert node["kind"] == "Node" and "namespace" not in node["metadata"]
    assert node["status"]["allocatable"]["cpu"].endswith("m")


def test_a_pod_that_fits_scales_up_then_runs(api, prod):
    scheduler = Scheduler(api, prod)
    api.put(_pod(prod, "fits"))
    assert scheduler.step() > 0
    reasons = _reasons(api, "fits")
    assert reasons[:2] == ["FailedScheduling", "TriggeredScaleUp"]
    (up,) = [e for e in _events(api, "fits") if e["reason"] == "TriggeredScaleUp"]
    group, most = scheduler.templates["h100"].group, prod.pool("h100").max
    assert up["message"] == f"pod triggered scale-up: [{{{group} 0->1 (max: {most})}}]"
    (failed,) = [e for e in _events(api, "fits") if e["reason"] == "FailedScheduling"]
    assert failed["message"] == (
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. "
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )
    gpu_nodes = [
        n for n in api.stored(resources.NODE, None)
        if n["metadata"]["labels"].get("gpuforge.dev/pool") == "h100"
    ]  # fmt: skip
    assert len(gpu_nodes) == 1
    node = gpu_nodes[0]
    assert node["spec"]["taints"] == [
        {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
    ]
    assert node["status"]["capacity"]["nvidia.com/gpu"] == "8"
    assert node["status"]["capacity"]["vpc.amazonaws.com/efa"] == "32"
    scheduler.step()
    pod = _get(api, "fits")
    assert pod["spec"]["nodeName"] == node["metadata"]["name"]
    assert pod["status"]["phase"] == "Running"
    assert {"type": "PodScheduled", "status": "True"} in pod["status"]["conditions"]
    assert "Scheduled" in _reasons(api, "fits")


def test_an_oversized_pod_never_triggers_a_scale_up(api, prod):
    scheduler = Scheduler(api, prod)
    api.put(_pod(prod, "big", cpu="191"))  # about what gpuforge used to ask on a p5
    scheduler.step()
    scheduler.step()
    reasons = _reasons(api, "big")
    assert "TriggeredScaleUp" not in reasons
    assert "FailedScheduling" in reasons
    (nope,) = [e for e in _events(api, "big") if e["reason"] == "NotTriggerScaleUp"]
    assert nope["message"] == (
        "pod didn't trigger scale-up (it wouldn't fit if a new node is added): "
        "1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector"
    )
    pod = _get(api, "big")
    assert pod["status"]["phase"] == "Pending" and "nodeName" not in pod["spec"]
    events = [
        Event(e["lastTimestamp"], e["type"], e["reason"], "Pod", e["message"])
        for e in _events(api, "big")
    ]
    why = explain({"status": {"active": 1}, "spec": {}}, [pod], events, [], "h100")
    assert why is not None and why.kind == "never-fits"
    assert "Insufficient cpu" in why.text


def test_hold_at_zero_keeps_the_pod_pending_after_the_scale_up(api, prod):
    scheduler = Scheduler(api, prod, hold_at_zero=True)
    api.put(_pod(prod, "held"))
    scheduler.step()
    scheduler.step()
    assert _reasons(api, "held").count("TriggeredScaleUp") == 1
    assert _get(api, "held")["status"]["phase"] == "Pending"
    assert not [
        n
        for n in api.stored(resources.NODE, None)
        if "gpuforge.dev/pool" in n["metadata"]["labels"]
    ]
    pod = _get(api, "held")
    events = [
        Event(e["lastTimestamp"], e["type"], e["reason"], "Pod", e["message"])
        for e in _events(api, "held")
    ]
    why = explain({"status": {"active": 1}, "spec": {}}, [pod], events, [], "h100")
    assert why is not None and why.kind == "scale-up"


def test_a_full_pool_does_not_scale_past_its_max(api, prod):
    scheduler = Scheduler(api, prod, hold_at_zero=True)
    most = prod.pool("h100").max
    for i in range(most + 1):
        api.put(_pod(prod, f"r{i}"))
    scheduler.step()
    triggered = sum("TriggeredScaleUp" in _reasons(api, f"r{i}") for i in range(most + 1))
    assert triggered == most
    (late,) = [i for i in range(most + 1) if "TriggeredScaleUp" not in _reasons(api, f"r{i}")]
    (nope,) = [e for e in _events(api, f"r{late}") if e["reason"] == "NotTriggerScaleUp"]
    assert "max node group size reached" in nope["message"]


def test_node_allocatable_is_the_reserve_model(api, prod):
    Scheduler(api, prod, sizes={"h100": 1}).step()
    (node,) = [
        n for n in api.stored(resources.NODE, None)
        if n["metadata"]["labels"].get("gpuforge.dev/pool") == "h100"
    ]  # fmt: skip
    r = node_reserve.node_reserve(prod.pool("h100"))
    assert node["status"]["allocatable"]["cpu"] == f"{r.allocatable_cpu_milli}m"
    assert node["status"]["allocatable"]["memory"] == f"{r.allocatable_memory_mib}Mi"
    assert node["status"]["capacity"]["memory"] == f"{r.capacity_memory_mib}Mi"


def test_the_controllers_hand_their_pods_to_the_scheduler(api, prod):
    """Kueue admits the Job and the Job controller creates its rank pods; the scheduler
    then places them (here held at zero, as the demo holds them)."""
    from gpuforge.emulator.k8s_controllers import Controllers
    from gpuforge.jobs import backends
    from gpuforge.jobs.fit import check_fit
    from gpuforge.jobs.spec import JobSpec

    job = JobSpec.model_validate(
        {
            "name": "gang",
            "image": "pytorch/pytorch:2.13.0",
            "pool": "h100",
            "nodes": 2,
            "command": ["train.py"],
        }  # fmt: skip
    )
    prod = prod.model_copy(update={"training": prod.training.model_copy(update={"namespace": NS})})
    for manifest in backends.get("indexed-job").render(check_fit(job, prod)):
        if manifest["kind"] == "Job":
            api.put(manifest)
    players = Controllers(api, prod, extra=[Scheduler(api, prod, hold_at_zero=True)])
    players.settle()
    pods = [p for p in api.stored(resources.POD, NS) if p["metadata"]["name"].startswith("gang")]
    assert len(pods) == 2
    for pod in pods:
        assert pod["status"]["phase"] == "Pending"
        (up,) = [
            e for e in _events(api, pod["metadata"]["name"]) if e["reason"] == "TriggeredScaleUp"
        ]  # fmt: skip
        assert "0->2 (max: " in up["message"]


def _with_claim(pod: dict, claim: str) -> dict:
    volume = {"name": "data", "persistentVolumeClaim": {"claimName": claim, "readOnly": True}}
    return {**pod, "spec": {**pod["spec"], "volumes": [*pod["spec"]["volumes"], volume]}}


def test_a_pod_whose_claim_is_not_in_its_namespace_stays_pending_without_a_scale_up(api, prod):
    """VolumeBinding's PreFilter refuses it before any node is tried, so neither a node nor
    a new one helps (the autoscaler runs the same PreFilter)."""
    scheduler = Scheduler(api, prod)
    api.put(_with_claim(_pod(prod, "orphan"), "data-nowhere"))
    scheduler.step()
    scheduler.step()
    reasons = _reasons(api, "orphan")
    assert "TriggeredScaleUp" not in reasons and "Scheduled" not in reasons
    (failed,) = [e for e in _events(api, "orphan") if e["reason"] == "FailedScheduling"]
    assert failed["message"] == (
        '0/2 nodes are available: persistentvolumeclaim "data-nowhere" not found. '
        "preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
    )
    assert _get(api, "orphan")["status"]["phase"] == "Pending"


def test_a_pod_mounting_the_runtimes_claim_is_scheduled(prod):
    """The emulated cluster of an environment holds the claims its runtime declares."""
    from gpuforge.emulator.kubernetes import EmulatedKubernetes

    with EmulatedKubernetes(spec=prod) as api:
        scheduler = Scheduler(api, prod)
        api.put(_with_claim(_pod(prod, "reader"), "data-datasets-fsx"))
        for _ in range(4):
            scheduler.step()
        assert "Scheduled" in _reasons(api, "reader")
