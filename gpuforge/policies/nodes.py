"""EKS node groups and their launch templates: IMDSv2, no SSH, GPU taints, EFA placement,
EBS volumes under a customer managed key.

Node group -> launch template: the node group's `launchTemplate.name` (or `.id`) is matched
against the launch template's `name` prop, `id` prop and logical name (see `Stack.find`).
Components should give launch templates an explicit `name` and pass
`launch_template={"name": lt.name, "version": ...}` so the match is known at preview.
"""

from __future__ import annotations

import re
from typing import Any

from gpuforge.model.names import POOL_KEY

from .context import RuleContext
from .declarative import is_set, key_rule
from .rule import rule
from .stack import Resource, Stack
from .values import MISSING, UNKNOWN, as_list, get, tags_of

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
PLACEMENT_GROUP = "aws:ec2/placementGroup:PlacementGroup"

GPU_TAINT_KEY = "nvidia.com/gpu"
_ACCELERATOR = re.compile(
    r"(p[0-9]+|g[0-9]+|gr[0-9]+|trn[0-9]+|inf[0-9]+|dl[0-9]+)[a-z]*\.", re.IGNORECASE
)


def is_accelerator_type(instance_type: Any) -> bool:
    """True for GPU/accelerator instance types (p*, g*, gr*, trn*, inf*, dl* families)."""
    return isinstance(instance_type, str) and bool(
        _ACCELERATOR.match(instance_type)
    )  # a prefix: the family


def launch_template_of(ng: Resource, stack: Stack) -> Any:
    """The node group's launch template resource, None without one, UNKNOWN if unresolvable."""
    lt = ng.get("launchTemplate")
    if lt is MISSING:
        return None
    if lt is UNKNOWN:
        return UNKNOWN
    ref = get(lt, "name")
    if ref is MISSING:
        ref = get(lt, "id", computed=True)
    found = stack.find([LAUNCH_TEMPLATE], ref, name_prop="name")
    # A reference that matches nothing in this stack (a template made elsewhere) is unknown.
    return UNKNOWN if found is None else found


def instance_types_of(ng: Resource, stack: Stack) -> Any:
    """The node group's instance types (its own list, else its launch template's); or UNKNOWN."""
    types = as_list(ng.get("instanceTypes"))
    if types is UNKNOWN or UNKNOWN in types:
        return UNKNOWN
    if types:
        return types
    lt = launch_template_of(ng, stack)
    if lt is UNKNOWN:
        return UNKNOWN
    if lt is None:
        return ["t3.medium"]  # EKS's default for managed node groups
    itype = lt.get("instanceType")
    if itype is UNKNOWN:
        return UNKNOWN
    return [] if itype is MISSING else [itype]


def is_gpu_node_group(ng: Resource, stack: Stack) -> Any:
    """True if tagged `gpuforge.dev/pool`, on a GPU AMI type or an accelerator instance type."""
    if POOL_KEY in tags_of(ng.props):
        return True
    ami = ng.get("amiType")
    if isinstance(ami, str) and ("GPU" in ami or "NVIDIA" in ami or "NEURON" in ami):
        return True
    types = instance_types_of(ng, stack)
    if types is UNKNOWN:
        return UNKNOWN
    return any(is_accelerator_type(t) for t in types)


def uses_efa(lt: Resource) -> Any:
    nics = as_list(lt.get("networkInterfaces"))
    if nics is UNKNOWN:
        return UNKNOWN
    kinds = [get(n, "interfaceType") for n in nics]
    if any(k in ("efa", "efa-only") for k in kinds):
        return True
    return UNKNOWN if UNKNOWN in kinds else False


key_rule(
    "GF-NODE-001",
    "Ensure launch templates require IMDSv2 (session tokens)",
    severity="high",
    types=[LAUNCH_TEMPLATE],
    path="metadataOptions.httpTokens",
    equals="required",
    fix="set metadataOptions.httpTokens='required'",
    checkov=["CKV_AWS_79"],
)

