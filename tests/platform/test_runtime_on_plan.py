"""The in-cluster runtime of every shipped environment, as the emulated plan records it."""

from __future__ import annotations

import json

import yaml

from gpuforge.model import (
    cluster_autoscaler,
    gpu_telemetry,
    helm_charts,
    kueue,
    names,
    training_namespace,
)

PIA = "aws:eks/podIdentityAssociation:PodIdentityAssociation"
RELEASE = "kubernetes:helm.sh/v3:Release"


def k8s(built, kind: str) -> list:
    return [r for r in built.report.kubernetes_resources if r.inputs.get("kind") == kind]


def pool_groups(built) -> dict[str, str]:
    """Each GPU pool's Auto Scaling group, as EKS reports it."""
    eks = built.client("eks")
    out = {}
    for pool in built.spec.gpu_pools:
        ng = built.report.outputs["nodeGroups"][pool.name]
        found = eks.describe_nodegroup(clusterName=built.spec.cluster_name, nodegroupName=ng)
        (group,) = found["nodegroup"]["resources"]["autoScalingGroups"]
        out[pool.name] = group["name"]
    return out


def test_every_kubernetes_object_goes_through_the_runtime_provider(built):
    records = built.report.kubernetes_resources
    assert records
    (provider,) = built.of_type("pulumi:providers:kubernetes")
    assert provider.name == f"{built.spec.cluster_name}-k8s"
    for r in records:
        assert r.provider.startswith(provider.urn + "::"), r.name  # never the ambient kubeconfig
    config = json.loads(provider.inputs["kubeconfig"])
    cluster = built.client("eks").describe_cluster(name=built.spec.cluster_name)["cluster"]
    assert config["clusters"][0]["cluster"]["server"] == cluster["endpoint"]
    ca = config["clusters"][0]["cluster"]["certificate-authority-data"]
    assert ca == cluster["certificateAuthority"]["data"]


def test_the_service_account_is_the_one_pod_identity_binds(built):
    ns = built.spec.training.namespace
    (namespace,) = k8s(built, "Namespace")
    assert namespace.inputs["metadata"]["name"] == ns
    assert (
        namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    )
    (sa,) = k8s(built, "ServiceAccount")
    training = [
        p
        for p in built.of_type(PIA)
        if p.inputs["serviceAccount"] == names.TRAINING_SERVICE_ACCOUNT
    ]
    assert len(training) == 1
    assert (sa.inputs["metadata"]["namespace"], sa.inputs["metadata"]["name"]) == (
        training[0].inputs["namespace"],
        training[0].inputs["serviceAccount"],
    )


def test_quota_limits_and_priorities(built):
    (quota,) = k8s(built, "ResourceQuota")
    assert quota.inputs["metadata"]["namespace"] == built.spec.training.namespace
    assert quota.inputs["spec"]["hard"] == {
        "requests.nvidia.com/gpu": str(built.spec.training.max_gpus)
    }
    assert len(k8s(built, "LimitRange")) == 1
    got = {p.inputs["metadata"]["name"]: p.inputs["value"] for p in k8s(built, "PriorityClass")}
    assert got == {
        names.PRIORITY_CLASSES[level]: training_namespace.PRIORITY_VALUES[level]
        for level in ("high", "normal", "low")
    }


def test_charts_are_the_pinned_ones_with_values_from_the_spec(built):
    releases = {r.inputs["name"]: r for r in built.of_type(RELEASE)}
    wanted = helm_charts.charts_for(built.spec)
    assert set(releases) == {c.release for c in wanted}
    for chart in wanted:
        got = releases[chart.release]
        assert got.kind == "kubernetes"
        assert (got.inputs["chart"], got.inputs["version"]) == (chart.chart, chart.version)
        assert (got.inputs.get("repositoryOpts") or {}).get("repo") == chart.repository
        assert got.inputs["namespace"] == chart.namespace
        assert got.inputs["values"] == json.loads(
            json.dumps(helm_charts.chart_values(built.spec, chart, pool_groups(built)))
        )
        assert "not fetched" in got.outputs["status"]["status"]


