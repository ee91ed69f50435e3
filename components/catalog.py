"""AWS instance and availability-zone data, generated from AWS's own API output.

`data/catalog.json` is written by `scripts/gen_catalog.py` from moto's bundled
copy of EC2 `DescribeInstanceTypes` / `DescribeInstanceTypeOfferings`. Nothing
here is hand-typed: regenerate it rather than editing it.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from importlib.util import find_spec
from pathlib import Path

_CATALOG = Path(__file__).parent / "data" / "catalog.json"

# EKS Kubernetes versions in standard or extended support, as listed in the
# Amazon EKS user guide "Kubernetes version lifecycle" page on 2026-11-01.
EKS_VERSIONS = ("1.31", "1.32", "1.33", "1.34", "1.35")
EKS_DEFAULT_VERSION = "1.34"


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
    )


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
