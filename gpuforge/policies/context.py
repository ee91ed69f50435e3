"""What a rule may know beyond the resources: the environment, the budget and the date."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from gpuforge.model.cidrs import DEFAULT_PUBLIC_BUDGET_PREFIX
from gpuforge.model.names import ENVIRONMENT_TAG, PROTECTED_TAG

from .values import UNKNOWN, get, is_unknown, tags_of

DEFAULT_MIN_LOG_RETENTION_DAYS = 365


@dataclass(frozen=True)
class RuleContext:
    """What a rule may know beyond the resource: the environment and the budget.

    `environment` is the gpuforge environment name (`dev`, `staging`, `prod`, ...);
    a resource's own `gpuforge.dev/environment` tag wins over it.
    `monthly_budget_usd` is the most one node group may cost per month at its max size
    (None: no budget, the budget rule passes). `today` pins the date for date-dependent
    rules (the EKS support calendar); None means the real date.
    `protected` says the environment is a production one (spec `protected`); a resource's
    own `gpuforge.dev/protected` tag (in `tags` or `tagsAll`) wins over it.
    `min_log_retention_days` is the shortest retention a log group may have.
    `public_cidr_budget` is a prefix length: what a public endpoint or an internet-facing
    security group rule lets in may total at most as many public addresses as one
    `/public_cidr_budget` of the same family (default 16; 0 allows everything but the
    whole internet, which is always a finding).
    """

    environment: str | None = None
    monthly_budget_usd: float | None = None
    today: date | None = None
    protected: bool | None = None
    min_log_retention_days: int = DEFAULT_MIN_LOG_RETENTION_DAYS
    public_cidr_budget: int = DEFAULT_PUBLIC_BUDGET_PREFIX

    def protected_of(self, props: Mapping[str, Any]) -> Any:
        """True/False from the resource's protected tag, else `protected`; UNKNOWN if unsure."""
        unsure = False
        for key in ("tags", "tagsAll"):
            tags = get(props, key)
            if tags is UNKNOWN:
                unsure = True
            elif isinstance(tags, Mapping):
                tag = tags.get(PROTECTED_TAG)
                if is_unknown(tag):
                    unsure = True
                elif isinstance(tag, str):
                    return tag.lower() == "true"
        if self.protected is not None:
            return self.protected
        return UNKNOWN if unsure else False

    def environment_of(self, props: Mapping[str, Any]) -> str | None:
        tag = tags_of(props).get(ENVIRONMENT_TAG)
        if isinstance(tag, str) and not is_unknown(tag):
            return tag
        return self.environment

    def on_date(self) -> date:
        from gpuforge.model.catalog import policy_date

        return self.today or policy_date()
