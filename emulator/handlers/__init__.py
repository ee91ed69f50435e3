"""One handler table per AWS service; :func:`resource_handlers` and :func:`invoke_handlers`
merge them. Importing this package imports boto3-free code only."""

from __future__ import annotations

from functools import cache

from ._base import Context, Emulation, Handler, Invoke


@cache
def resource_handlers() -> dict[str, Handler]:
    from . import ec2, eks, iam, kms, logs, s3

    table: dict[str, Handler] = {}
    for module in (ec2, iam, kms, s3, eks, logs):
        table.update(module.HANDLERS)
    return table


@cache
def state_backed_types() -> frozenset[str]:
    """Types whose emulation keeps state beside moto (see each module's docstring)."""
    from . import ec2, eks, iam, kms, logs, s3

    return frozenset().union(*(m.STATE_BACKED for m in (ec2, iam, kms, s3, eks, logs)))


@cache
def invoke_handlers() -> dict[str, Invoke]:
    from . import index, ssm

    return {**index.INVOKES, **ssm.INVOKES}


__all__ = [
    "Context",
    "Emulation",
    "Handler",
    "Invoke",
    "invoke_handlers",
    "resource_handlers",
    "state_backed_types",
]
