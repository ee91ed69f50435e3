"""Cost guards: idle GPU capacity outside prod, and node groups that can outspend a budget.

A node group is a GPU node group when it carries the `gpuforge.dev/pool` tag, uses a GPU
AMI type, or runs an accelerator instance type (see `nodes.is_gpu_node_group`). The
environment is the node group's `gpuforge.dev/environment` tag, else `RuleContext.environment`.
Prices come from `gpuforge.model.pricing` (dated on-demand list prices).
"""

from __future__ import annotations

from .context import RuleContext
from .nodes import NODE_GROUP, instance_types_of, is_gpu_node_group
from .rule import rule
from .stack import Resource, Stack
from .values import MISSING, UNKNOWN

PROD_ENVIRONMENTS = ("prod", "production")


@rule(
    "GF-COST-001",
    "Ensure GPU node groups outside prod scale to zero (minSize 0)",
    severity="low",
    enforcement="advisory",
    types=[NODE_GROUP],
    stack=True,
)
def gpu_min_zero_outside_prod(ng: Resource, stack: Stack, ctx: RuleContext):
    env = ctx.environment_of(ng.props)
    if env in PROD_ENVIRONMENTS:
        return
    min_size = ng.get("scalingConfig.minSize")
    if min_size is MISSING or min_size == 0:
        return
    gpu = is_gpu_node_group(ng, stack)
    if gpu is False:
        return
    if gpu is UNKNOWN or min_size is UNKNOWN:
        yield UNKNOWN
        return
    yield (
        f"scalingConfig.minSize is {min_size} in environment {env or '(unnamed)'}: idle GPU "
        "nodes bill by the hour; set minSize=0 and let the autoscaler add nodes"
    )


@rule(
    "GF-COST-002",
    "Ensure no node group can cost more per month at its max size than the budget",
    severity="high",
    types=[NODE_GROUP],
    stack=True,
)
def node_group_within_budget(ng: Resource, stack: Stack, ctx: RuleContext):
    budget = ctx.monthly_budget_usd
    if budget is None:
        return
    from gpuforge.model.pricing import HOURS_PER_MONTH, citation, hourly_usd

    max_size = ng.get("scalingConfig.maxSize")
    types = instance_types_of(ng, stack)
    if max_size is UNKNOWN or types is UNKNOWN:
        yield UNKNOWN
        return
    if max_size is MISSING or not types:
        yield UNKNOWN
        return
    prices = [hourly_usd(t) for t in types]
    if None in prices:
        yield UNKNOWN  # no list price for some type: we cannot tell
        return
    hourly = max(prices)
    monthly = max_size * hourly * HOURS_PER_MONTH
    if monthly > budget:
        yield (
            f"at maxSize {max_size} x {types[prices.index(hourly)]} (${hourly:g}/h) it can cost "
            f"${monthly:,.0f}/month, over the ${budget:,.0f} budget: lower maxSize or raise "
            f"the budget ({citation()})"
        )
