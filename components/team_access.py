"""Each team's AWS side: its Pod Identity role and the EKS access of its admins and members.

`TeamAccess` declares, for every team of `spec.teams` (none without teams; the default
team keeps the cluster's `training` role):

- the role `<name>-training-<team>`, trusted by EKS Pod Identity for the `training`
  service account of the team's namespace only, with the policy of
  `gpuforge.model.team_grants.team_statements` (its datasets read, its own prefix of the
  writable buckets read and written, no DeleteObject) and its PodIdentityAssociation;
- per admin or member principal, one EKS access entry and one access policy association
  per policy, scoped to the team namespaces (`team_grants.access_grants`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_aws import eks, iam

from gpuforge.components import _aws
from gpuforge.model import aws_naming as rn
from gpuforge.model import team_grants
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.teams import teams


@dataclass
class TeamAccessArgs:
    """Inputs of `TeamAccess`."""

    spec: EnvironmentSpec
    """The environment (its `teams`, buckets and region)."""
    cluster_name: pulumi.Input[str]
    """The EKS cluster (its output, so associations and entries wait for it)."""
    storage_key_arn: pulumi.Input[str]
    """KMS key of the buckets; team roles use it only through S3."""
    bucket_arns: dict[str, pulumi.Input[str]]
    """Bucket ARN by logical name (`ObjectStore.bucket_arns`)."""
    after: list[pulumi.Resource] = field(default_factory=list)
    """What the Pod Identity associations wait for (the pod identity agent add-on)."""


class TeamAccess(pulumi.ComponentResource):
    """Team roles (Pod Identity) and namespace-scoped EKS access for team members."""

    role_arns: dict[str, pulumi.Output[str]]
    """Role ARN by team name."""

    def __init__(
        self, name: str, args: TeamAccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:teams:TeamAccess", name, None, opts)
        spec = args.spec
        child = pulumi.ResourceOptions(parent=self)
        part = _aws.partition(self)
        self.role_arns = {}
        for team in teams(spec) if spec.teams else []:
            assert team.spec is not None
            role = iam.Role(
                team_role_name(name, team.name),
                description=f"Training pods of team {team.name} on {spec.cluster_name} "
                "(EKS Pod Identity)",
                assume_role_policy=_aws.pod_identity_trust(
                    self, spec.cluster_name, team.namespace, team.service_account
                ),
                opts=child,
            )
            datasets = [args.bucket_arns[b] for b in team_grants.datasets(spec, team.spec)]
            prefixed = [args.bucket_arns[b] for b in team_grants.prefix_buckets(spec)]
            if datasets or prefixed:
                iam.RolePolicy(
                    f"{name}-training-{team.name}-data",
                    role=role.id,
                    policy=pulumi.Output.all(args.storage_key_arn, datasets, prefixed).apply(
                        lambda v, t=team.name: _aws.policy_json(
                            *team_grants.team_statements(t, v[0], spec.region, v[1], v[2])
                        )
                    ),
                    opts=child,
                )
            eks.PodIdentityAssociation(
                f"{name}-training-{team.name}",
                cluster_name=args.cluster_name,
                namespace=team.namespace,
                service_account=team.service_account,
                role_arn=role.arn,
                opts=pulumi.ResourceOptions(parent=self, depends_on=args.after),
            )
            self.role_arns[team.name] = role.arn
        for i, grant in enumerate(team_grants.access_grants(spec)):
            entry = eks.AccessEntry(
                f"{name}-team-access-{i}",
                cluster_name=args.cluster_name,
                principal_arn=grant.principal,
                type="STANDARD",
                opts=child,
            )
            for policy, namespaces in grant.policies.items():
                eks.AccessPolicyAssociation(
                    f"{name}-team-access-{i}-{policy}",
                    cluster_name=args.cluster_name,
                    principal_arn=entry.principal_arn,
                    policy_arn=pulumi.Output.concat(
                        "arn:", part, ":eks::aws:cluster-access-policy/", policy
                    ),
                    access_scope={"type": "namespace", "namespaces": list(namespaces)},
                    opts=child,
                )
        self.register_outputs({"role_arns": self.role_arns})


def team_role_name(platform: str, team: str) -> str:
    """The logical name of a team's role (`aws_naming` checks its length)."""
    return rn.child(platform, f"{rn.TRAINING_ROLE}-{team}")
