"""One seeded source of identifiers and one fixed clock per emulated account.

A plan must be reproducible: the same spec gives byte-identical `plan -o json`
(apart from `seconds`), so CI can diff plans and keep golden files. Everything the
account makes up comes from here:

- identifiers (VPC, subnet and key ids, ARNs' uuids, certificates, role unique ids)
  come from moto's `mock_random` (moto's own seedable generator, the one its
  `/moto-api/seed` endpoint seeds), seeded when the account starts. The emulator's
  own ids (add-on ARNs, access entries, association and placement group ids,
  echoed resources) draw from the same generator, so there is one source.
- Pulumi registers resources in an order that varies from run to run (each waits
  for the outputs it depends on), so one sequence of draws would hand the same ids
  to different resources. The mocks therefore reseed the generator from the
  account's seed and the resource's type and name before each registration
  (:func:`key_seed`), one registration at a time: a resource's ids depend on what it
  is, not on when it came.
- timestamps read a fixed instant, :data:`EPOCH`: moto's `utcnow` (which every
  backend gpuforge touches imports) is replaced while the account is open, and the
  emulator's state asks the account's clock.

moto's generator is process-global, as are its backends: one account at a time per
process, as `EmulatedAccount` already enforces.
"""

from __future__ import annotations

import hashlib
import sys
import threading
from datetime import UTC, datetime
from typing import Any

DEFAULT_SEED = 20260101
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
"""What every clock in the emulated account reads (a preview has no real timestamps)."""

# moto modules that draw from the generator when they are imported (moto.eks.models
# makes its endpoint and issuer templates): imported before seeding, so an import
# during the first run of a process does not shift that run's draws.
_DRAW_ON_IMPORT = ("moto.eks.models",)

_lock = threading.Lock()
_original_utcnow: Any = None


def _fixed_utcnow() -> datetime:
    """moto's `utcnow` returns a naive UTC datetime; so does this one."""
    return EPOCH.replace(tzinfo=None)


def seeded_random(seed: int) -> Any:
    """moto's process-wide generator, reseeded: the account's one source of ids."""
    import importlib

    from moto.moto_api._internal import mock_random

    for module in _DRAW_ON_IMPORT:
        importlib.import_module(module)
    mock_random.seed(seed)
    return mock_random


def key_seed(seed: int, key: str) -> int:
    """A seed for the draws made on behalf of `key`, stable across runs and processes."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big")


def freeze_clock() -> None:
    """Make moto's `utcnow` read :data:`EPOCH`, in every moto module that imported it."""
    global _original_utcnow
    import moto.core.utils as core_utils

    with _lock:
        if _original_utcnow is not None:
            return
        _original_utcnow = core_utils.utcnow
        _swap(_original_utcnow, _fixed_utcnow)


def thaw_clock() -> None:
    """Give every moto module its real `utcnow` back (those imported meanwhile too)."""
    global _original_utcnow
    with _lock:
        if _original_utcnow is None:
            return
        _swap(_fixed_utcnow, _original_utcnow)
        _original_utcnow = None


def _swap(old: Any, new: Any) -> None:
    # Modules imported while the clock is frozen bind `_fixed_utcnow` from
    # moto.core.utils; the walk at thaw finds and restores them as well.
    for name, module in list(sys.modules.items()):
        if (name == "moto" or name.startswith("moto.")) and getattr(module, "utcnow", None) is old:
            module.utcnow = new


def timestamp() -> str:
    """The account clock as AWS writes it in EKS responses (seconds, `Z`)."""
    return EPOCH.strftime("%Y-%m-%dT%H:%M:%SZ")
