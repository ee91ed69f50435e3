"""Create only the typed Pulumi classes a program uses.

A provider group's `_inputs`, `outputs` and `_enums` modules define every argument,
output and enum type of the group: `pulumi_kubernetes.core.v1._inputs` is 2.5 MB and
about 1,450 classes, `pulumi_aws.ec2._inputs` 1.3 MB. Executing the 37 such modules a
prod plan imports took 0.38 s of a cold `gpuforge plan -e prod` (`-X importtime` self
time, 2026-12-07) for 4,240 classes. Served by this module they take 0.03 s to import,
0.01 s to read their splits and about 0.06 s to create the 621 classes the plan asks
for (those its resource modules name and what they reference); the plan's wall time
fell by 0.23-0.46 s (medians and minima of 10 interleaved runs on a shared machine).

While installed, this finder serves such a module from a split of its source: the
header (its imports, up to the first class) runs at import; each further top-level
statement (a class, or an `if` that defines classes) is a unit run on demand, when
the name it defines is asked for. A unit brings the units and star-imported names it
references along (every name its code loads or its one-line strings mention, not its
docstrings: Pulumi resolves string annotations like `'NodeSelectorArgs'` later with
`typing.get_type_hints` against this module's dict, where a module `__getattr__` is not
consulted), and a closure runs in source order, so what exists is what the eager
import would have made of it.

`from ._inputs import *` asks for `__all__`, which is answered per importer: a
resource module gets the exported names its own code mentions (created then),
a package served by `lazy_packages` none (its `__getattr__` asks `lookup`), another
lazy typed module none (it binds what a unit references), anyone else everything.

Splitting needs `ast.parse` and `compile`, which cost more than executing the module,
so the split is cached like a `.pyc` (`$XDG_CACHE_HOME/gpuforge/lazy-types`, else
`~/.cache/...`): marshalled code per unit, keyed by the source's path, size and
mtime and the interpreter's magic number, written atomically, mapped when read (a
unit's code is unmarshalled when it runs). The first plan after an install builds the
splits (2.5 s once, 16 MB); later processes read them. Anything not
understood (a statement that is not a class after the first class, a name defined
twice, no literal `__all__`, an unwritable cache) imports the module eagerly, and
`GPUFORGE_LAZY_TYPES=0` turns the finder off (tests/test_lazy_types.py compares
plan output both ways).
"""

from __future__ import annotations

import importlib.util
import marshal
import mmap
import os
import re
import sys
import threading
from importlib.abc import Loader, MetaPathFinder
from importlib.machinery import ModuleSpec, PathFinder
from pathlib import Path
from types import CodeType, FrameType, ModuleType
from typing import Any

ENV = "GPUFORGE_LAZY_TYPES"
ROOTS = ("pulumi_aws.", "pulumi_kubernetes.")
TYPED = ("_inputs", "outputs", "_enums")
_FORMAT = 2
_MARK = "__gpuforge_typed__"
_IDENT = re.compile(r"[A-Za-z_]\w*")
_ALL = re.compile(r"^__all__\s*=\s*\[([^\]]*)\]", re.MULTILINE)
_LOCK = threading.RLock()
created = [0]  # units run in this process (tests count them)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "gpuforge" / "lazy-types"


# A split: (header code, units [(names, refs, marshalled code)], exports, star sources)
Split = tuple[Any, list[tuple[tuple[str, ...], tuple[str, ...], Any]], tuple[str, ...], tuple]


def load_split(origin: str) -> Split | None:
    """The cached split of the module at `origin`, built and cached when missing."""
    import hashlib
    import tempfile

    try:
        stat = os.stat(origin)
        key = (_FORMAT, importlib.util.MAGIC_NUMBER, origin, stat.st_size, stat.st_mtime_ns)
        # one file per source file and interpreter: a changed source replaces its split
        digest = hashlib.sha1(repr(key[:3]).encode()).hexdigest()[:16]
        folder = cache_dir()
        path = folder / f"{digest}-{Path(origin).stem}.split"
        try:
            with open(path, "rb") as file:  # the index; a unit's code is read when it runs
                view = memoryview(mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ))
            size = int.from_bytes(view[:8], "little")
            stored = marshal.loads(view[8 : 8 + size])
            if stored[0] == key:
                header, index, exports, stars = stored[1:]
                base = 8 + size
                if base + (index[-1][3] if index else 0) != len(view):
                    raise ValueError(path)  # cut short: build it again
                units = [(n, r, view[base + a : base + b]) for n, r, a, b in index]
                return marshal.loads(header), units, exports, stars
        except (OSError, ValueError, EOFError, TypeError, IndexError):
            pass
        folder.mkdir(parents=True, exist_ok=True)
        if not os.access(folder, os.W_OK):
            return None  # don't pay for a split that can't be kept
        source = Path(origin).read_text(encoding="utf-8")
        built = _build(origin, source)
        if built is None:
            return None
        header, units, exports, stars = built
        index, offset = [], 0
        for names, refs, code in units:
            index.append((names, refs, offset, offset + len(code)))
            offset += len(code)
        head = marshal.dumps((key, marshal.dumps(header), index, exports, stars))
        blobs = b"".join(code for _, _, code in units)
        data = len(head).to_bytes(8, "little") + head + blobs  # offsets count from blobs
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        return built
    except Exception:  # noqa: BLE001 - any surprise: the module imports eagerly
        return None


