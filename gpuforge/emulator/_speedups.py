"""Three cold-start shortcuts, active while an emulated account is open.

1. Process-wide cache of botocore's endpoint data (and EC2's service model).

moto builds a fresh ``boto3.Session()`` in hot paths (importing its EC2 models does
it about ten times; ``eks.create_cluster``/``create_nodegroup`` once per call to
validate the role ARN), and each fresh session re-parses botocore's 1.2 MB
``endpoints.json`` (~50–100 ms here). The data is read-only and the same for every
session built from the same search paths, so while an account is open the loaders
share one parsed copy.

2. Lazy key material for moto's KMS keys. moto generates an RSA-2048 private key
for every key it creates, symmetric ones included (50–200 ms each here); only
``Sign``/``Verify``/``GetPublicKey`` use it. The key is generated on first use.

3. Cached partitions for moto's EKS role-ARN check. ``validate_role_arn`` builds a
whole ``boto3.Session()`` on every ``create_cluster``/``create_nodegroup`` just to
list the partitions (~17 ms each, most of a node group's cost); the list is fixed
for the installed botocore, so it is read once.

``install``/``uninstall`` are reference-counted and undo all three.
"""

from __future__ import annotations

import importlib
import sys
import threading
from typing import Any

_SHARED_NAMES = frozenset({"endpoints", "partitions", "sdk-default-configuration"})
# EC2's service model is 1.5 MB of JSON (~0.2 s to parse); the client and moto's
# request parser each build their own Session, so a plan parsed it six times.
# botocore ships no extras for it (and deep_merge of the same extras again would only
# set the same keys), so nothing changes the parsed copy: one serves every loader.
_SHARED_PREFIXES = ("ec2/",)


def _shared(name: str) -> bool:
    return name in _SHARED_NAMES or (
        name.endswith("/service-2") and name.startswith(_SHARED_PREFIXES)
    )


_lock = threading.Lock()
_users = 0
_original: Any = None
_cache: dict[tuple[str, tuple[str, ...]], Any] = {}
# (module, attribute) -> the original, for every moto attribute shortcuts 2 and 3 replaced
_patched: dict[tuple[str, str], Any] = {}


class _LazyPrivateKey:
    """Stands in for moto's private key until something asks the key for anything."""

    def __init__(self, generate: Any, key_spec: str) -> None:
        self._generate = generate
        self._key_spec = key_spec
        self._key: Any = None
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._key is None:
                self._key = self._generate(self._key_spec)
        return getattr(self._key, name)


_KMS_KEYGEN = ("moto.kms.models", "generate_private_key")
_EKS_SESSION = ("moto.eks.utils", "Session")


def _lazy_kms_keygen(key_spec: str) -> Any:
    return _LazyPrivateKey(_patched[_KMS_KEYGEN], key_spec)


def install() -> None:
    global _users, _original
    from botocore.loaders import Loader

    with _lock:
        _users += 1
        if _original is not None:
            return
        _original = Loader.load_data_with_path

        def load_data_with_path(self: Any, name: str) -> Any:
            if not _shared(name):
                return _original(self, name)
            key = (name, tuple(self.search_paths))
            found = _cache.get(key)
            if found is None:
                found = _cache.setdefault(key, _original(self, name))
            return found

        Loader.load_data_with_path = load_data_with_path


def uninstall() -> None:
    global _users, _original
    from botocore.loaders import Loader

    with _lock:
        _users = max(0, _users - 1)
        if _users or _original is None:
            return
        Loader.load_data_with_path = _original
        _original = None
        _unpatch_all()


def _patch_once(target: tuple[str, str], replacement: Any) -> None:
    """Replace a moto module attribute while an account is open; uninstall restores it."""
    with _lock:
        if target in _patched or not _users:
            return
        module = importlib.import_module(target[0])
        _patched[target] = getattr(module, target[1])
        setattr(module, target[1], replacement)


def _unpatch_all() -> None:
    for (module, attr), original in _patched.items():
        setattr(sys.modules[module], attr, original)
    _patched.clear()


def lazy_kms_keys() -> None:
    """Install shortcut 2 (the KMS handler calls this before its first CreateKey)."""
    _patch_once(_KMS_KEYGEN, _lazy_kms_keygen)


class _PartitionsOnly:
    """What moto's EKS utils need of a boto3 Session: the partition names, read once."""

    _partitions: list[str] | None = None

    def get_available_partitions(self) -> list[str]:
        if _PartitionsOnly._partitions is None:
            original_session = _patched[_EKS_SESSION]
            _PartitionsOnly._partitions = original_session().get_available_partitions()
        return _PartitionsOnly._partitions


def cached_eks_partitions() -> None:
    """Install shortcut 3 (the EKS handlers call this before their first create)."""
    _patch_once(_EKS_SESSION, _PartitionsOnly)
