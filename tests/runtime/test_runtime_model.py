"""The runtime's objects and chart values, derived from the spec and the pool model."""

from __future__ import annotations

import re

import pytest

from gpuforge.model import helm_charts, kueue, names, provider_kubeconfig, training_namespace
from gpuforge.model.loader import load_env, spec_from_data
from tests.conftest import ROOT, SHIPPED_ENVS, shipped_spec


def spec_of(env: str):
    return load_env(env, ROOT)[1]


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_gpu_quota_is_training_max_gpus(env):
    spec = spec_of(env)
    assert spec.training.max_gpus is not None
    assert training_namespace.resource_quota(spec) == {
        "requests.nvidia.com/gpu": str(spec.training.max_gpus)
    }


def test_without_max_gpus_the_quota_is_what_the_nvidia_pools_hold():
    data = shipped_spec("prod")
    del data["training"]["max_gpus"]
    spec = spec_from_data(data)
    assert training_namespace.gpu_quota(spec) == 8 * 8 + 4 * 4  # p5.48xlarge x8, g6e.12xlarge x4


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_limit_range_sets_default_requests_and_no_max_without_a_default(env):
    """Issue 19 item 4: a `max` with no `default` makes the LimitRanger refuse every
    container that sets no limit for that resource (CPU-only pods, Neuron jobs, init
    containers). GPUs are capped by the ResourceQuota and the fit check instead."""
    spec = spec_of(env)
    (limit,) = training_namespace.limit_range(spec)
    assert limit["defaultRequest"]["cpu"] and limit["defaultRequest"]["memory"]
    assert all(key in (limit.get("default") or {}) for key in limit.get("max") or {})
    assert "nvidia.com/gpu" not in (limit.get("max") or {})


def test_priority_classes_use_the_shared_names_and_order():
    classes = training_namespace.priority_classes()
    assert [c["name"] for c in classes] == [
        names.PRIORITY_CLASSES[level] for level in ("high", "normal", "low")
    ]
    values = [c["value"] for c in classes]
    assert values == sorted(values, reverse=True)
    assert not any(c["globalDefault"] for c in classes)
    assert all(v < 1_000_000_000 for v in values)  # below system-cluster-critical


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_cluster_queue_quota_per_flavor_is_max_nodes_times_node_devices(env):
    spec = spec_of(env)
    queue = kueue.cluster_queue(spec)
    assert queue["name"] == names.cluster_queue(spec.environment)
    (group,) = queue["spec"]["resourceGroups"]
    assert ("vpc.amazonaws.com/efa" in group["coveredResources"]) == any(
        p.efa for p in spec.gpu_pools
    )
    by_flavor = {f["name"]: {r["name"]: r["nominalQuota"] for r in f["resources"]}
                 for f in group["flavors"]}  # fmt: skip
    assert set(by_flavor) == {names.resource_flavor(p.name) for p in spec.gpu_pools}
    for pool in spec.gpu_pools:
        quota = by_flavor[names.resource_flavor(pool.name)]
        assert set(quota) == set(group["coveredResources"])  # Kueue needs every covered one
        assert quota["nvidia.com/gpu"] == pool.max * pool.instance.gpus
        assert quota["cpu"] == pool.max * pool.instance.vcpus
        efa = pool.instance.network_cards * pool.max if pool.efa else 0
        assert quota.get("vpc.amazonaws.com/efa", 0) == efa


