"""Who and where: the environment's name, its region (and partition), account and tags."""

from __future__ import annotations

import re

from gpuforge.model import aws_limits, aws_naming, catalog
from gpuforge.model.errors import SpecError
from gpuforge.model.k8s_syntax import dns1123_label_problem
from gpuforge.model.names import AUTOSCALER_TAG_PREFIX, TAG_PREFIX
from gpuforge.model.resource_tags import default_tags
from gpuforge.model.spec import EnvironmentSpec

ENVIRONMENT_NAME_MAX = 20
_ACCOUNT_ID = re.compile(r"[0-9]{12}")

RESERVED_TAG_PREFIXES = {
    f"{TAG_PREFIX}/": "gpuforge's own tags (environment, managed-by, protected, pool, bucket)",
    "kubernetes.io/cluster/": "the tag EKS and its load balancers use to find the cluster",
    f"{AUTOSCALER_TAG_PREFIX}/": "the tags the cluster autoscaler discovers node groups by",
}
"""Tag key prefixes a spec may not use: what gpuforge, EKS or the autoscaler own."""


def check_identity(spec: EnvironmentSpec) -> None:
    _check_environment_name(spec.environment)
    _check_region(spec.region)
    if spec.account_id is not None and not _ACCOUNT_ID.fullmatch(spec.account_id):
        raise SpecError(
            "account_id",
            f"{spec.account_id!r} is not an AWS account id",
            'twelve digits, quoted: account_id: "012345678901"',
        )
    check_environment_tags(spec)


def _check_environment_name(environment: str) -> None:
    problem = dns1123_label_problem(environment, ENVIRONMENT_NAME_MAX)
    if problem:
        raise SpecError(
            "environment",
            f"{environment!r} is not a valid environment name: it {problem}",
            f"lower-case letters, digits and '-', at most {ENVIRONMENT_NAME_MAX} characters",
        )
    for named in aws_naming.environment_resources(environment):
        if named.length > named.limit:  # pragma: no cover - 20 characters always fit today
            raise SpecError(
                "environment",
                f"makes the {named.kind} {named.shown} {named.length} characters long; "
                f"AWS allows {named.limit}",
                "shorten the environment name",
            )


def _check_region(region: str) -> None:
    regions = catalog.regions()
    if region not in regions:
        near = catalog.close_names(region, list(regions))
        raise SpecError(
            "region",
            f"unknown AWS region {region!r}",
            f"did you mean {', '.join(near)}?" if near else "e.g. us-east-1, eu-west-1",
        )
    partition = regions[region]
    if partition not in aws_limits.SUPPORTED_PARTITIONS:
        raise SpecError(
            "region",
            f"{region} is in the {partition} partition; gpuforge supports only the "
            "aws partition today",
            "its price table, ARNs and policy rules assume aws: choose a region such as "
            "us-east-1 or eu-west-1",
        )


def check_environment_tags(spec: EnvironmentSpec) -> None:
    """Each tag valid on every service, none reserved, and room left for gpuforge's own."""

    for key, value in spec.tags.items():
        problem = aws_limits.tag_problem(key, value)
        if problem:
            raise SpecError(f"tags.{key}", problem, "see the AWS tagging rules in stacks/README.md")
        for prefix, owner in RESERVED_TAG_PREFIXES.items():
            if key.startswith(prefix):
                raise SpecError(
                    f"tags.{key}", f"{prefix} is reserved for {owner}", "use your own prefix"
                )
    defaults = default_tags(spec)
    most = len(defaults) + aws_naming.MOST_OWN_TAGS
    if most > aws_limits.MAX_TAGS:
        own = len(defaults) - len(spec.tags)
        raise SpecError(
            "tags",
            f"{len(spec.tags)} tags, plus gpuforge's {own} on every resource and up to "
            f"{aws_naming.MOST_OWN_TAGS} more on some (subnets), make {most}; AWS allows "
            f"{aws_limits.MAX_TAGS} per resource",
            f"remove at least {most - aws_limits.MAX_TAGS} tags",
        )
