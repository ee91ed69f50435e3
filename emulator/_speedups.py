"""Process-wide cache of botocore's endpoint data while an emulated account is open.

moto builds a fresh ``boto3.Session()`` in hot paths (importing its EC2 models does
it about ten times; ``eks.create_cluster``/``create_nodegroup`` once per call to
validate the role ARN), and each fresh session re-parses botocore's 1.2 MB
``endpoints.json`` (~50–100 ms here). The data is read-only and the same for every
session built from the same search paths, so while an account is open the loaders
share one parsed copy. ``install``/``uninstall`` are reference-counted.
"""

from __future__ import annotations

import threading
from typing import Any

_SHARED_NAMES = frozenset({"endpoints", "partitions", "sdk-default-configuration"})
_lock = threading.Lock()
_users = 0
_original: Any = None
_cache: dict[tuple[str, tuple[str, ...]], Any] = {}


def install() -> None:
    global _users, _original
    from botocore.loaders import Loader

    with _lock:
        _users += 1
        if _original is not None:
            return
        _original = Loader.load_data_with_path

        def load_data_with_path(self: Any, name: str) -> Any:
            if name not in _SHARED_NAMES:
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
