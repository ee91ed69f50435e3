"""AWS facts the model checks against: instance types, AZ offerings, regions, EKS versions.

Generated, never edited by hand: `data/catalog.json` (instance types and which AZ
offers which accelerated type) is written by `scripts/gen_catalog.py` from moto's
bundled copy of EC2 `DescribeInstanceTypes` / `DescribeInstanceTypeOfferings`:
regenerate it. Regions come from botocore's bundled `partitions.json`.

Hand-copied, dated: the EKS Kubernetes release calendar below (`EKS_CALENDAR`,
`EKS_DEFAULT_VERSION`), from AWS's documentation; no API here serves it.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from importlib.util import find_spec
from pathlib import Path

_CATALOG = resources.files("gpuforge.model") / "data" / "catalog.json"

# Amazon EKS Kubernetes release calendar: minor version -> (end of standard support,
# end of extended support). Taken on 2026-02-13 from the calendar at
# https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html (as mirrored by
# https://endoflife.date/amazon-eks). Standard support is 14 months, extended 12 more.
# The one source for both the spec check (refuses versions past extended support) and
# the policy rule GF-EKS-005 (flags versions past standard support). Update it when EKS
# ships a new minor version; a version newer than every entry is taken as supported.
EKS_CALENDAR_AS_OF = date(2026, 2, 13)
EKS_CALENDAR: dict[str, tuple[date, date]] = {
    "1.29": (date(2025, 3, 23), date(2026, 3, 23)),
    "1.30": (date(2025, 7, 23), date(2026, 7, 23)),
    "1.31": (date(2025, 11, 26), date(2026, 11, 26)),
    "1.32": (date(2026, 3, 23), date(2027, 3, 23)),
    "1.33": (date(2026, 7, 29), date(2027, 7, 29)),
    "1.34": (date(2026, 12, 2), date(2027, 12, 2)),
    "1.35": (date(2027, 3, 27), date(2028, 3, 27)),
}
EKS_DEFAULT_VERSION = "1.35"
POLICY_DATE_ENV = "GPUFORGE_POLICY_DATE"


def policy_date() -> date:
    """Today, or the ISO date in $GPUFORGE_POLICY_DATE (reproducible CI and tests)."""
    pinned = os.environ.get(POLICY_DATE_ENV)
    if not pinned:
        return date.today()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        from gpuforge.model.errors import SpecError

        raise SpecError(
            POLICY_DATE_ENV, f"{pinned!r} is not a date", "use YYYY-MM-DD", file="environment"
        ) from None


_K8S_MINOR = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})")


def k8s_minor(version: str) -> tuple[int, int] | None:
    """(1, 34) for "1.34"; None when `version` is not MAJOR.MINOR (ASCII digits only)."""
    match = _K8S_MINOR.fullmatch(version)
    return (int(match[1]), int(match[2])) if match else None


def newest_eks_version() -> str:
    return max(EKS_CALENDAR, key=lambda v: k8s_minor(v) or (0, 0))


def eks_support(version: str) -> tuple[date, date] | None:
    """(end of standard, end of extended support) of `version`; None when newer than known."""
    return EKS_CALENDAR.get(version)


def eks_supported_versions(today: date) -> list[str]:
    """Versions EKS still runs on `today` (standard or extended support)."""
    return [v for v, (_, end) in EKS_CALENDAR.items() if today <= end]


@dataclass(frozen=True)
class Accelerator:
    kind: str  # "gpu" or "neuron"
    manufacturer: str
    model: str
    count: int
    memory_mib: int


@dataclass(frozen=True)
class InstanceType:
    name: str
    vcpus: int
    memory_mib: int
    arch: str
    network_cards: int
    efa_max_interfaces: int
    usage_classes: tuple[str, ...]
    accelerator: Accelerator | None
    efa_gbps: float = 0.0
    """Sum of every network card's peak bandwidth in Gbit/s on an EFA type (EC2's
    `NetworkCards[].PeakBandwidthInGbps`), 0 without EFA."""

    @property
    def efa_gb_per_s(self) -> float:
        """`efa_gbps` in GB/s (bytes), the unit of nccl-tests' bus bandwidth."""
        return self.efa_gbps / 8

    @property
    def efa(self) -> bool:
        return self.efa_max_interfaces > 0

    @property
    def gpus(self) -> int:
        return self.accelerator.count if self.accelerator else 0


@cache
def _data() -> dict:
    return json.loads(_CATALOG.read_text())


def instance_type(name: str) -> InstanceType | None:
    """The catalog entry for `name`, or None when AWS has no such type."""
    raw = _data()["instance_types"].get(name)
    if raw is None:
        return None
    accel = raw.get("accelerator")
    return InstanceType(
        name=name,
        vcpus=raw["vcpus"],
        memory_mib=raw["memory_mib"],
        arch=raw["arch"],
        network_cards=raw["network_cards"],
        efa_max_interfaces=raw["efa_max_interfaces"],
        usage_classes=tuple(raw["usage_classes"]),
        accelerator=Accelerator(**accel) if accel else None,
        efa_gbps=float(raw.get("efa_gbps", 0)),
    )


def all_types() -> list[str]:
    """Every instance type the catalog knows."""
    return list(_data()["instance_types"])


def offering_zones(region: str, type_name: str) -> list[str]:
    """The AZs of `region` that offer `type_name` (empty when none, or when unknown)."""
    return [z for z, types in _data()["zones"].get(region, {}).items() if type_name in types]


def accelerated_types() -> list[str]:
    """Every instance type with GPUs or AWS Neuron accelerators."""
    return sorted(n for n, e in _data()["instance_types"].items() if "accelerator" in e)


def close_names(name: str, candidates: list[str], n: int = 3) -> list[str]:
    """Names in `candidates` that look like `name` (for did-you-mean hints)."""
    return difflib.get_close_matches(name, candidates, n=n, cutoff=0.6)


def similar_accelerated_types(name: str, n: int = 3) -> list[str]:
    """Accelerated instance types whose names look like `name`."""
    family = name.split(".")[0]
    same_family = [t for t in accelerated_types() if t.split(".")[0] == family]
    return close_names(name, same_family or accelerated_types(), n) or same_family[:n]


def zones(region: str) -> list[str]:
    """Availability zone names of `region` (empty when the catalog has no data)."""
    return list(_data()["zones"].get(region, {}))


def offered_in(region: str, zone: str, type_name: str) -> bool | None:
    """Whether `zone` offers accelerated `type_name`; None when unknown."""
    by_zone = _data()["zones"].get(region)
    if not by_zone or zone not in by_zone:
        return None
    return type_name in by_zone[zone]


@cache
def regions() -> dict[str, str]:
    """AWS regions by name -> partition id, from botocore's bundled partitions.json."""
    spec = find_spec("botocore")
    if spec is None or spec.origin is None:  # pragma: no cover - botocore is a dependency
        return {}
    data = json.loads((Path(spec.origin).parent / "data" / "partitions.json").read_text())
    out: dict[str, str] = {}
    for partition in data["partitions"]:
        for region in partition["regions"]:
            if region != "aws-global" and not region.endswith("-global"):
                out[region] = partition["id"]
    return out