def test_flavors_carry_the_pool_labels_and_taints():
    """Expected values written out by hand (not from the pool model the code uses): the
    pool, GPU-model, GPU-present and autoscaler GPU-type labels plus the spec's own, and the
    GPU taint first."""
    data = shipped_spec("prod")
    data["gpu_pools"][1]["taints"] = [{"key": "dedicated", "value": "ml", "effect": "NoExecute"}]
    spec = spec_from_data(data)
    gpu_taint = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
    own_taint = {"key": "dedicated", "value": "ml", "effect": "NoExecute"}
    expected = {
        "h100": {
            "nodeLabels": {
                "gpuforge.dev/pool": "h100",
                "gpuforge.dev/gpu-model": "H100",
                "nvidia.com/gpu.present": "true",
                "k8s.amazonaws.com/accelerator": "nvidia-h100",
                "tier": "training",
            },
            "nodeTaints": [gpu_taint],
            "tolerations": [{**gpu_taint, "operator": "Equal"}],
        },
        "l40s": {
            "nodeLabels": {
                "gpuforge.dev/pool": "l40s",
                "gpuforge.dev/gpu-model": "L40S",
                "nvidia.com/gpu.present": "true",
                "k8s.amazonaws.com/accelerator": "nvidia-l40s",
            },
            "nodeTaints": [gpu_taint, own_taint],
            "tolerations": [{**gpu_taint, "operator": "Equal"}, {**own_taint, "operator": "Equal"}],
        },
    }
    flavors = {pool.name: kueue.resource_flavor(pool) for pool in spec.gpu_pools}
    assert {name: f["name"] for name, f in flavors.items()} == {
        "h100": "pool-h100",
        "l40s": "pool-l40s",
    }
    assert {name: f["spec"] for name, f in flavors.items()} == expected


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_every_shipped_pool_has_a_flavor_that_tolerates_its_taints(env):
    spec = spec_of(env)
    for pool in spec.gpu_pools:
        flavor = kueue.resource_flavor(pool)["spec"]
        assert flavor["nodeLabels"][names.POOL_KEY] == pool.name
        tolerated = {(t["key"], t["value"], t["effect"]) for t in flavor["tolerations"]}
        assert tolerated == {(t["key"], t["value"], t["effect"]) for t in flavor["nodeTaints"]}


def test_local_queue_points_at_the_cluster_queue():
    spec = spec_of("prod")
    local = kueue.local_queue(spec)
    assert local["name"] == names.LOCAL_QUEUE
    assert local["namespace"] == spec.training.namespace
    assert local["spec"]["clusterQueue"] == kueue.cluster_queue(spec)["name"]


def _affinity_pools(values):
    term = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    (expr,) = term["nodeSelectorTerms"][0]["matchExpressions"]
    assert expr["key"] == names.POOL_KEY and expr["operator"] == "In"
    return set(expr["values"])


def test_device_plugins_run_on_their_pools_only_and_tolerate_every_pool_taint():
    data = shipped_spec("prod")
    data["gpu_pools"][1]["taints"] = [{"key": "team", "value": "vision", "effect": "NoExecute"}]
    spec = spec_from_data(data)
    nvidia = helm_charts.nvidia_plugin_values(spec)
    assert _affinity_pools(nvidia) == {"h100", "l40s"}
    assert {(t["key"], t["effect"]) for t in nvidia["tolerations"]} == {
        ("nvidia.com/gpu", "NoSchedule"),
        ("team", "NoExecute"),
    }
    efa = helm_charts.efa_plugin_values(spec)
    # The EFA chart templates its own affinity from supportedInstanceLabels (one In term per key)
    assert efa["supportedInstanceLabels"] == {"keys": [names.POOL_KEY], "values": ["h100"]}
    assert {(t["key"], t["effect"]) for t in efa["tolerations"]} == {
        ("nvidia.com/gpu", "NoSchedule")
    }


@pytest.mark.parametrize("env", SHIPPED_ENVS)
def test_charts_follow_the_spec(env):
    spec = spec_of(env)
    wanted = {c.release for c in helm_charts.charts_for(spec)}
    assert ("nvidia-device-plugin" in wanted) == bool(spec.gpu_pools)
    assert ("aws-efa-k8s-device-plugin" in wanted) == any(p.efa for p in spec.gpu_pools)
    assert ("kueue" in wanted) == (spec.training.queueing == "kueue")


def test_every_chart_is_pinned_to_an_exact_version_with_its_source():
    exact = re.compile(r"^v?\d+\.\d+\.\d+$")
    for key, chart in helm_charts.CHARTS.items():
        assert key == chart.release
        assert exact.match(chart.version), chart
        assert chart.repository or chart.chart.startswith("oci://")
        assert chart.source.startswith("https://")


def test_kubeconfig_uses_an_exec_credential_and_holds_no_secret():
    config = provider_kubeconfig.kubeconfig("gpuforge-prod", "https://abc.eks", "Q0E=", "us-east-1")
    (user,) = config["users"]
    assert set(user["user"]) == {"exec"}  # no token, no client key
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"][:2] == ["eks", "get-token"]
    assert exec_["args"][exec_["args"].index("--cluster-name") + 1] == "gpuforge-prod"
    assert exec_["args"][exec_["args"].index("--region") + 1] == "us-east-1"
    (cluster,) = config["clusters"]
    assert cluster["cluster"] == {"server": "https://abc.eks", "certificate-authority-data": "Q0E="}
