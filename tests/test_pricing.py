"""A month of cost is AWS's month: 730 hours.

The AWS Pricing Calculator "assumes 730 hours in a month (365 days in a year x 24 hours
in a day / 12 months in year)" (https://aws.amazon.com/calculator/calculator-assumptions),
and AWS's price pages turn hourly into monthly prices the same way. gpuforge's monthly
figures must agree with what a user reads there, so the month is worked out here from
that definition, not read back from the code.
"""

from __future__ import annotations

import json

from gpuforge.model import costing, pricing
from gpuforge.model.loader import load_spec
from tests.conftest import ROOT

AWS_HOURS_PER_MONTH = 365 * 24 / 12


def test_a_month_is_the_pricing_calculators_month():
    assert AWS_HOURS_PER_MONTH == 730
    assert pricing.HOURS_PER_MONTH == AWS_HOURS_PER_MONTH


def test_monthly_gpu_cost_is_the_hourly_list_price_times_an_aws_month():
    spec = load_spec(ROOT / "stacks" / "prod.yaml")
    prices = json.loads((ROOT / "gpuforge" / "model" / "data" / "prices.json").read_text())
    hourly_at_max = sum(prices["instances"][p.instance_type] * p.max for p in spec.gpu_pools)

    estimate = costing.estimate(spec)

    assert hourly_at_max > 0
    assert estimate.gpu_monthly_max == round(hourly_at_max * AWS_HOURS_PER_MONTH, 2)
