"""What a rule may know beyond the resources: the environment, the budget and the date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from gpuforge.model.cidrs import DEFAULT_PUBLIC_BUDGET_PREFIX
from gpuforge.model.names import ENVIRONMENT_TAG

from .values import is_unknown, tags_of


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know beyond the resource: the environment and the budget.

    `environment` is the gpuforge environment name (`dev`, `staging`, `prod`, ...);
    a resource's own `gpuforge.dev/environment` tag wins over it.
    `monthly_budget_usd` is the most one node group may cost per month at its max size
    (None: no budget, the budget rule passes). `today` pins the date for date-dependent
    rules (the EKS support calendar); None means the real date.
    `public_cidr_budget` is a prefix length: what a public endpoint or an internet-facing
    security group rule lets in may total at most as many public addresses as one
    `/public_cidr_budget` of the same family (default 16; 0 allows everything but the
    whole internet, which is always a finding).
    """

    environment: str | None = None
    monthly_budget_usd: float | None = None
    today: date | None = None
    public_cidr_budget: int = DEFAULT_PUBLIC_BUDGET_PREFIX

    def environment_of(self, props: Mapping[str, Any]) -> str | None:
        tag = tags_of(props).get(ENVIRONMENT_TAG)
        if isinstance(tag, str) and not is_unknown(tag):
            return tag
        return self.environment

    def on_date(self) -> date:
        from gpuforge.model.catalog import policy_date

        return self.today or policy_date()
