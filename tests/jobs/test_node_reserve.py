"""The reserve model (gpuforge.model.node_reserve) and the default full-node request.

issue 19 item 1: a default full-node job must fit, with room to spare, on every GPU type
a spec accepts, because cluster-autoscaler's AWS template takes allocatable = capacity
and scales up for a pod the real node would refuse.
"""

from __future__ import annotations

import pytest

from gpuforge.jobs.fit import check_fit
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import catalog, node_reserve
from gpuforge.model.spec import GpuPoolSpec
from tests.jobs.conftest import BASE_JOB, env_spec

SHIPPED = [(env, p.name) for env in ("dev", "staging", "prod") for p in env_spec(env).gpu_pools]


def test_kube_reserved_follows_nodeadm():
    # 60 + 10 + 10 + 188 x 2.5 millicores on 192 vCPUs; each tier rounded down
    assert node_reserve.kube_reserved_cpu_milli(192) == 550
    assert node_reserve.kube_reserved_cpu_milli(2) == 70
    assert node_reserve.kube_reserved_cpu_milli(1) == 60
    # max pods from the ENI table: p5 2 x 49 + 2; p4d 15 x 49 + 2; g6e.12xlarge 10 x 29 + 2
    assert node_reserve.max_pods("p5.48xlarge") == 100
    assert node_reserve.max_pods("p4d.24xlarge") == 737
    assert node_reserve.max_pods("g6e.12xlarge") == 292
    assert node_reserve.max_pods("no.such") == 110
    assert node_reserve.kube_reserved_memory_mib("p4d.24xlarge") == 11 * 737 + 255


def test_p5_reserve_adds_up():
    r = node_reserve.node_reserve(env_spec("prod").pool("h100"))
    assert r.capacity_memory_mib == 2_097_152 - 157_287  # ceil(7.5%)
    assert r.allocatable_cpu_milli == 192_000 - 550
    assert r.allocatable_memory_mib == r.capacity_memory_mib - (11 * 100 + 255) - 100
    names = {d.name for d in r.daemonsets}
    assert names == {
        "aws-node", "kube-proxy", "eks-pod-identity-agent", "cloudwatch-agent", "fluent-bit",
        "eks-node-monitoring-agent", "dcgm-server", "nvidia-device-plugin",
        "aws-efa-k8s-device-plugin",
    }  # fmt: skip
    # one DCGM on the node: the monitoring agent's dcgm-server, not CloudWatch's dcgm-exporter
    assert r.daemonset_cpu_milli == 50 + 100 + 250 + 50 + 10 + 0 + 10
    assert r.daemonset_memory_mib == 0 + 0 + 128 + 25 + 30 + 0 + 20
    assert r.free_cpu_milli == r.allocatable_cpu_milli - r.daemonset_cpu_milli
    # what a default job used to ask (190950m) leaves no margin: with the CloudWatch
    # dcgm-exporter gone it fits by 30m only, so the default request stays well below it
    assert r.free_cpu_milli - 190_950 < 100
    assert r.default_cpu_milli < 190_950


@pytest.mark.parametrize(("env", "pool"), SHIPPED)
def test_default_full_node_job_fits_every_shipped_pool(env, pool):
    spec = env_spec(env)
    job = JobSpec.model_validate({**BASE_JOB, "pool": pool, "nodes": 1, "checkpoint": None})
    fit = check_fit(job, spec)
    r = node_reserve.node_reserve(spec.pool(pool))
    assert fit.gpus_per_node == fit.node_gpus
    assert fit.cpu_milli_per_node <= r.free_cpu_milli * 95 // 100
    assert fit.memory_mib_per_node <= r.free_memory_mib * 95 // 100
    assert fit.cpu_milli_per_node > 0 and fit.memory_mib_per_node > 0


@pytest.mark.parametrize("instance_type", catalog.accelerated_types())
def test_default_request_fits_every_accelerated_type(instance_type):
    inst = catalog.instance_type(instance_type)
    pool = GpuPoolSpec(name="p", instance_type=instance_type, efa=inst.efa, az="x")
    r = node_reserve.node_reserve(pool)
    assert 0 < r.default_cpu_milli < r.free_cpu_milli <= r.allocatable_cpu_milli
    assert 0 < r.default_memory_mib < r.free_memory_mib <= r.allocatable_memory_mib
    assert r.allocatable_memory_mib < inst.memory_mib
