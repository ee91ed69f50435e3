"""One handler per EKS resource type, each in the same four steps: check the inputs
(`checks`), translate them to moto's call (`requests`), create what EKS creates beside
it (`effects`), answer the outputs (`outputs`)."""

from __future__ import annotations

from ... import _speedups
from .._base import Context, check_role, require
from . import checks, effects, outputs, requests


def cluster(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    _speedups.cached_eks_partitions()
    cluster_name = ctx.physical_name(name, inputs, prefix_key=None, kind="eks")
    check_role(ctx, require(inputs, "roleArn"))
    vpc_config = dict(require(inputs, "vpcConfig"))
    network = checks.cluster_network(ctx, vpc_config)
    log_types = checks.log_types(inputs)
    encryption = checks.secrets_encryption(ctx, inputs)
    access = inputs.get("accessConfig") or {}
    ctx.state.set_cluster_auth_mode(cluster_name, access.get("authenticationMode"))  # validates

    endpoint = requests.EndpointAccess.of(vpc_config)
    request = requests.create_cluster(
        cluster_name, inputs, network, endpoint, log_types, encryption, ctx.tags(inputs)
    )
    created = ctx.client("eks").create_cluster(**request)["cluster"]
    created.update(effects.own_endpoint_and_issuer(ctx, cluster_name))
    sg_id = effects.cluster_security_group(ctx, cluster_name, created["arn"], network.vpc_id)
    return cluster_name, outputs.cluster(
        ctx, created, inputs, request, endpoint, network.vpc_id, sg_id
    )


def node_group(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    _speedups.cached_eks_partitions()
    cluster_name = require(inputs, "clusterName")
    found = checks.describe_cluster(ctx, cluster_name)
    ng_name = ctx.physical_name(name, inputs, "nodeGroupName", "nodeGroupNamePrefix", kind="ng")
    check_role(ctx, require(inputs, "nodeRoleArn"), "nodeRoleArn")
    subnet_ids = checks.node_group_subnets(ctx, inputs)
    scaling = checks.scaling(inputs)
    taints = checks.taints(inputs)
    repair = checks.node_repair(inputs)
    template = inputs.get("launchTemplate")
    launch_template = checks.launch_template(ctx, template) if template else None
    if launch_template:
        checks.launch_template_user_data(ctx, launch_template, inputs.get("amiType"))

    request = requests.create_nodegroup(
        cluster_name,
        found.get("version"),
        ng_name,
        inputs,
        subnet_ids,
        scaling,
        taints,
        launch_template,
        ctx.tags(inputs),
    )
    created = ctx.client("eks").create_nodegroup(**request)["nodegroup"]
    for group in (created.get("resources") or {}).get("autoScalingGroups") or []:
        effects.auto_scaling_group(ctx, group["name"], cluster_name, ng_name, request)
    answer = outputs.node_group(created, request)
    if repair is not None:  # moto keeps no nodeRepairConfig: answered as EKS echoes it
        answer["nodeRepairConfig"] = repair
    return f"{cluster_name}:{ng_name}", answer


def addon(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    cluster_name = require(inputs, "clusterName")
    found_cluster = checks.describe_cluster(ctx, cluster_name)
    checks.addon_roles_and_config(ctx, inputs)
    found = ctx.state.create_addon(
        cluster_name,
        require(inputs, "addonName"),
        inputs.get("addonVersion"),
        inputs.get("serviceAccountRoleArn"),
        inputs.get("configurationValues"),
        kubernetes_version=found_cluster["version"],
    )
    return f"{cluster_name}:{found.name}", {
        "arn": found.arn,
        "addonVersion": found.version,
        "createdAt": found.created_at,
        "modifiedAt": found.created_at,
        "tagsAll": ctx.tags(inputs),
    }


def access_entry(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    cluster_name = require(inputs, "clusterName")
    checks.describe_cluster(ctx, cluster_name)
    principal = require(inputs, "principalArn")
    checks.principal(ctx, principal)
    entry = ctx.state.create_access_entry(
        cluster_name,
        principal,
        inputs.get("type"),
        inputs.get("userName"),
        inputs.get("kubernetesGroups"),
    )
    return f"{cluster_name}:{principal}", {
        "accessEntryArn": entry.arn,
        "createdAt": entry.created_at,
        "modifiedAt": entry.created_at,
        "type": entry.type,
        "userName": entry.username,
        "kubernetesGroups": entry.kubernetes_groups,
        "tagsAll": ctx.tags(inputs),
    }


def access_policy_association(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    cluster_name = require(inputs, "clusterName")
    checks.describe_cluster(ctx, cluster_name)
    principal = require(inputs, "principalArn")
    policy_arn = require(inputs, "policyArn")
    scope = require(inputs, "accessScope")
    assoc = ctx.state.associate_access_policy(
        cluster_name, principal, policy_arn, scope.get("type"), scope.get("namespaces")
    )
    return f"{cluster_name}#{principal}#{policy_arn}", {
        "associatedAt": assoc.associated_at,
        "modifiedAt": assoc.associated_at,
    }


def pod_identity_association(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    cluster_name = require(inputs, "clusterName")
    checks.describe_cluster(ctx, cluster_name)
    role_arn = require(inputs, "roleArn")
    check_role(ctx, role_arn)
    if inputs.get("targetRoleArn"):
        check_role(ctx, inputs["targetRoleArn"], "targetRoleArn")
    assoc = ctx.state.create_pod_identity_association(
        cluster_name, require(inputs, "namespace"), require(inputs, "serviceAccount"), role_arn
    )
    return assoc.association_id, {
        "associationArn": assoc.arn,
        "associationId": assoc.association_id,
        "tagsAll": ctx.tags(inputs),
    }


def get_cluster(ctx: Context, args: dict) -> dict:
    """`aws:eks/getCluster`: what the runtime layer reads of a cluster another stack made.

    ResourceNotFoundException when no cluster has the name, as EKS answers.
    """
    name = require(args, "name")
    return outputs.get_cluster(name, ctx.client("eks").describe_cluster(name=name)["cluster"])
