"""The training runtime and elastic capacity: scale-from-zero tags, an autoscaler, device
plugins, a GPU quota, a scoped autoscaler role, pinned charts (GF-RUN-*).

How the rules find things:

- a GPU pool's Auto Scaling group tags are `aws:autoscaling/tag:Tag` resources; the
  group of pool P is the `autoscalingGroupName` of the Tag whose key is
  `k8s.io/cluster-autoscaler/node-template/label/gpuforge.dev/pool` and whose value
  is P (the node group names its pool in its `gpuforge.dev/pool` tag);
- charts are `kubernetes:helm.sh/v3:Release`s, recognised by chart name;
- the training namespace is the one that holds the `training` service account.

An environment split into an `aws` and a `runtime` stack (docs/runtime.md) has its
node groups and its charts in different stacks, so the rules that ask for a chart
because of a node group are advisory: in the `aws` stack they say what the runtime
stack must bring. Nothing here imports pulumi.
"""

from __future__ import annotations

import re
from typing import Any

from gpuforge.model.names import (
    NODE_TEMPLATE_TAG_PREFIX,
    POOL_KEY,
    TRAINING_SERVICE_ACCOUNT,
    node_template_tag,
)

from .context import RuleContext
from .declarative import key_rule
from .iam import POLICY_TYPES, _allow_statements
from .nodes import LAUNCH_TEMPLATE, NODE_GROUP, is_gpu_node_group, uses_efa
from .rule import rule
from .stack import Resource, Stack
from .values import UNKNOWN, is_unknown, statement_list, tags_of

ASG_TAG = "aws:autoscaling/tag:Tag"
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"

POOL_LABEL_TAG = node_template_tag("label", POOL_KEY)
GPU_QUOTA_KEYS = ("requests.nvidia.com/gpu", "requests.aws.amazon.com/neuron")
SCALING_WRITES = frozenset(
    {
        "autoscaling:SetDesiredCapacity",
        "autoscaling:TerminateInstanceInAutoScalingGroup",
        "autoscaling:UpdateAutoScalingGroup",
    }
)
_EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


def _can_scale(ng: Resource) -> Any:
    """True when the node group's min is below its max; UNKNOWN when not known."""
    low, high = ng.get("scalingConfig.minSize"), ng.get("scalingConfig.maxSize")
    if UNKNOWN in (low, high):
        return UNKNOWN
    if not isinstance(low, int | float) or not isinstance(high, int | float):
        return False
    return low < high


def _charts(stack: Stack, *fragments: str) -> list[Resource]:
    """Releases whose chart name contains one of `fragments`."""
    out = []
    for release in stack.of_type(RELEASE):
        chart = release.get("chart")
        if isinstance(chart, str) and any(f in chart for f in fragments):
            out.append(release)
    return out


def _chart_check(stack: Stack, fragments: tuple[str, ...], what: str):
    found = _charts(stack, *fragments)
    if found:
        return
    if any(r.get("chart") is UNKNOWN for r in stack.of_type(RELEASE)):
        yield UNKNOWN
        return
    yield what


@rule(
    "GF-RUN-001",
    "Ensure every GPU pool that can scale has scale-from-zero tags on its Auto Scaling group",
    severity="high",
    types=[NODE_GROUP],
    stack=True,
)
def scale_from_zero_tags(ng: Resource, stack: Stack, ctx: RuleContext):
    gpu, scales = is_gpu_node_group(ng, stack), _can_scale(ng)
    if gpu is False or scales is False:
        return
    if UNKNOWN in (gpu, scales):
        yield UNKNOWN
        return
    pool = tags_of(ng.props).get(POOL_KEY)
    if is_unknown(pool):
        yield UNKNOWN
        return
    tags = stack.derived("asg-tags", _asg_tags)
    unknown = any(UNKNOWN in tag for tag in tags)
    groups = {
        group
        for key, value, group in tags
        if UNKNOWN not in (key, value, group) and key == POOL_LABEL_TAG and value == pool
    }
    on_group = [key for key, _, group in tags if group in groups]
    needed = {f"{NODE_TEMPLATE_TAG_PREFIX}resources/", f"{NODE_TEMPLATE_TAG_PREFIX}taint/"}
    if groups and all(any(str(k).startswith(n) for k in on_group) for n in needed):
        return
    if unknown:
        yield UNKNOWN
        return
    yield (
        f"GPU pool {pool if isinstance(pool, str) else '(no gpuforge.dev/pool tag)'} can scale "
        "but its Auto Scaling group carries no node-template tags: EKS does not copy them from "
        "the node group, so tag the group (aws.autoscaling.Tag) with its labels, taints and "
        "nvidia.com/gpu count or it never scales up from zero"
    )


def _asg_tags(stack: Stack) -> list[tuple[Any, Any, Any]]:
    """(key, value, group) of every Auto Scaling group tag of the stack."""
    return [
        (t.get("tag.key"), t.get("tag.value"), t.get("autoscalingGroupName", computed=True))
        for t in stack.of_type(ASG_TAG)
    ]


