"""Scale from zero: each GPU pool's Auto Scaling group tells cluster-autoscaler what a node
would offer, and a pending job on that pool matches exactly its own pool's template.

Everything is read back through boto3 (EKS and Auto Scaling APIs), as cluster-autoscaler
reads it. The job's requests are the job runner's own: a whole-node job on the pool is
rendered by the Indexed Job backend, and its pod's node selector, tolerations and
extended-resource limits (GPUs, EFA devices) are matched against the template.
"""

from __future__ import annotations

from gpuforge.model import cluster_autoscaler, pools

TEMPLATE = "k8s.io/cluster-autoscaler/node-template/"
EKS_OWN_TAGS = {"eks:cluster-name", "eks:nodegroup-name"}


def asg_tags(built, pool) -> dict[str, str]:
    """The tags of the pool's Auto Scaling group, found through the node group as CA does."""
    ng = built.report.outputs["nodeGroups"][pool.name]
    found = built.client("eks").describe_nodegroup(clusterName=built.spec.cluster_name,
                                                   nodegroupName=ng)["nodegroup"]  # fmt: skip
    (group,) = found["resources"]["autoScalingGroups"]
    filters = [{"Name": "auto-scaling-group", "Values": [group["name"]]}]
    tags = built.client("autoscaling").describe_tags(Filters=filters)["Tags"]
    return {t["Key"]: t["Value"] for t in tags}


def node_template(tags: dict[str, str]) -> dict:
    """What cluster-autoscaler's AWS provider builds for a group at zero nodes."""
    labels, taints, resources = {}, [], {}
    for key, value in tags.items():
        if not key.startswith(TEMPLATE):
            continue
        kind, _, name = key[len(TEMPLATE) :].partition("/")
        if kind == "label":
            labels[name] = value
        elif kind == "taint":
            taint_value, _, effect = value.rpartition(":")
            taints.append({"key": name, "value": taint_value, "effect": effect})
        elif kind == "resources":
            resources[name] = value
    return {"labels": labels, "taints": taints, "resources": resources}


def job_pod(spec, pool) -> dict:
    """A whole-node job pod on `pool`, as `gpuforge launch` renders it."""
    from gpuforge.jobs import backends
    from gpuforge.jobs.fit import check_fit
    from gpuforge.jobs.spec import JobSpec

    job = JobSpec(
        name=f"fit-{pool.name}",
        image="pytorch/pytorch:2.13.0",
        pool=pool.name,
        nodes=1,
        command=["train.py"],
    )
    manifests = backends.render(check_fit(job, spec))
    template = next(m for m in manifests if m["kind"] == "Job")["spec"]["template"]["spec"]
    (container,) = template["containers"]
    limits = container["resources"]["limits"]
    return {
        "nodeSelector": template.get("nodeSelector", {}),
        "tolerations": template.get("tolerations", []),
        # CPU and memory come from the instance type itself; the tags carry the rest
        "limits": {name: value for name, value in limits.items() if "/" in name},
    }


def fits(pod: dict, template: dict) -> bool:
    """The scheduler predicates cluster-autoscaler runs against a template node."""
    labels = template["labels"]
    if any(labels.get(k) != v for k, v in pod["nodeSelector"].items()):
        return False
    for taint in template["taints"]:
        if taint["effect"] == "PreferNoSchedule":
            continue
        tolerated = any(
            t["key"] == taint["key"]
            and (t.get("operator") == "Exists" or t.get("value") == taint["value"])
            and t.get("effect") in (None, taint["effect"])
            for t in pod["tolerations"]
        )
        if not tolerated:
            return False
    have = template["resources"]
    return all(int(have.get(name, "0")) >= int(want) for name, want in pod["limits"].items())


def test_every_gpu_pool_group_carries_the_node_template_tags(built):
    for pool in built.spec.gpu_pools:
        tags = asg_tags(built, pool)
        wanted = pools.autoscaler_tags(pool, built.spec.cluster_name)
        assert {k: tags.get(k) for k in wanted} == wanted, pool.name
        template = node_template(tags)
        shape = pools.node_shape(pool)
        assert template["resources"][shape.accelerator_resource] == str(shape.accelerators)
        assert template["resources"].get(pools.EFA) == (
            str(pool.instance.network_cards) if pool.efa else None
        )
        assert template["resources"]["ephemeral-storage"] == f"{pool.disk_gib}Gi"
        assert template["labels"] == pools.node_labels(pool)
        delay = f"{built.spec.autoscaling.gpu_scale_down_delay_minutes}m0s"
        assert tags[cluster_autoscaler.SCALE_DOWN_OPTION] == delay
        assert set(tags) >= EKS_OWN_TAGS  # the group really is the one EKS made


def test_a_pending_job_matches_exactly_its_own_pool(built):
    templates = {p.name: node_template(asg_tags(built, p)) for p in built.spec.gpu_pools}
    for pool in built.spec.gpu_pools:
        pod = job_pod(built.spec, pool)
        matching = {name for name, template in templates.items() if fits(pod, template)}
        assert matching == {pool.name}, pool.name


def test_without_the_group_tags_a_pool_at_zero_could_not_scale_up(built):
    for pool in built.spec.gpu_pools:
        eks_only = {k: v for k, v in asg_tags(built, pool).items() if not k.startswith(TEMPLATE)}
        assert not fits(job_pod(built.spec, pool), node_template(eks_only))


def test_more_gpus_than_a_node_has_never_matches(built):
    for pool in built.spec.gpu_pools:
        pod = job_pod(built.spec, pool)
        shape = pools.node_shape(pool)
        pod["limits"][shape.accelerator_resource] = str(shape.accelerators + 1)
        assert not fits(pod, node_template(asg_tags(built, pool)))
