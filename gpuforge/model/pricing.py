"""Hourly list prices from the dated table in `data/prices.json`.

Prices are copied by hand from AWS's public on-demand price list; the table
says when and from where, and every cost gpuforge prints names that date.
An instance type missing from the table has an unknown price (None), never 0.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

_PRICES = resources.files("gpuforge.model") / "data" / "prices.json"


@cache
def table() -> dict:
    """The whole price table: `as_of`, `source`, `region`, `fixed` and `instances`."""
    return json.loads(_PRICES.read_text())


def hourly_usd(instance_type: str) -> float | None:
    """On-demand USD per hour for one instance, or None when the table lacks it."""
    return table()["instances"].get(instance_type)


def fixed_hourly_usd(item: str) -> float:
    """USD per hour of a fixed item: `eks_cluster`, `nat_gateway`, ..."""
    return table()["fixed"][item]


def citation() -> str:
    """One line naming the price table's date, region and source."""
    t = table()
    return f"on-demand {t['region']} list prices as of {t['as_of']} ({t['source'].split(' (')[0]})"


HOURS_PER_MONTH = 730


def lustre_gb_month_usd(deployment_type: str, throughput_per_tib: int) -> float | None:
    """USD per GB-month of an FSx for Lustre SSD file system, or None when the table lacks it."""
    return table()["fsx_lustre"].get(deployment_type, {}).get(str(throughput_per_tib))


def lustre_citation() -> str:
    """The FSx price table's date, region and source, in one line."""
    t = table()
    where = f"{t['region']} prices as of {t['as_of']}"
    return f"FSx for Lustre {where} (Amazon FSx for Lustre pricing page)"
