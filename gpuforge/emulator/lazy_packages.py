"""Import only the Pulumi resource modules a program touches.

A Pulumi provider package's `__init__` star-imports every resource module of its
group: `aws.ec2.Vpc` loads 182 modules of `pulumi_aws.ec2` (about 0.5 s of a cold
plan), `pulumi_kubernetes.core.v1.Namespace` every core kind. gpuforge uses about a
dozen of them. While installed, this finder serves such a package with the same
`__init__` minus its `from .<module> import *` lines for resource modules; a
module-level `__getattr__` imports the one module that defines a name when the
program first asks for it (PEP 562), found through each module's `__all__`. The
shared parts (`_enums`, `_inputs`, `outputs`, `_utilities`) are still imported
eagerly, as every resource module imports them anyway.

What a name resolves to is unchanged: the same class from the same module, so the
registrations, URNs and types of a plan are the same (tests/test_lazy_packages.py
checks the plan JSON against the eager import). A name no `__all__` lists falls back
to importing every remaining module, which is what the package would have done.

Only packages whose `__init__` is made of imports qualify (checked per package), and
only those under the provider roots in `ROOTS`.
"""

from __future__ import annotations

import importlib
import re
import sys
import threading
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from types import ModuleType
from typing import Any

ROOTS = ("pulumi_aws.", "pulumi_kubernetes.")

_STAR = re.compile(r"^from \.([A-Za-z][A-Za-z0-9_]*) import \*$")
_ALL = re.compile(r"^__all__\s*=\s*\[([^\]]*)\]", re.MULTILINE)
_ALLOWED = re.compile(r"^(#.*|\s*|import [\w. ]+( as \w+)?|from [\w.]+ import [\w, *]+( as \w+)?)$")


class _LazyInitLoader(Loader):
    def __init__(self, original: Any, origin: str, source: str, lazy: list[str]) -> None:
        self._original = original
        self._origin = origin
        self._source = source
        self._lazy = lazy

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        code = compile(self._source, self._origin, "exec")
        exec(code, module.__dict__)
        _make_lazy(module, Path(self._origin).parent, self._lazy)


def _make_lazy(module: ModuleType, folder: Path, lazy: list[str]) -> None:
    index: dict[str, str] = {}
    unindexed: list[str] = []
    for name in lazy:
        try:
            head = (folder / f"{name}.py").read_text(encoding="utf-8")
        except OSError:
            unindexed.append(name)
            continue
        found = _ALL.search(head)
        if not found:
            unindexed.append(name)
            continue
        for item in found.group(1).split(","):
            item = item.strip().strip("'\"")
            if item:
                index.setdefault(item, name)
    lock = threading.RLock()
    package = module.__name__
    pending = set(lazy)

    def load(submodule: str) -> None:
        # Importing binds the submodule on the package; _LazyPackage.__setattr__ then
        # copies its exports over, as the eager `from .X import *` did right after it.
        loaded = importlib.import_module(f"{package}.{submodule}")
        _export(module, loaded)
        pending.discard(submodule)

    def __getattr__(name: str) -> Any:
        with lock:
            if name in module.__dict__:
                return module.__dict__[name]
            submodule = index.get(name)
            if submodule is not None:
                load(submodule)
            if name not in module.__dict__:
                for rest in sorted(pending):  # not in any __all__: do what the package did
                    load(rest)
            if name in module.__dict__:
                return module.__dict__[name]
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(module.__dict__) | set(index))

    module.__dict__["__getattr__"] = __getattr__
    module.__dict__["__dir__"] = __dir__
    module.__dict__["__gpuforge_lazy__"] = frozenset(lazy)
    module.__class__ = _LazyPackage


def _export(package: ModuleType, loaded: ModuleType) -> None:
    exported = getattr(loaded, "__all__", None)
    names = exported if exported is not None else [n for n in vars(loaded) if n[0] != "_"]
    for name in names:
        package.__dict__[name] = getattr(loaded, name)


class _LazyPackage(ModuleType):
    """A lazy package: a resource module bound on it by any import (the program's, or
    one module importing another) brings its exports with it, as `import *` did, so a
    module named like its class (`core.v1.Namespace`) never shadows the class."""

    def __setattr__(self, name: str, value: Any) -> None:
        ModuleType.__setattr__(self, name, value)
        lazy = self.__dict__.get("__gpuforge_lazy__", ())
        if (
            name in lazy
            and isinstance(value, ModuleType)
            and value.__name__ == f"{self.__name__}.{name}"
        ):
            _export(self, value)


class LazyProviderFinder(MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if not fullname.startswith(ROOTS):
            return None
        spec = PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or not spec.origin.endswith("__init__.py"):
            return spec
        try:
            text = Path(spec.origin).read_text(encoding="utf-8")
        except OSError:
            return spec
        kept, lazy = [], []
        for line in text.splitlines():
            star = _STAR.match(line)
            if star:
                lazy.append(star.group(1))
                continue
            if not _ALLOWED.match(line):
                return spec  # more than imports: leave the package as it is
            kept.append(line)
        if not lazy:
            return spec
        spec.loader = _LazyInitLoader(spec.loader, spec.origin, "\n".join(kept) + "\n", lazy)
        return spec


_FINDER = LazyProviderFinder()


def install() -> None:
    """Serve provider packages imported from now on lazily (idempotent)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
