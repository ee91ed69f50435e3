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


def assume_role_policy(service: str, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> str:
    """A trust policy letting one AWS service principal assume a role."""
    return policy_json(
        {
            "Effect": "Allow",
            "Principal": {"Service": service},
            "Action": list(actions) if len(actions) > 1 else actions[0],
        }
    )


def managed_policy_arn(part: pulumi.Input[str], name: str) -> pulumi.Output[str]:
    """The ARN of the AWS managed policy `name` in partition `part`."""
    return pulumi.Output.concat("arn:", part, ":iam::aws:policy/", name)


def node_metadata_options() -> dict[str, Any]:
    """Launch-template metadata options for EKS nodes: IMDSv2 only, hop limit 1.

    Hop limit 1 keeps pods (one network hop away) off the node's instance
    credentials; pods get AWS access through EKS Pod Identity instead.
    """
    return {
        "http_endpoint": "enabled",
        "http_tokens": "required",
        "http_put_response_hop_limit": 1,
        "instance_metadata_tags": "disabled",
    }


def node_root_volume(disk_gib: int) -> dict[str, Any]:
    """The AL2023 root volume (`/dev/xvda`): gp3, encrypted, deleted with the node.

    Encrypted with the account's AWS-managed EBS key: a customer-managed key
    would also need a key-policy grant for the EC2 Auto Scaling service-linked role.
    """
    return {
        "device_name": "/dev/xvda",
        "ebs": {
            "volume_size": disk_gib,
            "volume_type": "gp3",
            "encrypted": "true",
            "delete_on_termination": "true",
        },
    }


def node_tag_specifications(tags: dict[str, str]) -> list[dict[str, Any]]:
    """Tag instances, volumes and ENIs launched from a template (default tags do not reach them)."""
    return [
        {"resource_type": kind, "tags": dict(tags)}
        for kind in ("instance", "volume", "network-interface")
    ]


def version_string(template: Any) -> pulumi.Output[str]:
    """A launch template's latest version as the string EKS node groups expect."""
    return template.latest_version.apply(lambda v: None if v is None else str(v))
