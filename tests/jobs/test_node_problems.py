"""`gpuforge status` names the node condition that took a rank down: the pure reading,
then through the real client against the emulated cluster, whose scheduler made the nodes
and where a node reports the EKS node monitoring agent's `AcceleratedHardwareReady=False`."""

from __future__ import annotations

import json

from gpuforge.cli.main import cli
from gpuforge.emulator.k8s_scheduler import Scheduler
from gpuforge.jobs import job_status
from gpuforge.model import node_health
from tests.jobs.conftest import pod
from tests.jobs.test_cluster import launch

XID = {
    "type": "AcceleratedHardwareReady",
    "status": "False",
    "reason": "NvidiaXID79Error",
    "message": "detected XID-79 on the instance, review kernel logs for additional information.",
}


def node(name: str, *conditions: dict) -> dict:
    ready = {"type": "Ready", "status": "True", "reason": "KubeletReady"}
    return {"metadata": {"name": name}, "status": {"conditions": [ready, *conditions]}}


def test_problem_conditions_read_the_agent_and_the_kubelet():
    healthy = [{"type": t, "status": "True"} for t in node_health.CONDITION_TYPES]
    assert node_health.problem_conditions(healthy) == []
    assert node_health.problem_conditions([{"type": "MemoryPressure", "status": "False"}]) == []
    assert node_health.problem_conditions([XID]) == [XID]
    gone = {"type": "Ready", "status": "Unknown", "reason": "NodeStatusUnknown"}
    assert node_health.problem_conditions([gone]) == [gone]
    assert node_health.problem_conditions([{"type": "DiskPressure", "status": "True"}])


def test_only_ranks_that_went_down_on_an_unhealthy_node_are_named():
    failed = pod("llama", "ns", 1, phase="Failed", reason="Error")
    failed["spec"]["nodeName"] = "gpu-b"
    running = pod("llama", "ns", 0)
    running["spec"]["nodeName"] = "gpu-b"  # a running rank on the same node: not down
    evicted = pod("llama", "ns", 2, phase="Failed", reason="Evicted")
    evicted["spec"]["nodeName"] = "gpu-a"  # down, but its node is healthy
    problems = job_status.node_problems(
        [running, failed, evicted], [node("gpu-a"), node("gpu-b", XID)]
    )
    assert [(p.rank, p.node, p.condition, p.reason) for p in problems] == [
        (1, "gpu-b", "AcceleratedHardwareReady", "NvidiaXID79Error")
    ]
    assert "rank 1" in problems[0].line() and "AcceleratedHardwareReady=False" in problems[0].line()


def test_status_names_the_node_and_condition(api, env, env_file, kubeconfig, runner, sleeps):
    launch(api, env, kubeconfig=kubeconfig)
    scheduler = Scheduler(api, env, sizes={"h100": 2})
    scheduler.step()  # creates the pool's two nodes
    gpu_nodes = sorted(
        n["metadata"]["name"]
        for n in scheduler.nodes()
        if n["metadata"]["labels"].get("gpuforge.dev/pool") == "h100"
    )
    assert len(gpu_nodes) >= 2
    bad = gpu_nodes[1]
    scheduler.report_condition(
        bad,
        **{
            k: v for k, v in zip(("kind", "status", "reason", "message"), XID.values(), strict=True)
        },
    )
    ns = env.training.namespace
    rank0 = pod("llama", ns, 0)
    rank0["spec"]["nodeName"] = gpu_nodes[0]
    rank1 = pod("llama", ns, 1, phase="Failed", reason="Evicted", message="node is unhealthy")
    rank1["spec"]["nodeName"] = bad
    api.put(rank0)
    api.put(rank1)

    result = runner.invoke(
        cli, ["status", "llama", "-e", env_file, "--kubeconfig", kubeconfig, "-o", "json"]
    )
    assert result.exit_code == 0, result.output
    (problem,) = json.loads(result.stdout)["node_problems"]
    assert problem["node"] == bad and problem["rank"] == 1
    assert (problem["condition"], problem["status"]) == ("AcceleratedHardwareReady", "False")
    assert problem["reason"] == "NvidiaXID79Error"
    table = runner.invoke(cli, ["status", "llama", "-e", env_file, "--kubeconfig", kubeconfig])
    assert f"went down on node {bad}: AcceleratedHardwareReady=False (NvidiaXID79Error" in (
        table.stdout
    )
