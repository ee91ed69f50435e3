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
            f"/{vpc.prefixlen} is larger than AWS allows for a VPC", "use a /16 to /20 block"
        )
    bits = max(1, math.ceil(math.log2(max(1, len(zones)))))
    private_prefix = vpc.prefixlen + 1 + bits
    public_prefix = private_prefix + PUBLIC_SHRINK
    if private_prefix > MAX_PRIVATE_PREFIX or public_prefix > MAX_PUBLIC_PREFIX:
        largest = MAX_PRIVATE_PREFIX - 1 - bits
        raise SubnetPlanError(
            f"/{vpc.prefixlen} is too small for {len(zones)} AZs: private subnets would be "
            f"/{private_prefix}",
            f"use /{largest} or larger, or fewer AZs",
        )
    first_half, second_half = vpc.subnets(new_prefix=vpc.prefixlen + 1)
    private = list(first_half.subnets(new_prefix=private_prefix))
    public = list(second_half.subnets(new_prefix=public_prefix))
    return [
        ZoneSubnets(zone=z, private=str(private[i]), public=str(public[i]))
        for i, z in enumerate(zones)
    ]
