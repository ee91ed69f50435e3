"""Did NCCL cross nodes on EFA? Read from NCCL's own log lines, and how fast it must be.

The burn-in program (`gpuforge.jobs.burnin`) turns NCCL's logging on (`NCCL_DEBUG=INFO`,
`NCCL_DEBUG_SUBSYS=INIT,NET`), sends it to a file per rank and puts the network lines in
its result (`nccl_log`). This module reads them. Pure: no torch, no NCCL.

The lines, at the versions the training image pins (`gpuforge.jobs.image`: aws-ofi-nccl
1.19.0; NCCL is the one in the image's torch 2.13 wheel, read at NVIDIA/nccl v2.30.7-1):

- NCCL prefixes every INFO line `<host>:<pid>:<tid> [<cudaDev>] NCCL INFO <text>`
  (NVIDIA/nccl@73cf112295c33aee2b895f329f592f2a9b4b0f97: src/debug.cc:354);
- the network the communicator uses: `Using network <name>` (src/init.cc:486), where
  `<name>` is NCCL's socket transport `Socket` (src/transport/net_socket.cc:804) or
  verbs `IB` (src/transport/net_ib/common.cc:194) when no plugin loaded, or the plugin's;
- aws-ofi-nccl's name is `Libfabric`, or `AWS Libfabric` / `OFI` when `NCCL_NET` asks for
  those spellings (aws/aws-ofi-nccl@4afc89b740324f0ed1bd8df1c75b6e5c03e8b3a0 (v1.19.0):
  src/nccl_ofi_interface_nvidia.cpp:595, :741-757; before 1.12 it was always
  `AWS Libfabric`, as in the log quoted in NVIDIA/nccl#527);
- the plugin prefixes its lines `NET/OFI ` (include/nccl_ofi_log.h:21-25) and names the
  libfabric provider it chose: `Selected provider is <prov>, fabric is <fabric> (found <n>
  nics)` (src/nccl_ofi_net.cpp:594; `Selected Provider is efa` in older releases, so the
  match ignores case).

A rank of a multi-node burn-in on an EFA pool passes only with the OFI plugin and the
`efa` provider; `Using network Socket` is NCCL's TCP fallback, the failure skypilot#10055
and #8391 hit silently.

Bandwidth across nodes is compared with the instance's EFA bandwidth (the catalog's
`efa_gbps`, every network card's peak summed: 3200 Gbit/s = 400 GB/s on p5.48xlarge).
`DEFAULT_EFA_BUSBW_THRESHOLD` is half of it. Source of the fraction: on 2 x p4de.24xlarge
(4 x 100 Gbit/s EFA = 50 GB/s) SkyPilot's AWS EFA example expects an all-reduce busbw of
about 77.9 GB/s (1.56 x the EFA figure; busbw counts NVLink hops too), and a run that used
one of the four interfaces measured about 20 GB/s (0.4 x) (skypilot-org/skypilot#8391).
Half the EFA figure passes the working case with room and fails the one-interface case
and anything on TCP; nccl-tests' busbw is defined to be compared with the hardware's peak
(NVIDIA/nccl-tests doc/PERFORMANCE.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_EFA_BUSBW_THRESHOLD = 0.5
"""A multi-node rank passes when its busbw is at least this fraction of the EFA bandwidth."""

OFI_NETWORKS = frozenset({"Libfabric", "AWS Libfabric", "OFI"})
"""Names aws-ofi-nccl gives its NCCL network (see the module docstring)."""
SOCKET = "Socket"
EFA_PROVIDER = "efa"

_NETWORK = re.compile(r"NCCL INFO Using network (?P<name>.+?)\s*$")
_PROVIDER = re.compile(r"NET/OFI Selected provider is (?P<prov>[^\s,]+)", re.IGNORECASE)


@dataclass(frozen=True)
class NcclNetwork:
    """What one rank's NCCL said about its network."""

    network: str | None
    """`Libfabric` (aws-ofi-nccl), `Socket` (TCP), `IB`, ...; None when no line said."""
    provider: str | None
    """The libfabric provider aws-ofi-nccl selected (`efa`), None without the plugin."""

    @property
    def over_efa(self) -> bool:
        return self.network in OFI_NETWORKS and (self.provider or "").lower() == EFA_PROVIDER


def read(lines: list[str] | None) -> NcclNetwork:
    """The network and provider in a rank's NCCL lines (the last of each wins)."""
    network = provider = None
    for line in lines or []:
        if m := _NETWORK.search(line):
            network = m.group("name")
        if m := _PROVIDER.search(line):
            provider = m.group("prov")
    return NcclNetwork(network, provider)


def problem(lines: list[str] | None) -> str | None:
    """Why this rank did not use EFA across nodes, or None when it did."""
    if lines is None:
        return (
            "no NCCL log in its result: the burn-in could not prove NCCL used EFA "
            "(is NCCL_DEBUG_FILE set elsewhere?)"
        )
    net = read(lines)
    if net.over_efa:
        return None
    if net.network == SOCKET:
        return (
            "NCCL fell back to TCP sockets (`Using network Socket`), not EFA: the image "
            "lacks aws-ofi-nccl or its lib directory is not on LD_LIBRARY_PATH; run the "
            "training image (`gpuforge image render`)"
        )
    if net.network is None:
        return "NCCL never logged `Using network`: its network is unknown, EFA unproven"
    if net.network not in OFI_NETWORKS:
        return f"NCCL used network {net.network!r}, not aws-ofi-nccl over EFA"
    return (
        f"aws-ofi-nccl selected libfabric provider {net.provider or 'none'!s}, not efa "
        "(FI_PROVIDER=efa, the EFA device plugin's vpc.amazonaws.com/efa)"
    )
