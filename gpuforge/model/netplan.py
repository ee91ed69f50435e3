"""Subnet layout computed from the VPC CIDR: one rule, used by validation and the Network.

Per availability zone the VPC gets one private subnet (nodes and pods: large)
and one public subnet (load balancers and NAT gateways: small). Private
subnets split the first half of the VPC CIDR into a power-of-two number of
blocks; public subnets are 1/8 the size of a private one, carved from the
start of the second half. The rest of the second half is left free for later
use (more pools, intra subnets).
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

MIN_VPC_PREFIX = 16  # AWS allows /16 at the largest
MAX_PRIVATE_PREFIX = 24  # smallest private subnet gpuforge accepts: pods need addresses
PUBLIC_SHRINK = 3  # public subnet = private / 2**3
MAX_PUBLIC_PREFIX = 28  # smallest subnet AWS allows


MAX_AZS = 8
"""Most AZs the rule below is stated for (no region has more than six today)."""


def _zone_bits(zones: int) -> int:
    return max(1, math.ceil(math.log2(max(1, zones))))


def smallest_vpc_prefix(zones: int) -> int:
    """The longest VPC prefix (smallest VPC) that holds subnets for `zones` AZs.

    The one rule: private subnets split the first half into 2**bits blocks, each at most
    a /MAX_PRIVATE_PREFIX; public ones are PUBLIC_SHRINK bits smaller, at most a
    /MAX_PUBLIC_PREFIX.
    """
    bits = _zone_bits(zones)
    return min(MAX_PRIVATE_PREFIX, MAX_PUBLIC_PREFIX - PUBLIC_SHRINK) - 1 - bits


def vpc_size_rule(min_zones: int = 2) -> str:
    """The rule in words, for the docs and every hint: `/16 up to /22 for 2 AZs, ...`."""
    groups: dict[int, list[int]] = {}
    for zones in range(min_zones, MAX_AZS + 1):
        groups.setdefault(smallest_vpc_prefix(zones), []).append(zones)
    parts = [
        f"/{prefix} for {z[0]}{'' if len(z) == 1 else f'-{z[-1]}'} AZs"
        for prefix, z in sorted(groups.items(), reverse=True)
    ]
    listed = ", ".join(parts[:-1]) + (" or " if len(parts) > 1 else "") + parts[-1]
    return f"/{MIN_VPC_PREFIX} up to {listed}"


class SubnetPlanError(ValueError):
    """The CIDR cannot hold the subnets the environment needs."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class ZoneSubnets:
    zone: str
    private: str
    public: str


def plan_subnets(cidr: str, zones: list[str]) -> list[ZoneSubnets]:
    """Private and public subnet CIDRs for each zone, in zone order."""
    vpc = ipaddress.ip_network(cidr, strict=True)
    if vpc.version != 4:
        raise SubnetPlanError("only IPv4 VPC CIDRs are supported", "use e.g. 10.0.0.0/16")
    if vpc.prefixlen < MIN_VPC_PREFIX:
        raise SubnetPlanError(
            f"/{vpc.prefixlen} is larger than AWS allows for a VPC",
            f"use {vpc_size_rule()}",
        )
    bits = _zone_bits(len(zones))
    private_prefix = vpc.prefixlen + 1 + bits
    public_prefix = private_prefix + PUBLIC_SHRINK
    if vpc.prefixlen > smallest_vpc_prefix(len(zones)):
        raise SubnetPlanError(
            f"/{vpc.prefixlen} is too small for {len(zones)} AZs: private subnets would be "
            f"/{private_prefix}",
            f"use /{smallest_vpc_prefix(len(zones))} or larger, or fewer AZs; "
            f"VPC sizes: {vpc_size_rule()}",
        )
    first_half, second_half = vpc.subnets(new_prefix=vpc.prefixlen + 1)
    private = list(first_half.subnets(new_prefix=private_prefix))
    public = list(second_half.subnets(new_prefix=public_prefix))
    return [
        ZoneSubnets(zone=z, private=str(private[i]), public=str(public[i]))
        for i, z in enumerate(zones)
    ]
