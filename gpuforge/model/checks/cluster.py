"""The EKS control plane: version, endpoint access, log settings, admins, the system pool."""

from __future__ import annotations

import ipaddress
import re

from gpuforge.model import catalog
from gpuforge.model.checks._common import check_retention
from gpuforge.model.errors import SpecError
from gpuforge.model.spec import ClusterSpec, EnvironmentSpec

# arn:<partition>:<iam|sts>::<account>:<role|user|assumed-role>/<path and name>
_PRINCIPAL_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>[0-9]{12}):"
    r"(?P<kind>role|user|assumed-role)/(?P<rest>[A-Za-z0-9+=,.@_/-]+)"
)
IAM_NAME_MAX = 64
"""IAM role and user names."""
IAM_PATH_MAX = 512
NEWER_MINORS = 2
"""Minor versions past the newest in the EKS calendar still taken as released."""


def check_cluster(spec: EnvironmentSpec) -> None:
    cluster = spec.cluster
    _check_k8s_version(cluster.version)
    _check_endpoint_access(cluster)
    check_retention("cluster.log_retention_days", cluster.log_retention_days)
    if len(set(cluster.log_types)) != len(cluster.log_types):
        raise SpecError("cluster.log_types", "lists a log type twice", "name each type once")
    check_admins(spec)
    _check_system_pool(cluster)


def _check_endpoint_access(cluster: ClusterSpec) -> None:
    for i, cidr in enumerate(cluster.public_access_cidrs):
        try:
            network = ipaddress.ip_network(cidr, strict=True)
        except ValueError as exc:
            raise SpecError(
                f"cluster.public_access_cidrs[{i}]",
                f"{cidr!r} is not a valid CIDR: {exc}",
                "e.g. 203.0.113.0/24",
            ) from None
        # gpuforge's clusters are IPv4 (no ipFamily is sent), and EKS takes IPv6 blocks in
        # publicAccessCidrs only for dual-stack IPv6 clusters ("The default value is 0.0.0.0/0
        # and additionally ::/0 for dual-stack IPv6 clusters", VpcConfigRequest,
        # docs.aws.amazon.com/eks/latest/APIReference/API_VpcConfigRequest.html). An
        # IPv4-mapped block (::ffff:0.0.0.0/96) is IPv6 too, and would hide 0.0.0.0/0.
        if network.version == 6:
            raise SpecError(
                f"cluster.public_access_cidrs[{i}]",
                f"{cidr!r} is an IPv6 block, which EKS refuses for an IPv4 cluster",
                "write the IPv4 ranges, e.g. 203.0.113.0/24",
            )
    if cluster.public_endpoint and not cluster.public_access_cidrs:
        raise SpecError(
            "cluster.public_access_cidrs",
            "a public endpoint needs the CIDRs allowed to reach it",
            "list your office/VPN ranges; 0.0.0.0/0 must be written out and is flagged",
        )
    if cluster.public_access_cidrs and not cluster.public_endpoint:
        raise SpecError(
            "cluster.public_access_cidrs",
            "set while public_endpoint is false",
            "set public_endpoint: true or remove the CIDRs",
        )


def check_admins(spec: EnvironmentSpec) -> None:
    """Someone can reach the cluster; each admin an IAM role or user ARN of the
    environment's one account, listed once.

    With no admins, only `bootstrap_creator_admin: true` lets anyone in (the deployer).

    EKS access entries take a role or user of the cluster's own account (an STS
    session ARN is refused, a principal of another account is "not found"), and
    one entry per principal: a duplicate fails `pulumi up` half-way.
    """
    if not spec.cluster.admins and not spec.cluster.bootstrap_creator_admin:
        raise SpecError(
            "cluster.admins",
            "nobody could use the Kubernetes API: no admins are listed and the cluster "
            "creator's admin access is off",
            "list your admins' role ARNs under cluster.admins, or write "
            "bootstrap_creator_admin: true (the deployer keeps admin; flagged by GF-EKS-006)",
        )
    first_seen: dict[str, int] = {}
    accounts: dict[str, int] = {}
    for i, arn in enumerate(spec.cluster.admins):
        path = f"cluster.admins[{i}]"
        account = check_principal(path, arn)
        if arn in first_seen:
            raise SpecError(
                path,
                f"{arn} is listed twice (first as cluster.admins[{first_seen[arn]}])",
                "EKS takes one access entry per principal: remove the duplicate",
            )
        first_seen[arn] = i
        if spec.account_id is not None and account != spec.account_id:
            raise SpecError(
                path,
                f"{arn} is in account {account}, not the environment's account "
                f"{spec.account_id} (account_id)",
                f"EKS access entries take principals of the cluster's account: give a role "
                f"in {spec.account_id} (people from {account} can assume it)",
            )
        accounts.setdefault(account, i)
    if len(accounts) > 1:
        (a, _), (b, j) = list(accounts.items())[:2]
        raise SpecError(
            f"cluster.admins[{j}]",
            f"the admins are in different accounts ({a} and {b}), but a cluster lives in one",
            "set account_id to the environment's account and give roles in it",
        )