key_rule(
    "GF-NODE-002",
    "Ensure launch templates set the IMDS response hop limit to 1",
    severity="medium",
    types=[LAUNCH_TEMPLATE],
    path="metadataOptions.httpPutResponseHopLimit",
    equals=1,
    fix="set metadataOptions.httpPutResponseHopLimit=1 so pods cannot reach the node's "
    "credentials (use EKS Pod Identity or IRSA instead)",
    checkov=["CKV_AWS_341"],
)


@rule(
    "GF-NODE-003",
    "Ensure EKS nodes allow no SSH access (no remote access, no key pair)",
    severity="high",
    types=[NODE_GROUP, LAUNCH_TEMPLATE],
    checkov=["CKV_AWS_100"],
)
def no_ssh(res: Resource, ctx: RuleContext):
    what = "remoteAccess" if res.type == NODE_GROUP else "keyName"
    value = res.get(what)
    if value is UNKNOWN:
        yield UNKNOWN
    elif value is not MISSING and value not in ("", {}):
        yield f"{what} is set: remove it and reach nodes through SSM Session Manager"


@rule(
    "GF-NODE-004",
    "Ensure GPU node groups carry the nvidia.com/gpu NoSchedule taint",
    severity="medium",
    types=[NODE_GROUP],
    stack=True,
)
def gpu_taint(ng: Resource, stack: Stack, ctx: RuleContext):
    gpu = is_gpu_node_group(ng, stack)
    if gpu is False:
        return
    taints = as_list(ng.get("taints"))
    if gpu is UNKNOWN or taints is UNKNOWN:
        yield UNKNOWN
        return
    pairs = [(get(t, "key"), get(t, "effect")) for t in taints]
    if (GPU_TAINT_KEY, "NO_SCHEDULE") in pairs:
        return
    if any(UNKNOWN in p for p in pairs):
        yield UNKNOWN
        return
    yield (
        "this GPU node group has no nvidia.com/gpu taint: add "
        "{key: 'nvidia.com/gpu', value: 'true', effect: 'NO_SCHEDULE'} so only GPU pods land"
    )


def on_reserved_capacity(lt: Resource) -> Any:
    """Whether the template launches into a capacity block or a targeted capacity
    reservation; UNKNOWN if unknown."""
    market = lt.get("instanceMarketOptions.marketType")
    target = lt.get("capacityReservationSpecification.capacityReservationTarget")
    if market == "capacity-block" or target not in (MISSING, UNKNOWN, None, {}):
        return True
    return UNKNOWN if UNKNOWN in (market, target) else False


@rule(
    "GF-NODE-005",
    "Ensure EFA launch templates use a cluster placement group, but none on reserved capacity",
    severity="high",
    types=[LAUNCH_TEMPLATE],
    stack=True,
)
def efa_placement_group(lt: Resource, stack: Stack, ctx: RuleContext):
    efa = uses_efa(lt)
    if efa is False:
        return
    group = lt.get("placement.groupName")
    reserved = on_reserved_capacity(lt)
    if UNKNOWN in (efa, group, reserved):
        yield UNKNOWN
        return
    if reserved:
        # Capacity blocks are placed already; a placement group on reserved capacity is
        # what eksctl#7949 and terraform-aws-eks#3730 report failing (docs/runtime.md).
        if group not in (MISSING, ""):
            yield (
                f"this launch template targets reserved capacity but also placement group "
                f"{group!r}: remove placement.groupName, the reservation is already placed"
            )
        return
    if group is MISSING or group == "":
        yield (
            "this launch template attaches EFA interfaces but sets no placement.groupName: "
            "create a PlacementGroup with strategy='cluster' and reference it"
        )
        return
    pg = stack.find([PLACEMENT_GROUP], group, name_prop="name")
    if pg is None or pg is UNKNOWN:
        return  # a placement group made elsewhere: its strategy is not ours to check
    strategy = pg.get("strategy")
    if strategy is UNKNOWN:
        yield UNKNOWN
    elif strategy != "cluster":
        yield f"placement group {pg.name} has strategy {strategy!r}: EFA needs 'cluster'"


