"""The emulated AWS account behind ``gpuforge plan``: Pulumi mocks backed by moto.

Public API (importing this package is cheap; moto and Pulumi load on first use)::

    from gpuforge.emulator import EmulatedAccount, run_program, EmulationError

    with EmulatedAccount(region="us-east-1") as account:
        result = run_program(program, stack="dev", config={...}, account=account)
        account.client("eks").describe_cluster(name=...)

See ``emulator.handlers`` for what each AWS type does, and each handler module's
docstring for what is not modelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import AwsError, EmulationError

if TYPE_CHECKING:
    from .account import EmulatedAccount
    from .mocks import MotoMocks, ResourceRecord
    from .run import EmulationResult, run_program

_LAZY = {
    "EmulatedAccount": "account",
    "EmulationResult": "run",
    "run_program": "run",
    "MotoMocks": "mocks",
    "ResourceRecord": "mocks",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'emulator' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def emulated_types() -> list[str]:
    """Every type token the emulator creates through a handler."""
    from .handlers import resource_handlers

    return sorted(resource_handlers())


__all__ = [
    "AwsError",
    "EmulatedAccount",
    "EmulationError",
    "EmulationResult",
    "MotoMocks",
    "ResourceRecord",
    "emulated_types",
    "run_program",
]