def mentioned(code: CodeType) -> set[str]:
    """Every name `code` (and the code nested in it) can look up: the global and attribute
    names it loads, and the identifiers in its one-line string constants, which is where
    forward references ('NodeSelectorArgs', 'outputs.PodSpec') live. Docstrings (several
    lines) are skipped, so a class a docstring mentions is not created for it."""
    found: set[str] = set()
    stack: list[Any] = [code]
    while stack:
        item = stack.pop()
        if isinstance(item, CodeType):
            found.update(item.co_names)
            stack.extend(item.co_consts)
        elif isinstance(item, str):
            if "\n" not in item:
                found.update(_IDENT.findall(item))
        elif isinstance(item, (tuple, frozenset)):
            stack.extend(item)
    return found


def _defined(stmt: Any) -> set[str] | None:
    """Names a unit statement defines, or None when it is not a unit."""
    import ast

    if isinstance(stmt, ast.ClassDef):
        return {stmt.name}
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return {stmt.target.id}
    if isinstance(stmt, ast.Pass):
        return set()
    if isinstance(stmt, ast.If):
        names: set[str] = set()
        for inner in stmt.body + stmt.orelse:
            found = _defined(inner)
            if found is None:
                return None
            names |= found
        return names
    return None


def _build(origin: str, source: str) -> Split | None:
    import ast  # here: the light paths import this module (through lazy_packages)

    tree = ast.parse(source, origin)
    body = tree.body
    first = next((i for i, s in enumerate(body) if isinstance(s, ast.ClassDef)), len(body))
    header, rest = body[:first], body[first:]
    exports: tuple[str, ...] | None = None
    stars: list[tuple[str, int]] = []
    header_names: set[str] = set()
    for stmt in header:
        if isinstance(stmt, ast.Assign) and [getattr(t, "id", "") for t in stmt.targets] == [
            "__all__"
        ]:
            exports = tuple(ast.literal_eval(stmt.value))
        if isinstance(stmt, ast.ImportFrom) and [a.name for a in stmt.names] == ["*"]:
            stars.append((stmt.module or "", stmt.level))
        for node in ast.walk(stmt):
            if isinstance(node, ast.alias):
                header_names.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                header_names.add(node.id)
    if exports is None:
        return None
    star_names: set[str] = set()
    for module, level in stars:
        if level != 1 or "." in module:
            return None
        found = _ALL.search((Path(origin).parent / f"{module}.py").read_text(encoding="utf-8"))
        if not found:
            return None
        star_names |= {n.strip().strip("'\"") for n in found.group(1).split(",")} - {""}
    defined: list[set[str]] = []
    for stmt in rest:
        names = _defined(stmt)
        if names is None:
            return None
        defined.append(names)
    own = [n for names in defined for n in names]
    if len(own) != len(set(own)) or set(own) & header_names or not set(exports) <= set(own):
        return None
    wanted = set(own) | star_names
    units = []
    for stmt, names in zip(rest, defined, strict=True):
        code = compile(ast.Module(body=[stmt], type_ignores=[]), origin, "exec")
        refs = tuple(sorted(mentioned(code) & wanted - names))
        units.append((tuple(sorted(names)), refs, marshal.dumps(code)))
    head = compile(ast.Module(body=header, type_ignores=[]), origin, "exec")
    return head, units, exports, tuple(m for m, _ in stars)


