"""Small helpers shared by the component modules (imports pulumi_aws: components only).

Account id and partition come from the `getCallerIdentity` / `getPartition`
invokes, issued with the calling component as parent so that they use the same
provider as its children. IAM and KMS policy documents are built as Python
dicts and serialised here, so that every policy is plain JSON with sorted keys.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi_aws import get_caller_identity_output, get_partition_output


def account_id(parent: pulumi.Resource) -> pulumi.Output[str]:
    """The AWS account id the provider of `parent` deploys into."""
    return get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=parent)).account_id


def partition(parent: pulumi.Resource) -> pulumi.Output[str]:
    """The AWS partition (`aws`, `aws-cn`, `aws-us-gov`) of the provider of `parent`."""
    return get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent)).partition


def policy_json(*statements: dict[str, Any]) -> str:
    """An IAM/KMS policy document (Version 2012-10-17) as a JSON string."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def policy_output(build: Any, *inputs: pulumi.Input[Any]) -> pulumi.Output[str]:
    """`policy_json(*build(*resolved inputs))` once every input is known."""
    return pulumi.Output.all(*inputs).apply(lambda values: policy_json(*build(*values)))


def assume_role_policy(
    service: str,
    actions: tuple[str, ...] = ("sts:AssumeRole",),
    condition: dict[str, dict[str, Any]] | None = None,
) -> str:
    """A trust policy letting one AWS service principal assume a role, under `condition`.

    `condition` is where the confused-deputy guard goes (`aws:SourceAccount`,
    `aws:SourceArn`), for the services that set those keys when they assume a role.
    """
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": service},
        "Action": list(actions) if len(actions) > 1 else actions[0],
    }
    if condition:
        statement["Condition"] = condition
    return policy_json(statement)


def source_condition(account: str, source_arn: str | None = None) -> dict[str, dict[str, str]]:
    """A trust-policy condition: only this account's resources (and `source_arn`) may use it."""
    condition: dict[str, dict[str, str]] = {"StringEquals": {"aws:SourceAccount": account}}
    if source_arn:
        condition["ArnLike"] = {"aws:SourceArn": source_arn}
    return condition


POD_IDENTITY_SERVICE = "pods.eks.amazonaws.com"


def pod_identity_trust(
    parent: pulumi.Resource, cluster_name: pulumi.Input[str], namespace: str, service_account: str
) -> pulumi.Output[str]:
    """The trust policy of a role pods assume through EKS Pod Identity.

    Only this account (`aws:SourceAccount`), and only sessions whose tags (which Pod
    Identity sets) name this cluster, namespace and service account.
    """

    def build(values: list[str]) -> str:
        account, cluster = values
        condition = source_condition(account)
        condition["StringEquals"].update(
            {
                "aws:RequestTag/eks-cluster-name": cluster,
                "aws:RequestTag/kubernetes-namespace": namespace,
                "aws:RequestTag/kubernetes-service-account": service_account,
            }
        )
        return assume_role_policy(
            POD_IDENTITY_SERVICE, ("sts:AssumeRole", "sts:TagSession"), condition
        )

    return pulumi.Output.all(account_id(parent), cluster_name).apply(build)


def managed_policy_arn(part: pulumi.Input[str], name: str) -> pulumi.Output[str]:
    """The ARN of the AWS managed policy `name` in partition `part`."""
    return pulumi.Output.concat("arn:", part, ":iam::aws:policy/", name)
