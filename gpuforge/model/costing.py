"""Estimated cost of an environment at minimum and maximum scale, from the dated price table.

Spot and capacity-block pools are priced at on-demand rates (an upper bound);
a type missing from the table is reported in `unknown_prices`, never as $0.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from gpuforge.model import filesystems, pricing
from gpuforge.model.spec import EnvironmentSpec


@dataclass(frozen=True)
class PoolCost:
    name: str
    instance_type: str
    gpu_model: str
    gpus_per_node: int
    capacity: str
    efa: bool
    min: int
    max: int
    max_gpus: int
    hourly_per_node: float | None
    hourly_at_max: float | None
    hourly_idle: float | None = None
    """What the pool costs while no job runs: `min` nodes (0 for a pool that scales to zero)."""


@dataclass(frozen=True)
class FilesystemCost:
    name: str
    deployment_type: str
    storage_gib: int
    throughput_per_tib: int
    throughput_gbps: float
    monthly: float | None
    """Storage and throughput per month (FSx bills the capacity, throughput included)."""


@dataclass(frozen=True)
class CostEstimate:
    pools: list[PoolCost]
    fixed_hourly: dict[str, float]
    monthly_min: float
    monthly_max: float
    gpu_monthly_min: float
    gpu_monthly_max: float
    unknown_prices: list[str] = field(default_factory=list)
    price_source: str = ""
    as_of: str = ""
    filesystems: list[FilesystemCost] = field(default_factory=list)
    """FSx for Lustre file systems (in `fixed_hourly` as `fsx_lustre`, and in the totals)."""

    def as_dict(self) -> dict:
        return asdict(self)


def _nat_count(spec: EnvironmentSpec) -> int:
    return {"none": 0, "single": 1, "per-az": len(spec.zones)}[spec.network.nat]


def pool_costs(spec: EnvironmentSpec) -> list[PoolCost]:
    rows = []
    for pool in spec.gpu_pools:
        inst = pool.instance
        price = pricing.hourly_usd(pool.instance_type)
        rows.append(
            PoolCost(
                name=pool.name,
                instance_type=pool.instance_type,
                gpu_model=inst.accelerator.model if inst.accelerator else "-",
                gpus_per_node=inst.gpus,
                capacity=pool.capacity,
                efa=pool.efa,
                min=pool.min,
                max=pool.max,
                max_gpus=inst.gpus * pool.max,
                hourly_per_node=price,
                hourly_at_max=None if price is None else round(price * pool.max, 4),
                hourly_idle=None if price is None else round(price * pool.min, 4),
            )
        )
    return rows


def filesystem_costs(spec: EnvironmentSpec) -> list[FilesystemCost]:
    """Each FSx for Lustre file system's monthly price from the dated table."""
    rows = []
    for fs in filesystems.lustre(spec):
        per_tib = filesystems.throughput_per_tib(fs)
        price = pricing.lustre_gb_month_usd(fs.deployment_type, per_tib)
        rows.append(
            FilesystemCost(
                name=fs.name,
                deployment_type=fs.deployment_type,
                storage_gib=fs.storage_gib,
                throughput_per_tib=per_tib,
                throughput_gbps=filesystems.throughput_gbps(fs) or 0.0,
                monthly=None if price is None else round(price * fs.storage_gib, 2),
            )
        )
    return rows


def estimate(spec: EnvironmentSpec) -> CostEstimate:
    """Monthly cost at min and max scale; GPU pools are also totalled separately."""
    hours = pricing.HOURS_PER_MONTH
    interface_endpoints = len([e for e in spec.network.endpoints if e != "s3"])
    fixed = {
        "eks_cluster": pricing.fixed_hourly_usd("eks_cluster"),
        "nat_gateways": _nat_count(spec) * pricing.fixed_hourly_usd("nat_gateway"),
        "interface_endpoints": interface_endpoints
        * len(spec.zones)
        * pricing.fixed_hourly_usd("vpc_interface_endpoint_per_az"),
    }
    unknown: list[str] = []
    lustre = filesystem_costs(spec)
    if lustre:
        fixed["fsx_lustre"] = sum(f.monthly or 0.0 for f in lustre) / hours
        unknown += [
            f"FSx {f.deployment_type} {f.throughput_per_tib}" for f in lustre if f.monthly is None
        ]
    system = spec.cluster.system_pool
    system_price = pricing.hourly_usd(system.instance_type)
    if system_price is None:
        unknown.append(system.instance_type)
        system_price = 0.0
    base = sum(fixed.values())
    pools = pool_costs(spec)
    gpu_min = gpu_max = 0.0
    for pool in pools:
        if pool.hourly_per_node is None:
            unknown.append(pool.instance_type)
            continue
        gpu_min += pool.hourly_per_node * pool.min
        gpu_max += pool.hourly_per_node * pool.max
    table = pricing.table()
    return CostEstimate(
        pools=pools,
        fixed_hourly={k: round(v, 4) for k, v in fixed.items()},
        monthly_min=round((base + system_price * system.min + gpu_min) * hours, 2),
        monthly_max=round((base + system_price * system.max + gpu_max) * hours, 2),
        gpu_monthly_min=round(gpu_min * hours, 2),
        gpu_monthly_max=round(gpu_max * hours, 2),
        unknown_prices=sorted(set(unknown)),
        price_source=pricing.citation(),
        as_of=table["as_of"],
        filesystems=lustre,
    )
