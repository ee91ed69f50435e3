"""One handler table per AWS service, merged here.

A handler is ``handler(ctx, name, inputs) -> (id, computed outputs)``; an invoke is
``invoke(ctx, args) -> result``. Importing this package imports no boto3 or moto.

Coverage (each module's docstring lists what is not modelled):

- Backed by moto alone: Vpc, Subnet, InternetGateway, Eip, NatGateway, RouteTable,
  Route, RouteTableAssociation, VpcEndpoint, SecurityGroup, SecurityGroupIngressRule,
  SecurityGroupEgressRule, DefaultSecurityGroup, FlowLog, LaunchTemplate (ec2);
  Role, RolePolicy, RolePolicyAttachment, Policy, OpenIdConnectProvider (iam);
  Key, Alias (kms); Bucket and its PublicAccessBlock, ServerSideEncryptionConfiguration,
  Versioning, LifecycleConfiguration, Policy, OwnershipControls, Logging (s3);
  LogGroup (logs); LustreFileSystem (fsx, its references and limits checked first);
  NodeGroup (eks, with the Auto Scaling group EKS would create); Tag (autoscaling).
- moto plus the emulator's state (``emulator.moto_gaps``): eks Cluster (accessConfig).
- The emulator's state, references checked in moto: eks Addon, AccessEntry,
  AccessPolicyAssociation, PodIdentityAssociation; ec2 PlacementGroup; fsx
  DataRepositoryAssociation.
- Invokes: getCallerIdentity, getPartition, getRegion, getAvailabilityZones,
  ssm getParameter (EKS-optimized AMI parameters seeded on first read), eks getCluster, autoscaling
  getAmiIds (the Auto Scaling groups data source).
"""

from __future__ import annotations

from functools import cache

from ._base import AnswerAhead, Batch, Context, Emulation, Handler, Invoke


@cache
def resource_handlers() -> dict[str, Handler]:
    from . import autoscaling, ec2, eks, fsx, iam, kms, logs, s3

    table: dict[str, Handler] = {}
    for module in (ec2, iam, kms, s3, eks, logs, autoscaling, fsx):
        table.update(module.HANDLERS)
    return table


@cache
def batch_handlers() -> dict[str, Batch]:
    """Types whose resources one call can create together: ``batch(ctx, [inputs, ...])``
    does what each one's handler would, in one boto3 call, or raises (and then each is
    created alone, to name the one refused)."""
    from . import autoscaling

    return dict(autoscaling.BATCHED)


@cache
def answers_ahead() -> dict[str, AnswerAhead]:
    """Types whose handler's answer follows from the inputs alone:
    ``answer(name, inputs) -> (id, outputs)``, or None where it cannot tell (then the
    handler answers). Light: the parent of `emulator.worker` imports it."""
    from . import autoscaling

    return dict(autoscaling.ANSWERED_AHEAD)


@cache
def state_backed_types() -> frozenset[str]:
    """Types whose emulation keeps state beside moto (see each module's docstring)."""
    from . import autoscaling, ec2, eks, fsx, iam, kms, logs, s3

    modules = (ec2, iam, kms, s3, eks, logs, autoscaling, fsx)
    return frozenset().union(*(m.STATE_BACKED for m in modules))


@cache
def invoke_handlers() -> dict[str, Invoke]:
    from . import autoscaling, eks, index, prefix_lists, ssm

    return {
        **index.INVOKES,
        **ssm.INVOKES,
        **eks.INVOKES,
        **autoscaling.INVOKES,
        **prefix_lists.INVOKES,
    }


__all__ = [
    "AnswerAhead",
    "Batch",
    "Context",
    "Emulation",
    "Handler",
    "Invoke",
    "answers_ahead",
    "batch_handlers",
    "invoke_handlers",
    "resource_handlers",
    "state_backed_types",
]
