"""What EKS would refuse, or accept into a cluster that can never run anything.

- Public endpoint CIDRs: at most 40 per cluster, a hard quota ("Public endpoint access
  CIDR ranges per cluster: 40, not adjustable",
  https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html), and "the block
  cannot include reserved addresses"
  (https://docs.aws.amazon.com/eks/latest/userguide/config-cluster-endpoint.html): a
  private, loopback, link-local, shared (CGNAT), multicast or reserved block is refused.
  The cluster is IPv4, and "you can't add IPv6 CIDR blocks to IPv4 clusters"
  (EKS API VpcConfigRequest.publicAccessCidrs).
- The system pool's instance type must be offered in one of the VPC's AZs (the catalog
  knows offerings of accelerated types; a GPU type as system pool is checked like a GPU
  pool).
- Without cluster-autoscaler a node group stays at its `min` (spec `autoscaling.enabled`):
  when every GPU pool is at `min: 0` no GPU node can ever start, and a system pool at
  `min: 0` leaves CoreDNS and the controllers nowhere to run.
"""

from __future__ import annotations

import ipaddress

from gpuforge.model import catalog
from gpuforge.model.cidrs import NOT_PUBLIC
from gpuforge.model.errors import SpecError
from gpuforge.model.spec import EnvironmentSpec

PUBLIC_ACCESS_CIDRS_MAX = 40
"""EKS quota "Public endpoint access CIDR ranges per cluster" (not adjustable)."""

# Blocks that are not on the public internet: the one list `cidrs.NOT_PUBLIC` (RFC 1918,
# CGNAT, loopback, link-local, multicast, reserved), which the exposure policy also uses.
RESERVED_IPV4 = NOT_PUBLIC[4]


def check_service_limits(spec: EnvironmentSpec) -> None:
    _check_public_access_cidrs(spec)
    _check_system_pool_offering(spec)
    _check_nodes_can_start(spec)


def _check_public_access_cidrs(spec: EnvironmentSpec) -> None:
    cidrs = spec.cluster.public_access_cidrs
    if len(cidrs) > PUBLIC_ACCESS_CIDRS_MAX:
        raise SpecError(
            f"cluster.public_access_cidrs[{PUBLIC_ACCESS_CIDRS_MAX}]",
            f"{len(cidrs)} CIDRs, more than the {PUBLIC_ACCESS_CIDRS_MAX} EKS takes per cluster",
            "merge ranges, or reach the API through the VPC (a VPN) instead",
        )
    for i, cidr in enumerate(cidrs):
        try:
            net = ipaddress.ip_network(cidr, strict=True)
        except ValueError:
            continue  # the cluster check names the syntax error
        if net.version == 6:
            raise SpecError(
                f"cluster.public_access_cidrs[{i}]",
                f"{cidr} is an IPv6 block; the cluster is IPv4",
                "EKS takes only IPv4 blocks for an IPv4 cluster",
            )
        inside = next((r for r in RESERVED_IPV4 if net.subnet_of(r)), None)
        if inside is not None:
            raise SpecError(
                f"cluster.public_access_cidrs[{i}]",
                f"{cidr} is not public: it lies in {inside}, a private or reserved range",
                "list the public addresses your office or VPN egresses from; from inside "
                "the VPC the private endpoint is used",
            )


def _check_system_pool_offering(spec: EnvironmentSpec) -> None:
    system = spec.cluster.system_pool
    if system.instance_type not in catalog.accelerated_types():
        return  # the catalog's offering data covers accelerated types only
    known = [catalog.offered_in(spec.region, z, system.instance_type) for z in spec.zones]
    if None in known or any(known):
        return
    offering = catalog.offering_zones(spec.region, system.instance_type)
    raise SpecError(
        "cluster.system_pool.instance_type",
        f"{system.instance_type} is not offered in any of the VPC's AZs ({', '.join(spec.zones)})",
        (f"{', '.join(offering)} offer it" if offering else f"no AZ of {spec.region} offers it")
        + "; the system pool is usually a general-purpose type, e.g. m7i.large",
    )


def _check_nodes_can_start(spec: EnvironmentSpec) -> None:
    if spec.autoscaling.enabled:
        return
    if spec.cluster.system_pool.min == 0:
        raise SpecError(
            "cluster.system_pool.min",
            "0 with autoscaling off: the system pool never gets a node for CoreDNS and "
            "the controllers",
            "set min: 1 or more, or turn autoscaling on",
        )
    pools = spec.gpu_pools
    if pools and all(p.min == 0 for p in pools):
        raise SpecError(
            "autoscaling.enabled",
            "false while every GPU pool has min: 0: no GPU node could ever start",
            "turn autoscaling on, or give a pool min: 1 or more, billed while it runs",
        )