@rule(
    "GF-NODE-006",
    "Ensure EFA node groups span exactly one subnet (one availability zone)",
    severity="high",
    types=[NODE_GROUP],
    stack=True,
)
def efa_single_subnet(ng: Resource, stack: Stack, ctx: RuleContext):
    lt = launch_template_of(ng, stack)
    if lt is None:
        return
    efa = UNKNOWN if lt is UNKNOWN else uses_efa(lt)
    if efa is False:
        return
    subnets = as_list(ng.get("subnetIds"))
    if efa is UNKNOWN or subnets is UNKNOWN:
        yield UNKNOWN
    elif len(subnets) != 1:
        yield (
            f"this EFA node group lists {len(subnets)} subnets: give it exactly one, so all "
            "nodes share one AZ and one placement group"
        )


key_rule(
    "GF-NODE-007",
    "Ensure EKS node groups use a launch template (so IMDS settings are ours)",
    severity="medium",
    types=[NODE_GROUP],
    path="launchTemplate",
    test=is_set,
    fix="give the node group a launch template with metadataOptions httpTokens='required' "
    "and httpPutResponseHopLimit=1",
)


def _customer_managed_key(key: Any) -> Any:
    """A KMS key id/ARN/alias that is not an AWS managed key (`aws/ebs`); UNKNOWN if unknown."""
    if key is UNKNOWN:
        return UNKNOWN
    return isinstance(key, str) and bool(key) and "alias/aws/" not in key


@rule(
    "GF-NODE-008",
    "Ensure launch templates encrypt EBS volumes with a customer managed KMS key",
    severity="medium",
    types=[LAUNCH_TEMPLATE],
    checkov=["CKV_AWS_8"],
    trivy=["AVD-AWS-0008"],
)
def volumes_use_cmk(lt: Resource, ctx: RuleContext):
    mappings = as_list(lt.get("blockDeviceMappings"))
    if mappings is UNKNOWN:
        yield UNKNOWN
        return
    if not mappings:
        yield (
            "no blockDeviceMappings: the root volume follows the AMI and the account default "
            "(aws/ebs at best): map it with ebs.encrypted='true' and ebs.kmsKeyId=<your CMK>"
        )
        return
    for i, mapping in enumerate(mappings):
        if mapping is UNKNOWN:
            yield UNKNOWN
            continue
        ebs = get(mapping, "ebs")
        if ebs is MISSING:
            continue  # an instance-store (virtualName) or suppressed device: no EBS volume
        device = get(mapping, "deviceName")
        where = device if isinstance(device, str) else f"#{i}"
        encrypted = get(ebs, "encrypted")
        cmk = _customer_managed_key(get(ebs, "kmsKeyId"))
        if encrypted is UNKNOWN or cmk is UNKNOWN:
            yield UNKNOWN
        elif encrypted not in (True, "true") or not cmk:
            yield (
                f"volume {where} is not encrypted with a customer managed key: set "
                "ebs.encrypted='true' and ebs.kmsKeyId=<your CMK> (not aws/ebs)"
            )


@rule(
    "GF-NODE-009",
    "Ensure GPU node groups have EKS node auto repair enabled",
    severity="medium",
    types=[NODE_GROUP],
    stack=True,
)
def gpu_node_repair(ng: Resource, stack: Stack, ctx: RuleContext):
    """A GPU that raises a fatal XID sets `AcceleratedHardwareReady=False` (the EKS node
    monitoring agent); only node auto repair reboots or replaces that node
    (https://docs.aws.amazon.com/eks/latest/userguide/node-repair.html)."""
    gpu = is_gpu_node_group(ng, stack)
    if gpu is False:
        return
    enabled = ng.get("nodeRepairConfig.enabled")
    if gpu is UNKNOWN or enabled is UNKNOWN:
        yield UNKNOWN
    elif enabled not in (True, "true"):
        yield (
            "node auto repair is off on this GPU node group: set nodeRepairConfig.enabled=true "
            "so EKS reboots or replaces a node whose GPU reports AcceleratedHardwareReady=False"
        )
