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
    tags(ctx, [inputs])
    answer = tag_answer(name, inputs)
    assert answer is not None  # tags() required both
    return answer


def tags(ctx: Context, many: list[dict]) -> None:
    """Put the tags of several Tag resources with one ``create_or_update_tags`` call
    (the API takes a list; AWS applies it whole or refuses it whole), each group
    checked to exist first. `emulator.worker` batches the tags a node group's pool
    registers in a row this way: one boto3 call validates them all."""
    requests = []
    for inputs in many:
        group = require(inputs, "autoscalingGroupName")
        spec = require(inputs, "tag")
        requests.append(
            {
                "ResourceId": group,
                "ResourceType": "auto-scaling-group",
                "Key": require(spec, "key"),
                "Value": spec.get("value", ""),
                "PropagateAtLaunch": bool(boolish(spec.get("propagateAtLaunch", False))),
            }
        )
    client = ctx.client("autoscaling")
    for group in dict.fromkeys(r["ResourceId"] for r in requests):
        ctx.lookup("asg", group, lambda group=group: _existing_group(client, group))
    client.create_or_update_tags(Tags=requests)


def tag_answer(name: str, inputs: dict) -> tuple[str, dict] | None:
    """What `tag` answers when it succeeds, known from the inputs alone (None when they
    lack what it needs): the worker's parent answers a Tag with it without waiting."""
    group, spec = inputs.get("autoscalingGroupName"), inputs.get("tag")
    key = spec.get("key") if isinstance(spec, dict) else None
    if not (isinstance(group, str) and group and isinstance(key, str) and key):
        return None
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
BATCHED = {"aws:autoscaling/tag:Tag": tags}
ANSWERED_AHEAD = {"aws:autoscaling/tag:Tag": tag_answer}
STATE_BACKED: set[str] = set()
