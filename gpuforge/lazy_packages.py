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

The kubernetes client's `kubernetes.client` package is the same shape (it imports its
~700 models and ~60 API classes one `from kubernetes.client.<module> import <Name>` line
each): `gpuforge launch`, `jobs` and `cancel` use its ApiClient and plain dicts, so they
install the finder for it too (`install(KUBERNETES)`), and the models load if asked for.

Only packages whose `__init__` is made of imports (and `__version__`-like constants)
qualify, checked per package, and only under the roots given to `install`.
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

from gpuforge import lazy_types

PULUMI = ("pulumi_aws.", "pulumi_kubernetes.")
KUBERNETES = ("kubernetes.client",)

_STAR = re.compile(r"^from \.([A-Za-z][A-Za-z0-9_]*) import \*$")
_SHARED_STAR = re.compile(r"^from \.(_?\w+) import \*$", re.MULTILINE)
_ONE = re.compile(r"^from ([\w.]+)\.(\w+) import (\w+)$")
_CONSTANT = re.compile(r"^__\w+__ = (\"[^\"]*\"|'[^']*')$")
_ALL = re.compile(r"^__all__\s*=\s*\[([^\]]*)\]", re.MULTILINE)
_ALLOWED = re.compile(r"^(#.*|\s*|import [\w. ]+( as \w+)?|from [\w.]+ import [\w, *]+( as \w+)?)$")


class _LazyInitLoader(Loader):
    typed_stars_lazy = True  # lazy_types: `from ._inputs import *` here binds nothing

    def __init__(self, origin: str, source: str, lazy: list[str], named: dict[str, str]) -> None:
        self._origin = origin
        self._source = source
        self._lazy = lazy
        self._named = named

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        code = compile(self._source, self._origin, "exec")
        exec(code, module.__dict__)
        _make_lazy(module, Path(self._origin).parent, self._lazy, self._named, self._source)


def _make_lazy(
    module: ModuleType, folder: Path, lazy: list[str], named: dict[str, str], source: str = ""
) -> None:
    index: dict[str, str] = dict(named)
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
    typed = [m for m in reversed(_SHARED_STAR.findall(source)) if m in lazy_types.TYPED]
    stars = set(lazy)
    pending = stars | set(named.values())

    def load(submodule: str) -> None:
        # Importing binds the submodule on the package; _LazyPackage.__setattr__ then
        # copies its exports over, as the eager `from .X import *` did right after it.
        loaded = importlib.import_module(f"{package}.{submodule}")
        if submodule in stars:
            _export(module, loaded)
        for name, where in named.items():  # `from <package>.<module> import <Name>` lines
            if where == submodule:
                module.__dict__[name] = getattr(loaded, name)
        pending.discard(submodule)

    def __getattr__(name: str) -> Any:
        with lock:
            if name in module.__dict__:
                return module.__dict__[name]
            for shared in typed:  # a lazy_types module's names, the last star import first
                value = lazy_types.lookup(sys.modules.get(f"{package}.{shared}"), name)
                if value is not lazy_types.MISSING:
                    module.__dict__[name] = value
                    return value
            submodule = index.get(name)
            if submodule is not None:
                load(submodule)
            elif (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file():
                # a submodule asked for by name (`from kubernetes.client import rest`)
                return importlib.import_module(f"{package}.{name}")
            if name not in module.__dict__:
                for rest in sorted(pending):  # not in any __all__: do what the package did
                    load(rest)
            if name in module.__dict__:
                return module.__dict__[name]
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        shared = [lazy_types.exports(sys.modules.get(f"{package}.{m}")) for m in typed]
        return sorted(set(module.__dict__).union(index, *shared))

    module.__dict__["__getattr__"] = __getattr__
    module.__dict__["__dir__"] = __dir__
    module.__dict__["__gpuforge_lazy__"] = frozenset(lazy)  # star-imported: all exports
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
    def __init__(self) -> None:
        self.roots: tuple[str, ...] = ()

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if not self.roots or not fullname.startswith(self.roots):
            return None
        spec = PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or not spec.origin.endswith("__init__.py"):
            return spec
        try:
            text = Path(spec.origin).read_text(encoding="utf-8")
        except OSError:
            return spec
        kept, lazy, named = [], [], {}
        for line in _logical_lines(text):
            star = _STAR.match(line)
            if star:
                lazy.append(star.group(1))
                continue
            one = _ONE.match(line)
            if one and (one.group(1) + ".").startswith(fullname + "."):
                # `from <this package>[.<sub>].<module> import <Name>`
                inner = one.group(1)[len(fullname) + 1 :]
                named[one.group(3)] = f"{inner}.{one.group(2)}" if inner else one.group(2)
                continue
            if not (_ALLOWED.match(line) or _CONSTANT.match(line)):
                return spec  # more than imports: leave the package as it is
            kept.append(line)
        if not lazy and not named:
            return spec
        source = "\n".join(kept) + "\n"
        spec.loader = _LazyInitLoader(spec.origin, source, lazy, named)
        return spec


def _logical_lines(text: str) -> list[str]:
    """Lines, with a module docstring after the leading comments dropped (kubernetes.client
    has one)."""
    lines = text.splitlines()
    start = 0
    while start < len(lines) and (not lines[start].strip() or lines[start].startswith("#")):
        start += 1
    head = lines[start].lstrip() if start < len(lines) else ""
    if head.startswith(('"""', "'''")):
        quote = head[:3]
        for end in range(start, len(lines)):
            if quote in (lines[end][lines[end].find(quote) + 3 :] if end == start else lines[end]):
                return lines[:start] + lines[end + 1 :]
    return lines


_FINDER = LazyProviderFinder()


def install(roots: tuple[str, ...] = PULUMI) -> None:
    """Serve the packages under `roots` imported from now on lazily (idempotent)."""
    _FINDER.roots = tuple(sorted(set(_FINDER.roots) | set(roots)))
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
