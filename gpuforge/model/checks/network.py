"""The VPC: its CIDR (and the ranges it must not use), AZs, endpoints and flow logs."""

from __future__ import annotations

import ipaddress
import re

from gpuforge.model import catalog
from gpuforge.model.checks._common import check_retention
from gpuforge.model.errors import SpecError
from gpuforge.model.netplan import SubnetPlanError, plan_subnets
from gpuforge.model.spec import PRIVATE_NODE_ENDPOINTS, EnvironmentSpec

UNUSABLE_VPC_RANGES = (
    ("0.0.0.0/8", "'this network' (RFC 1122): not an address a host can have"),
    ("127.0.0.0/8", "loopback: every host answers it itself"),
    ("169.254.0.0/16", "link-local: the instance metadata service, Amazon DNS and time sync "
     "live at 169.254.169.x"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (RFC 1112) and broadcast"),
    ("172.17.0.0/16", "the default Docker bridge: AWS documents that services such as "
     "SageMaker and Cloud9 conflict with it, and containers run with Docker could not reach it"),
)  # fmt: skip
"""IPv4 ranges a VPC must not overlap, and why."""


def check_network(spec: EnvironmentSpec) -> None:
    net = spec.network
    try:
        vpc = ipaddress.ip_network(net.cidr, strict=True)
    except ValueError as exc:
        raise SpecError(
            "network.cidr", f"{net.cidr!r} is not a valid network CIDR: {exc}", "e.g. 10.0.0.0/16"
        ) from None
    if vpc.version != 4:
        raise SpecError("network.cidr", f"{net.cidr} is not IPv4", "e.g. 10.0.0.0/16")
    for reserved, why in UNUSABLE_VPC_RANGES:
        if vpc.overlaps(ipaddress.ip_network(reserved)):
            raise SpecError(
                "network.cidr",
                f"{net.cidr} overlaps {reserved}, {why}",
                "use a private range: 10.0.0.0/8, 172.16.0.0/12 (not 172.17.0.0/16) "
                "or 192.168.0.0/16",
            )
    _check_azs(spec)
    try:
        plan_subnets(net.cidr, spec.zones)
    except SubnetPlanError as exc:
        raise SpecError("network.cidr", str(exc), exc.hint) from None
    check_retention("network.flow_logs_retention_days", net.flow_logs_retention_days)
    if len(set(net.endpoints)) != len(net.endpoints):
        raise SpecError("network.endpoints", "lists an endpoint twice", "name each endpoint once")
    if net.nat == "none":
        missing = [e for e in PRIVATE_NODE_ENDPOINTS if e not in net.endpoints]
        if missing:
            raise SpecError(
                "network.endpoints",
                "with nat: none, nodes reach AWS only through VPC endpoints, and these they "
                f"need (to pull images, join the cluster, get credentials) are missing: "
                f"{', '.join(missing)}",
                "add them to network.endpoints, or use nat: single",
            )


def _check_azs(spec: EnvironmentSpec) -> None:
    net = spec.network
    if isinstance(net.azs, int):
        available = catalog.zones(spec.region)
        if not 2 <= net.azs <= (len(available) or 6):
            raise SpecError(
                "network.azs",
                f"{net.azs} AZs requested",
                f"EKS needs at least 2; {spec.region} has {len(available) or 'at most 6'}",
            )
        return
    known = catalog.zones(spec.region)
    for i, zone in enumerate(net.azs):
        looks_right = re.fullmatch(re.escape(spec.region) + "[a-z]", zone) is not None
        if (known and zone not in known) or not looks_right:
            raise SpecError(
                f"network.azs[{i}]",
                f"{zone!r} is not an availability zone of {spec.region}",
                f"choose from {', '.join(known)}" if known else f"e.g. {spec.region}a",
            )
    if len(set(net.azs)) != len(net.azs):
        raise SpecError("network.azs", "lists an AZ twice", "name each AZ once")
    if len(net.azs) < 2:
        raise SpecError("network.azs", "EKS needs subnets in at least 2 AZs", "list 2 or more")
