"""Helpers several check modules share."""

from __future__ import annotations

from gpuforge.model.errors import SpecError
from gpuforge.model.spec import LOG_RETENTION_DAYS


def check_retention(path: str, days: int) -> None:
    """CloudWatch Logs accepts only a fixed set of retention periods."""
    if days not in LOG_RETENTION_DAYS:
        nearest = min(LOG_RETENTION_DAYS, key=lambda d: abs(d - days))
        raise SpecError(
            path, f"{days} is not a CloudWatch Logs retention period", f"nearest allowed: {nearest}"
        )


def check_unique(path: str, names: list[str], what: str) -> None:
    """Refuse the second of two items with the same `.name`."""
    seen: set[str] = set()
    for i, name in enumerate(names):
        if name in seen:
            raise SpecError(
                f"{path}[{i}].name", f"duplicate {what} name {name!r}", "names must be unique"
            )
        seen.add(name)
