"""What AWS checks on an EKS request and moto does not: each check reads the Pulumi inputs
and the account, raises the error AWS answers, and returns the checked values.

Nothing here creates or changes anything in the account.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from gpuforge.model import node_health
from gpuforge.model.names import CONTROL_PLANE_LOG_TYPES

from ...errors import AwsError
from .._base import Context, check_kms_key, check_role, num, require
from . import user_data

LOG_TYPES = CONTROL_PLANE_LOG_TYPES  # what AWS accepts: every type there is
TAINT_EFFECTS = ("NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE")
# The EKS API's NodeRepairConfig (botocore data/eks/2017-11-01/service-2.json: shapes
# NodeRepairConfig, NodeRepairConfigOverrides, RepairAction, NonZeroInteger, PercentCapacity).
REPAIR_ACTIONS = ("Replace", "Reboot", "NoAction")
_REPAIR_PAIRS = (
    ("maxUnhealthyNodeThresholdCount", "maxUnhealthyNodeThresholdPercentage"),
    ("maxParallelNodesRepairedCount", "maxParallelNodesRepairedPercentage"),
)


@dataclass(frozen=True)
class ClusterNetwork:
    """A cluster's checked subnets (in at least two AZs of one VPC) and security groups."""

    subnet_ids: list[str]
    vpc_id: str
    security_group_ids: list[str]


@dataclass(frozen=True)
class Scaling:
    """A node group's checked sizes: 0 <= min <= desired <= max and max >= 1."""

    low: Any
    want: Any
    high: Any


def describe_cluster(ctx: Context, cluster: str) -> dict:
    """The cluster as `describe_cluster` answers; ResourceNotFoundException when missing."""
    return ctx.lookup(
        "eks-cluster", cluster, lambda: ctx.client("eks").describe_cluster(name=cluster)["cluster"]
    )


def cluster_network(ctx: Context, vpc_config: dict) -> ClusterNetwork:
    """Subnets that exist, in at least two AZs and one VPC; security groups that exist."""
    ec2 = ctx.client("ec2")
    subnet_ids = list(vpc_config.get("subnetIds") or [])
    subnets = ec2.describe_subnets(SubnetIds=subnet_ids)["Subnets"] if subnet_ids else []
    if len({s["AvailabilityZone"] for s in subnets}) < 2:
        raise AwsError(
            "InvalidParameterException",
            "Subnets specified must be in at least two different AZs",
        )
    vpcs = {s["VpcId"] for s in subnets}
    if len(vpcs) > 1:
        raise AwsError(
            "InvalidParameterException", f"Subnets must all be in the same VPC, not {sorted(vpcs)}"
        )
    sg_ids = list(vpc_config.get("securityGroupIds") or [])
    if sg_ids:
        ec2.describe_security_groups(GroupIds=sg_ids)  # InvalidGroup.NotFound
    return ClusterNetwork(subnet_ids, subnets[0]["VpcId"], sg_ids)


def log_types(inputs: dict) -> list[str]:
    """The control plane log types to enable, each one AWS knows."""
    found = list(inputs.get("enabledClusterLogTypes") or [])
    bad = sorted(set(found) - set(LOG_TYPES))
    if bad:
        raise AwsError(
            "InvalidParameterException",
            f"The type for cluster logging {bad} is not valid; valid types: {list(LOG_TYPES)}",
        )
    return found


def secrets_encryption(ctx: Context, inputs: dict) -> dict | None:
    """The `encryptionConfig` (either pulumi-aws shape), its key existing and symmetric."""
    encryption = inputs.get("encryptionConfig")
    if isinstance(encryption, list):  # pulumi-aws <= 5 shape
        encryption = encryption[0] if encryption else None
    if not encryption:
        return None
    key_arn = require(encryption.get("provider") or {}, "keyArn")
    meta = check_kms_key(ctx, key_arn)
    if meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        raise AwsError("InvalidParameterException", "Secrets encryption needs a symmetric key")
    return {"resources": encryption.get("resources") or ["secrets"], "keyArn": key_arn}


def node_group_subnets(ctx: Context, inputs: dict) -> list[str]:
    """The node group's subnets, each existing (InvalidSubnetID.NotFound)."""
    ec2 = ctx.client("ec2")
    subnet_ids = list(require(inputs, "subnetIds"))
    ctx.lookup("subnets", ",".join(subnet_ids), lambda: ec2.describe_subnets(SubnetIds=subnet_ids))
    return subnet_ids


def scaling(inputs: dict) -> Scaling:
    sizes = {k: num(v) for k, v in require(inputs, "scalingConfig").items()}
    low, want, high = sizes.get("minSize", 0), sizes.get("desiredSize", 0), sizes.get("maxSize", 0)
    if high < 1 or not low <= want <= high:
        raise AwsError(
            "InvalidParameterException",
            f"Scaling config must satisfy 0 <= minSize ({low}) <= desiredSize ({want}) "
            f"<= maxSize ({high}) and maxSize >= 1",
        )
    return Scaling(low, want, high)


def taints(inputs: dict) -> list[dict]:
    """The taints, each with an effect AWS knows, unset fields left out."""
    out = []
    for taint in inputs.get("taints") or []:
        if taint.get("effect") not in TAINT_EFFECTS:
            raise AwsError(
                "InvalidParameterException",
                f"Taint effect {taint.get('effect')!r} is not one of {list(TAINT_EFFECTS)}",
            )
        out.append({k: taint[k] for k in ("key", "value", "effect") if taint.get(k) is not None})
    return out