def check_principal(path: str, arn: str) -> str:
    """The account of admin `arn`, or a SpecError saying what is wrong with it."""
    match = _PRINCIPAL_ARN.fullmatch(arn)
    if match is None:
        raise SpecError(
            path,
            f"{arn!r} is not an IAM role or user ARN",
            "e.g. arn:aws:iam::123456789012:role/platform-admin",
        )
    partition, service, account, kind, rest = match.group(
        "partition", "service", "account", "kind", "rest"
    )
    if kind == "assumed-role" or service == "sts":
        role = rest.split("/")[0]
        raise SpecError(
            path,
            f"{arn} is a session of an assumed role, which EKS access entries do not take",
            f"give the role's ARN: arn:aws:iam::{account}:role/{role} "
            "(with the role's path, if it has one)",
        )
    if partition != "aws":
        raise SpecError(
            path,
            f"{arn} is in the {partition} partition",
            "gpuforge supports only the aws partition today: arn:aws:iam::...",
        )
    role_path, _, name = rest.rpartition("/")
    if not name or len(name) > IAM_NAME_MAX or "//" in rest or len(role_path) + 2 > IAM_PATH_MAX:
        raise SpecError(
            path,
            f"{arn!r} does not name an IAM {kind}",
            f"IAM names are 1-{IAM_NAME_MAX} characters, paths at most {IAM_PATH_MAX}",
        )
    return account


def _check_k8s_version(version: str) -> None:
    minor = catalog.k8s_minor(version)
    newest = catalog.newest_eks_version()
    if minor is None or minor < (1, 0):
        raise SpecError(
            "cluster.version", f"{version!r} is not a Kubernetes version", f"e.g. {newest!r}"
        )
    newest_minor = catalog.k8s_minor(newest) or (0, 0)
    if minor > newest_minor:
        # Newer than the calendar gpuforge ships (catalog.EKS_CALENDAR, from
        # https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html): EKS
        # adds a minor every few months, so the next NEWER_MINORS are taken as released;
        # anything further (1.99, 2.0) is a version EKS does not run and would refuse.
        if minor[0] == newest_minor[0] and minor[1] - newest_minor[1] <= NEWER_MINORS:
            return
        raise SpecError(
            "cluster.version",
            f"EKS does not run Kubernetes {version}",
            f"the newest EKS version gpuforge knows is {newest}; supported: "
            f"{', '.join(catalog.eks_supported_versions(catalog.policy_date()) or [newest])}",
        )
    today = catalog.policy_date()
    support = catalog.eks_support(version)
    if support is None or today > support[1]:
        supported = catalog.eks_supported_versions(today) or [newest]
        ended = f" (extended support ended {support[1]})" if support else ""
        raise SpecError(
            "cluster.version",
            f"EKS no longer runs Kubernetes {version}{ended}",
            f"supported: {', '.join(supported)}",
        )


def _check_system_pool(cluster: ClusterSpec) -> None:
    system = cluster.system_pool
    if catalog.instance_type(system.instance_type) is None:
        near = catalog.close_names(system.instance_type, catalog.all_types())
        raise SpecError(
            "cluster.system_pool.instance_type",
            f"unknown instance type {system.instance_type!r}",
            f"did you mean {', '.join(near)}?" if near else "e.g. m7i.large",
        )
    if system.min > system.max or system.max < 1:
        raise SpecError(
            "cluster.system_pool.min",
            f"min {system.min} is greater than max {system.max}"
            if system.min > system.max
            else "max must be at least 1",
            "add-ons need at least one node: use min <= max, max >= 1",
        )