@rule(
    "GF-RUN-002",
    "Ensure a cluster autoscaler is installed when a node group can scale (min < max)",
    severity="medium",
    enforcement="advisory",
    types=[NODE_GROUP],
    stack=True,
)
def autoscaler_present(ng: Resource, stack: Stack, ctx: RuleContext):
    scales = _can_scale(ng)
    if scales is False:
        return
    if scales is UNKNOWN:
        yield UNKNOWN
        return
    yield from _chart_check(
        stack,
        ("cluster-autoscaler", "karpenter"),
        "this node group can scale but no cluster-autoscaler chart is declared: install it "
        "(autoscaling.enabled) or pending pods wait forever; a split `aws` stack gets it "
        "from its `runtime` stack",
    )


@rule(
    "GF-RUN-003",
    "Ensure the NVIDIA device plugin is installed when there are NVIDIA GPU node groups",
    severity="high",
    enforcement="advisory",
    types=[NODE_GROUP],
    stack=True,
)
def nvidia_plugin_present(ng: Resource, stack: Stack, ctx: RuleContext):
    gpu = is_gpu_node_group(ng, stack)
    if gpu is False:
        return
    ami = ng.get("amiType")
    if isinstance(ami, str) and "NEURON" in ami:
        return
    if gpu is UNKNOWN:
        yield UNKNOWN
        return
    yield from _chart_check(
        stack,
        ("nvidia-device-plugin", "gpu-operator"),
        "GPU nodes but no NVIDIA device plugin chart: pods cannot request nvidia.com/gpu "
        "until one runs on those nodes",
    )


@rule(
    "GF-RUN-004",
    "Ensure the EFA device plugin is installed when a launch template attaches EFA",
    severity="high",
    enforcement="advisory",
    types=[LAUNCH_TEMPLATE],
    stack=True,
)
def efa_plugin_present(lt: Resource, stack: Stack, ctx: RuleContext):
    efa = uses_efa(lt)
    if efa is False:
        return
    if efa is UNKNOWN:
        yield UNKNOWN
        return
    yield from _chart_check(
        stack,
        ("aws-efa-k8s-device-plugin",),
        "EFA interfaces but no EFA device plugin chart: pods cannot request "
        "vpc.amazonaws.com/efa and NCCL falls back to TCP",
    )


@rule(
    "GF-RUN-005",
    "Ensure the training namespace has a ResourceQuota on GPU requests",
    severity="medium",
    types=[NAMESPACE],
    stack=True,
)
def training_gpu_quota(ns: Resource, stack: Stack, ctx: RuleContext):
    name = ns.get("metadata.name")
    if name is UNKNOWN:
        yield UNKNOWN
        return
    holds_training = False
    for sa in stack.of_type(SERVICE_ACCOUNT):
        where, sa_name = sa.get("metadata.namespace"), sa.get("metadata.name")
        if UNKNOWN in (where, sa_name):
            yield UNKNOWN
            return
        holds_training |= (where, sa_name) == (name, TRAINING_SERVICE_ACCOUNT)
    if not holds_training:
        return
    unknown = False
    for quota in stack.of_type(RESOURCE_QUOTA):
        where, hard = quota.get("metadata.namespace"), quota.get("spec.hard")
        if UNKNOWN in (where, hard):
            unknown = True
        elif where == name and isinstance(hard, dict) and any(k in hard for k in GPU_QUOTA_KEYS):
            return
    if unknown:
        yield UNKNOWN
        return
    yield (
        f"namespace {name} runs training jobs but has no ResourceQuota on "
        "requests.nvidia.com/gpu: add one (training.max_gpus) so one team cannot take every GPU"
    )


@rule(
    "GF-RUN-006",
    "Ensure roles that scale Auto Scaling groups name the groups, never Resource *",
    severity="high",
    types=POLICY_TYPES,
)
def scaling_writes_scoped(res: Resource, ctx: RuleContext):
    for label, st in _allow_statements(res):
        if st is UNKNOWN:
            yield UNKNOWN
            continue
        actions = statement_list(st, "Action")
        if actions is UNKNOWN:
            yield UNKNOWN
            continue
        writes = [a for a in actions if a in SCALING_WRITES or a in ("autoscaling:*", "*")]
        if not writes:
            continue
        resources = statement_list(st, "Resource")
        if resources is UNKNOWN:
            yield UNKNOWN
        elif "*" in resources or "NotResource" in st:
            yield (
                f"{label} allows {writes} on Resource '*': name this account's group ARNs "
                "and require the cluster's k8s.io/cluster-autoscaler/<cluster> tag "
                "(aws:ResourceTag condition)"
            )


def _exact_version(version: Any) -> bool:
    return isinstance(version, str) and bool(_EXACT_VERSION.match(version))


key_rule(
    "GF-RUN-007",
    "Ensure every Helm chart is pinned to an exact version",
    severity="medium",
    types=[RELEASE],
    path="version",
    test=_exact_version,
    fix="pin the chart to an exact version (e.g. 1.2.3) so every apply installs the same chart",
)