def test_kueue_objects_exist_only_with_kueue_and_speak_v1beta2(built):
    kinds = ("ResourceFlavor", "ClusterQueue", "LocalQueue")
    objects = [r for kind in kinds for r in k8s(built, kind)]
    if built.spec.training.queueing != "kueue":
        assert objects == []
        return
    assert {r.inputs["apiVersion"] for r in objects} == {kueue.KUEUE_API}
    flavors = {r.inputs["metadata"]["name"] for r in k8s(built, "ResourceFlavor")}
    assert flavors == {names.resource_flavor(p.name) for p in built.spec.gpu_pools}
    (queue,) = k8s(built, "ClusterQueue")
    assert queue.inputs["metadata"]["name"] == names.cluster_queue(built.env)
    (local,) = k8s(built, "LocalQueue")
    assert local.inputs["metadata"] == {
        "name": names.LOCAL_QUEUE,
        "namespace": built.spec.training.namespace,
        "labels": names.MANAGED_LABELS,
    }
    assert local.inputs["spec"]["clusterQueue"] == queue.inputs["metadata"]["name"]


def test_gpu_telemetry_addon_with_its_own_pod_role(built):
    addons = [
        a for a in built.of_type("aws:eks/addon:Addon")
        if a.inputs["addonName"] == gpu_telemetry.GPU_TELEMETRY_ADDON
    ]  # fmt: skip
    assert len(addons) == 1
    (assoc,) = addons[0].inputs["podIdentityAssociations"]
    assert assoc["serviceAccount"] == gpu_telemetry.GPU_TELEMETRY_SERVICE_ACCOUNT
    iam = built.client("iam")
    role = assoc["roleArn"].rsplit("/", 1)[-1]
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == [gpu_telemetry.GPU_TELEMETRY_POLICY]
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []


def test_cluster_autoscaler_names_each_pools_real_group_in_its_tier(built):
    (release,) = [r for r in built.of_type(RELEASE) if r.inputs["name"] == "cluster-autoscaler"]
    chart = helm_charts.CHARTS["cluster-autoscaler"]
    assert release.inputs["version"] == chart.version
    values = release.inputs["values"]
    assert values["image"]["tag"].startswith(f"v{built.spec.cluster.version}.")
    priorities = yaml.safe_load(values["expanderPriorities"])
    groups = pool_groups(built)
    for pool in built.spec.gpu_pools:
        tier = cluster_autoscaler.EXPANDER_TIERS[cluster_autoscaler.capacity_tier(pool)]
        assert f"^{groups[pool.name]}$" in priorities[tier], pool.name


def test_cluster_autoscaler_role_is_bound_and_scoped(built):
    (assoc,) = [p for p in built.of_type(PIA) if p.inputs["serviceAccount"] == "cluster-autoscaler"]
    assert assoc.inputs["namespace"] == "kube-system"
    iam = built.client("iam")
    role = assoc.inputs["roleArn"].rsplit("/", 1)[-1]
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    doc = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    for st in doc["Statement"]:
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        if any(a.startswith("autoscaling:") and ":Describe" not in a for a in actions):
            assert st["Resource"] != "*"
            tag = f"aws:ResourceTag/k8s.io/cluster-autoscaler/{built.spec.cluster_name}"
            assert st["Condition"]["StringEquals"][tag] == "owned"


def test_plan_orders_pools_as_the_expander_will(built):
    order = built.report.pool_priorities()
    tier = {p.name: cluster_autoscaler.EXPANDER_TIERS[cluster_autoscaler.capacity_tier(p)]
            for p in built.spec.gpu_pools}  # fmt: skip
    tiers = sorted(set(tier.values()), reverse=True)
    assert order == {p.name: str(tiers.index(tier[p.name]) + 1) for p in built.spec.gpu_pools}


def test_job_pods_find_every_bucket_by_its_real_name(built):
    """The ConfigMap the job manifests read (`gpuforge-buckets`) maps each logical bucket
    to the physical name the storage component created, in the training namespace."""
    (config,) = [
        c
        for c in k8s(built, "ConfigMap")
        if c.inputs["metadata"]["name"] == names.BUCKETS_CONFIGMAP
    ]
    assert config.inputs["metadata"]["namespace"] == built.spec.training.namespace
    created = {b: n for b, n in built.report.outputs["bucketNames"].items() if b != "access-logs"}
    assert config.inputs["data"] == created
    assert set(created) == {b.name for b in built.spec.storage.buckets}
