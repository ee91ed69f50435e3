"""CIDR arithmetic for "who can reach this": the union of ranges, never string comparison.

`0.0.0.0/0` is one way to write "the whole IPv4 internet"; `0.0.0.0/1` plus
`128.0.0.0/1` is another, and so is any other split. `exposure(cidrs)` collapses
the ranges (`ipaddress.collapse_addresses`) per address family, drops the ranges
that are not reachable from the internet (RFC 1918, loopback, link-local, ...),
and says whether what is left covers the whole family and how many public
addresses it holds. `over_budget` compares that with a budget written as a prefix
length: public access may total at most as many addresses as one `/budget` of the
same family (default /16: 65,536 IPv4 addresses). Pure Python, no pulumi.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_PUBLIC_BUDGET_PREFIX = 16
"""Public access may total at most one /16 worth of addresses per address family."""

WHOLE = {4: ipaddress.ip_network("0.0.0.0/0"), 6: ipaddress.ip_network("::/0")}

# Ranges no internet host can come from: a rule that allows only these opens nothing to
# the internet (IANA special-purpose registries, the non-global entries that matter here).
NOT_PUBLIC: dict[int, tuple[Network, ...]] = {
    4: tuple(
        ipaddress.ip_network(c)
        for c in (
            "0.0.0.0/8",  # "this network"
            "10.0.0.0/8",
            "100.64.0.0/10",  # carrier-grade NAT
            "127.0.0.0/8",
            "169.254.0.0/16",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "224.0.0.0/4",  # multicast
            "240.0.0.0/4",  # reserved, broadcast
        )
    ),
    6: tuple(
        ipaddress.ip_network(c) for c in ("::1/128", "::/128", "fc00::/7", "fe80::/10", "ff00::/8")
    ),
}


def parse(cidr: str) -> Network:
    """One CIDR as a network; host bits set are tolerated (AWS masks them). ValueError if bad."""
    return ipaddress.ip_network(cidr.strip(), strict=False)


def union(networks: Iterable[Network]) -> dict[int, list[Network]]:
    """The collapsed union of `networks`, per IP version (4, 6)."""
    by_family: dict[int, list[Network]] = {4: [], 6: []}
    for net in networks:
        by_family[net.version].append(net)
    return {v: list(ipaddress.collapse_addresses(nets)) for v, nets in by_family.items()}


def _minus(nets: list[Network], excluded: Iterable[Network]) -> list[Network]:
    out = list(nets)
    for ex in excluded:
        nxt: list[Network] = []
        for net in out:
            if not net.overlaps(ex):
                nxt.append(net)
            elif not ex.supernet_of(net):  # ex inside net: keep the rest of net
                nxt.extend(net.address_exclude(ex))
        out = nxt
    return list(ipaddress.collapse_addresses(out))


@dataclass(frozen=True)
class FamilyExposure:
    """What a set of CIDRs opens to the internet in one address family."""

    version: int
    given: tuple[str, ...]
    """The CIDRs as written, in order."""
    ranges: tuple[Network, ...]
    """The collapsed union of every given range of this family (private ones included)."""
    public: tuple[Network, ...]
    """The part of `ranges` that internet hosts can come from."""

    @property
    def whole_internet(self) -> bool:
        return WHOLE[self.version] in self.ranges

    @property
    def public_addresses(self) -> int:
        return sum(n.num_addresses for n in self.public)

    def over_budget(self, budget_prefix: int) -> bool:
        """More public addresses than one `/budget_prefix` of this family holds."""
        bits = WHOLE[self.version].max_prefixlen
        return self.public_addresses > 2 ** (bits - min(budget_prefix, bits))

    def shown(self) -> str:
        """The CIDRs as written, and their union where it reads differently."""
        given = ", ".join(self.given)
        merged = ", ".join(str(n) for n in self.ranges)
        return given if given == merged else f"{given} (together {merged})"


def exposure(cidrs: Iterable[str]) -> dict[int, FamilyExposure]:
    """Per IP version present in `cidrs`: the union and its public part. ValueError if bad."""
    parsed = [(c.strip(), parse(c)) for c in cidrs]
    nets = union(n for _, n in parsed)
    return {
        v: FamilyExposure(
            v,
            tuple(c for c, n in parsed if n.version == v),
            tuple(nets[v]),
            tuple(_minus(nets[v], NOT_PUBLIC[v])),
        )
        for v in (4, 6)
        if nets[v]
    }


def problems(cidrs: Iterable[str], budget_prefix: int = DEFAULT_PUBLIC_BUDGET_PREFIX) -> list[str]:
    """What is wrong with letting `cidrs` in, one sentence per address family; [] if nothing.

    The whole internet of a family (in any split) is one problem; public access wider
    than the budget is another. ValueError on a CIDR that does not parse.
    """
    out = []
    for fam in exposure(cidrs).values():
        if fam.whole_internet:
            out.append(f"{fam.shown()} is the whole IPv{fam.version} internet")
        elif fam.over_budget(budget_prefix):
            budget = 2 ** (WHOLE[fam.version].max_prefixlen - budget_prefix)
            out.append(
                f"{fam.shown()} opens {_count(fam.public_addresses)} public IPv{fam.version} "
                f"addresses, more than a /{budget_prefix} ({_count(budget)})"
            )
    return out


def _count(n: int) -> str:
    """65,536 or, past a trillion, 2^112-style."""
    return f"{n:,}" if n < 10**12 else f"about 2^{n.bit_length() - 1}"
