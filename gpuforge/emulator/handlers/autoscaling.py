"""EC2 Auto Scaling: tags on the groups EKS creates for managed node groups.

``aws:autoscaling/tag:Tag`` puts one tag on an existing group (moto's
``create_or_update_tags``); AWS answers ValidationError for a group that does not
exist, and so does the emulator. The groups data source (``getAmiIds``) filters
groups through moto's ``describe_auto_scaling_groups``. The groups themselves are
created by the EKS node group handler, as EKS creates them.
"""

from __future__ import annotations

from ..errors import AwsError
from ._base import Context, boolish, require


def tag(ctx: Context, name: str, inputs: dict) -> tuple[str, dict]:
    group = require(inputs, "autoscalingGroupName")
    spec = require(inputs, "tag")
    key, value = require(spec, "key"), spec.get("value", "")
    client = ctx.client("autoscaling")
    ctx.lookup("asg", group, lambda: _existing_group(client, group))
    client.create_or_update_tags(
        Tags=[
            {
                "ResourceId": group,
                "ResourceType": "auto-scaling-group",
                "Key": key,
                "Value": value,
                "PropagateAtLaunch": bool(boolish(spec.get("propagateAtLaunch", False))),
            }
        ]
    )
    return f"{group},{key}", {}


def _existing_group(client, group: str) -> dict:
    found = client.describe_auto_scaling_groups(AutoScalingGroupNames=[group])
    if not found["AutoScalingGroups"]:
        raise AwsError("ValidationError", f"AutoScalingGroup name not found - {group}")
    return found["AutoScalingGroups"][0]


def get_groups(ctx: Context, args: dict) -> dict:
    """`aws:autoscaling/getAmiIds` (pulumi-aws's name for the groups data source): the
    names and ARNs of the groups matching every filter (`tag:<key>`, `tag-key`, ...)."""
    filters = [{"Name": f["name"], "Values": list(f["values"])} for f in args.get("filters") or []]
    found = ctx.client("autoscaling").describe_auto_scaling_groups(Filters=filters)
    groups = sorted(found["AutoScalingGroups"], key=lambda g: g["AutoScalingGroupName"])
    return {
        "id": ctx.region,
        "names": [g["AutoScalingGroupName"] for g in groups],
        "arns": [g["AutoScalingGroupARN"] for g in groups],
    }


INVOKES = {"aws:autoscaling/getAmiIds:getAmiIds": get_groups}

HANDLERS = {"aws:autoscaling/tag:Tag": tag}
STATE_BACKED: set[str] = set()