def node_repair(inputs: dict) -> dict | None:
    """The node group's `nodeRepairConfig` as EKS checks it: counts >= 1, percentages 1-100,
    a count and a percentage of the same limit not both, overrides complete with a known
    action. None when unset (EKS then leaves repair off)."""
    config = inputs.get("nodeRepairConfig")
    if not config:
        return None
    bad = "InvalidParameterException"
    for count, percent in _REPAIR_PAIRS:
        if config.get(count) is not None and config.get(percent) is not None:
            raise AwsError(bad, f"nodeRepairConfig: {count} and {percent} cannot both be set")
        if config.get(count) is not None and num(config[count]) < 1:
            raise AwsError(bad, f"nodeRepairConfig.{count} must be at least 1")
        if config.get(percent) is not None and not 1 <= num(config[percent]) <= 100:
            raise AwsError(bad, f"nodeRepairConfig.{percent} must be between 1 and 100")
    for i, override in enumerate(config.get("nodeRepairConfigOverrides") or []):
        where = f"nodeRepairConfig.nodeRepairConfigOverrides[{i}]"
        for key in ("nodeMonitoringCondition", "nodeUnhealthyReason", "minRepairWaitTimeMins"):
            if override.get(key) in (None, ""):
                raise AwsError(bad, f"{where}.{key} is required")
        if override.get("repairAction") not in REPAIR_ACTIONS:
            raise AwsError(
                bad,
                f"{where}.repairAction {override.get('repairAction')!r} is not one of "
                f"{list(REPAIR_ACTIONS)}",
            )
    return {k: v for k, v in config.items() if v is not None}


def launch_template_user_data(ctx: Context, template: dict, ami_type: str | None) -> None:
    """The version's user data is what a node group of `ami_type` can use (`user_data`)."""
    found = ctx.client("ec2").describe_launch_template_versions(
        LaunchTemplateId=template["id"], Versions=[template["version"]]
    )["LaunchTemplateVersions"]
    data = (found[0].get("LaunchTemplateData") or {}) if found else {}
    user_data.check(ami_type, data.get("ImageId"), data.get("UserData"))


def launch_template(ctx: Context, template: dict) -> dict:
    """`{id, version}` of a launch template that exists and has that version."""
    ec2 = ctx.client("ec2")
    version = str(template.get("version") or "$Default")
    if template.get("id"):
        found = ec2.describe_launch_templates(LaunchTemplateIds=[template["id"]])
    elif template.get("name"):
        found = ec2.describe_launch_templates(LaunchTemplateNames=[template["name"]])
    else:
        raise AwsError("InvalidParameterException", "launchTemplate needs an id or a name")
    lt = found["LaunchTemplates"][0]
    latest = num(lt.get("LatestVersionNumber", 1))
    if version not in ("$Latest", "$Default") and (
        not (version.isascii() and version.isdigit()) or not 1 <= int(version) <= latest
    ):
        raise AwsError(
            "InvalidParameterException",
            f"Launch template {lt['LaunchTemplateId']} has no version {version} "
            f"(latest is {latest})",
        )
    return {"id": lt["LaunchTemplateId"], "version": version}


def addon_roles_and_config(ctx: Context, inputs: dict) -> None:
    """The add-on's service account role and pod identity roles exist; JSON config parses."""
    role_arn = inputs.get("serviceAccountRoleArn")
    if role_arn:
        check_role(ctx, role_arn, "serviceAccountRoleArn")
    for assoc in inputs.get("podIdentityAssociations") or []:
        check_role(ctx, require(assoc, "roleArn"))
    config = inputs.get("configurationValues")
    if config and config.lstrip().startswith("{"):
        try:
            values = json.loads(config)
        except ValueError as exc:
            raise AwsError(
                "InvalidParameterException", f"configurationValues is not valid JSON: {exc}"
            ) from None
        addon_configuration(inputs.get("addonName"), values)


def addon_configuration(addon: str | None, values: Any) -> None:
    """Configuration values against the add-on's published schema, where the emulator has
    it (what `describe-addon-configuration` serves and EKS checks on create): the node
    monitoring agent's, vendored from its repository (`node_health.node_monitoring_schema`)."""
    if addon != node_health.NODE_MONITORING_ADDON:
        return
    import jsonschema

    error = jsonschema.exceptions.best_match(
        jsonschema.Draft7Validator(node_health.node_monitoring_schema()).iter_errors(values)
    )
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path) or "(root)"
        raise AwsError(
            "InvalidParameterException",
            f"ConfigurationValue provided in request is not supported: {where}: {error.message}",
        )


def principal(ctx: Context, principal_arn: str) -> None:
    """An access entry's principal: a role or a user that exists."""
    if ":role/" in principal_arn:
        check_role(ctx, principal_arn, "principalArn")
    elif ":user/" in principal_arn:
        ctx.client("iam").get_user(UserName=principal_arn.rsplit("/", 1)[-1])
    else:
        raise AwsError(
            "InvalidParameterException",
            f"The specified principalArn is invalid: invalid principal {principal_arn}",
        )