class _Typed:
    """The lazy state of one typed module."""

    def __init__(self, module: ModuleType, split: Split) -> None:
        _, self.units, exports, self.stars = split
        self.module = module
        self.exports = frozenset(exports)
        self.all = list(exports)
        self.index = {name: i for i, unit in enumerate(self.units) for name in unit[0]}
        self.done: set[int] = set()

    def sources(self) -> list[ModuleType]:
        package = self.module.__name__.rpartition(".")[0]
        return [sys.modules[f"{package}.{name}"] for name in reversed(self.stars)]

    def ensure(self, wanted: list[str] | set[str]) -> None:
        """Run the units defining `wanted` and what they reference, in source order."""
        with _LOCK:
            namespace = self.module.__dict__
            todo = {self.index[n] for n in wanted if n in self.index} - self.done
            closure: set[int] = set()
            external: set[str] = set()
            while todo:
                i = todo.pop()
                closure.add(i)
                for ref in self.units[i][1]:
                    j = self.index.get(ref)
                    if j is None:
                        external.add(ref)
                    elif j not in closure and j not in self.done:
                        todo.add(j)
            for name in sorted(external - namespace.keys()):
                for source in self.sources():
                    value = lookup(source, name)
                    if value is not MISSING:
                        namespace[name] = value
                        break
            for i in sorted(closure):
                exec(marshal.loads(self.units[i][2]), namespace)
                self.done.add(i)
                created[0] += 1

    def star(self, frame: FrameType) -> list[str]:
        """`__all__` for `from <this> import *` (or any `__all__` lookup) run in `frame`."""
        importer = frame.f_globals
        if importer.get(_MARK) is not None:
            return []  # a lazy typed module binds what its units reference
        spec = importer.get("__spec__")
        if "__path__" in importer:
            if getattr(getattr(spec, "loader", None), "typed_stars_lazy", False):
                return []  # lazy_packages asks lookup() for the names
        elif frame.f_code.co_name == "<module>":  # a module's body, e.g. a resource module's
            names = sorted(mentioned(frame.f_code) & self.exports)
            self.ensure(names)
            return names
        self.ensure(self.all)
        return self.all


MISSING = object()


def exports(module: ModuleType | None) -> frozenset[str]:
    """The names `module` exports: its `__all__`, asked without creating them."""
    if module is None:
        return frozenset()
    typed = module.__dict__.get(_MARK)
    return typed.exports if typed is not None else frozenset(getattr(module, "__all__", ()))


def lookup(module: ModuleType | None, name: str) -> Any:
    """`module.<name>` if `module` exports `name` (lazy typed or not), else `MISSING`."""
    return getattr(module, name) if name in exports(module) else MISSING


class _TypedLoader(Loader):
    def __init__(self, split: Split) -> None:
        self._split = split

    def create_module(self, spec: ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        namespace = module.__dict__
        typed = _Typed(module, self._split)
        namespace[_MARK] = typed

        def __getattr__(name: str) -> Any:
            if name == "__all__":
                return typed.star(sys._getframe(1))
            if name in typed.index:
                typed.ensure([name])
                if name in namespace:  # an annotation-only unit may bind nothing
                    return namespace[name]
            for source in typed.sources():  # what the module's own star imports bound
                value = lookup(source, name)
                if value is not MISSING:
                    namespace[name] = value
                    return value
            raise AttributeError(f"module {module.__name__!r} has no attribute {name!r}")

        def __dir__() -> list[str]:
            return sorted(set(namespace) | typed.exports)

        exec(self._split[0], namespace)
        namespace.pop("__all__", None)
        namespace["__getattr__"] = __getattr__
        namespace["__dir__"] = __dir__


class LazyTypesFinder(MetaPathFinder):
    roots: tuple[str, ...] = ROOTS

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> ModuleSpec | None:
        if not fullname.startswith(self.roots) or fullname.rpartition(".")[2] not in TYPED:
            return None
        spec = PathFinder.find_spec(fullname, path)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            return spec
        split = load_split(spec.origin)
        if split is not None:
            spec.loader = _TypedLoader(split)
        return spec


_FINDER = LazyTypesFinder()


def install(roots: tuple[str, ...] = ROOTS) -> None:
    """Serve the typed modules under `roots` imported from now on lazily (idempotent; first
    on the path, ahead of lazy_packages' finder, which would hand them to PathFinder)."""
    if os.environ.get(ENV, "1") == "0":
        return
    _FINDER.roots = tuple(sorted(set(_FINDER.roots) | set(roots)))
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    sys.meta_path.insert(0, _FINDER)


def uninstall() -> None:
    if _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
