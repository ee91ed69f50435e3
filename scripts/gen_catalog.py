"""Regenerate gpuforge/model/data/catalog.json from AWS's own instance data.

moto ships the output of EC2 `DescribeInstanceTypes` and
`DescribeInstanceTypeOfferings` (per region and availability zone) as gzipped
JSON. This script reduces it to what gpuforge needs (vCPU, memory, GPU /
accelerator model, count and memory, EFA support, network cards) plus the
availability zones of every region and which accelerator types each zone
offers. Run it after upgrading moto:

    .venv/bin/python scripts/gen_catalog.py
"""

from __future__ import annotations

import gzip
import json
from importlib.util import find_spec
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "gpuforge" / "model" / "data" / "catalog.json"


def _resources() -> Path:
    spec = find_spec("moto")
    assert spec and spec.origin, "moto is not installed"
    return Path(spec.origin).parent / "ec2" / "resources"


def _load(path: Path):
    with gzip.open(path) as fh:
        return json.load(fh)


def _accelerator(raw: dict) -> dict | None:
    """The accelerator of an instance type: NVIDIA/AMD GPUs, or AWS Neuron devices."""
    if "GpuInfo" in raw:
        gpu = raw["GpuInfo"]["Gpus"][0]
        return {
            "kind": "gpu",
            "manufacturer": gpu["Manufacturer"],
            "model": gpu["Name"],
            "count": gpu["Count"],
            "memory_mib": gpu["MemoryInfo"]["SizeInMiB"],
        }
    if "NeuronInfo" in raw:
        dev = raw["NeuronInfo"]["NeuronDevices"][0]
        return {
            "kind": "neuron",
            "manufacturer": "AWS",
            "model": dev["Name"],
            "count": dev["Count"],
            "memory_mib": dev["MemoryInfo"]["SizeInMiB"],
        }
    return None


def _instance(raw: dict) -> dict:
    net = raw.get("NetworkInfo", {})
    entry = {
        "vcpus": raw["VCpuInfo"]["DefaultVCpus"],
        "memory_mib": raw["MemoryInfo"]["SizeInMiB"],
        "arch": raw.get("ProcessorInfo", {}).get("SupportedArchitectures", ["x86_64"])[0],
        "network_cards": net.get("MaximumNetworkCards", 1),
        "efa_max_interfaces": net.get("EfaInfo", {}).get("MaximumEfaInterfaces", 0)
        if net.get("EfaSupported")
        else 0,
        "usage_classes": raw.get("SupportedUsageClasses", []),
    }
    if net.get("EfaSupported"):
        # Every network card's peak, summed: the instance's EFA bandwidth (p5.48xlarge:
        # 32 cards x 100 Gbps = 3200 Gbps), what a cross-node burn-in is compared with.
        entry["efa_gbps"] = sum(
            card.get("PeakBandwidthInGbps", 0) for card in net.get("NetworkCards", [])
        )
    accel = _accelerator(raw)
    if accel:
        entry["accelerator"] = accel
    return entry


def build() -> dict:
    res = _resources()
    types = _load(res / "instance_types.json.gz")
    instances = {name: _instance(raw) for name, raw in sorted(types.items())}
    accelerated = {n for n, e in instances.items() if "accelerator" in e}
    zones: dict[str, dict[str, list[str]]] = {}
    for path in sorted((res / "instance_type_offerings" / "availability-zone").glob("*.json.gz")):
        region = path.name.removesuffix(".json.gz")
        by_zone: dict[str, set[str]] = {}
        for offer in _load(path):
            by_zone.setdefault(offer["Location"], set())
            if offer["InstanceType"] in accelerated:
                by_zone[offer["Location"]].add(offer["InstanceType"])
        zones[region] = {z: sorted(t) for z, t in sorted(by_zone.items())}
    return {
        "source": "moto's bundled EC2 DescribeInstanceTypes and DescribeInstanceTypeOfferings data",
        "instance_types": instances,
        "zones": zones,
    }


def main() -> None:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(build(), indent=0, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
