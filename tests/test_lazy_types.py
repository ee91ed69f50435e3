"""Typed modules served lazily create only what is used, and nothing else changes
(gpuforge/lazy_types.py)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from gpuforge import lazy_types
from tests.conftest import ROOT

ENUMS = """
from enum import Enum
__all__ = ['Color', 'Size']
class Color(str, Enum):
    RED = "red"
class Size(str, Enum):
    BIG = "big"
"""

INPUTS = """
import sys
from typing import Optional, TypedDict
from ._enums import *
__all__ = ['AArgs', 'AArgsDict', 'BArgs', 'CArgs']
class AArgsDict(TypedDict):
    b: Optional['BArgs']
class AArgs:
    def __init__(self, b: Optional['BArgs'] = None, color: Optional['Color'] = None):
        '''Mentions CArgs in a docstring only.
        '''
        self.b = b
if sys.version_info >= (3, 0):
    class BArgs:
        def __init__(self, a: Optional['AArgs'] = None): ...
class CArgs:
    pass
"""

RESOURCE = """
from typing import Optional
from ._inputs import *
class Thing:
    def __init__(self, args: Optional['AArgs'] = None): ...
"""

PROBE = r"""
import json, sys, typing
from gpuforge import lazy_types
if sys.argv[1] == "lazy":
    lazy_types.install(("fakeprov.",))
from fakeprov import res, _inputs
hints = typing.get_type_hints(res.Thing.__init__)
a_hints = typing.get_type_hints(_inputs.AArgs.__init__)
made_before = sorted(n for n in ("AArgs", "AArgsDict", "BArgs", "CArgs") if n in vars(_inputs))
out = {
    "made": made_before,
    "resource_names": sorted(n for n in vars(res) if n.endswith(("Args", "Dict"))),
    "same": res.AArgs is _inputs.AArgs and hints["args"] == typing.Optional[_inputs.AArgs],
    "qualname": _inputs.BArgs.__module__ + "." + _inputs.BArgs.__qualname__,
    "color": repr(a_hints["color"]),
    "c": _inputs.CArgs.__name__,
    "created": lazy_types.created[0],
    "lazy_inputs": "__gpuforge_typed__" in vars(_inputs),
}
print(json.dumps(out))
"""


def _fake_provider(root: Path, inputs: str = INPUTS) -> None:
    package = root / "fakeprov"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "_enums.py").write_text(textwrap.dedent(ENUMS))
    (package / "_inputs.py").write_text(textwrap.dedent(inputs))
    (package / "res.py").write_text(textwrap.dedent(RESOURCE))


def _probe(tmp_path: Path, mode: str, cache: Path) -> dict:
    env = {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "XDG_CACHE_HOME": str(cache),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], env=env, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_a_star_import_creates_what_the_importer_mentions_and_what_that_references(tmp_path):
    _fake_provider(tmp_path)
    cache = tmp_path / "cache"
    eager = _probe(tmp_path, "eager", cache)
    first = _probe(tmp_path, "lazy", cache)  # builds the split
    assert len(list((cache / "gpuforge" / "lazy-types").glob("*.split"))) == 2
    warm = _probe(tmp_path, "lazy", cache)  # reads it
    for lazy in (first, warm):
        assert lazy["same"] and eager["same"]
        for key in ("qualname", "color", "c"):
            assert lazy[key] == eager[key], key
        # AArgs (mentioned by the resource) and BArgs (by AArgs); not CArgs (a docstring's)
        assert lazy["made"] == ["AArgs", "BArgs"]
        assert eager["made"] == ["AArgs", "AArgsDict", "BArgs", "CArgs"]
        assert lazy["resource_names"] == ["AArgs"]
        assert eager["resource_names"] == ["AArgs", "AArgsDict", "BArgs", "CArgs"]
        assert lazy["created"] == 3 + 1  # + Color, for get_type_hints; CArgs when asked
        assert lazy["lazy_inputs"] and not eager["lazy_inputs"]


def test_what_the_splitter_does_not_understand_imports_eagerly(tmp_path):
    _fake_provider(tmp_path, INPUTS + "\nCArgs.extra = 1\n")
    lazy = _probe(tmp_path, "lazy", tmp_path / "cache")
    assert lazy["made"] == ["AArgs", "AArgsDict", "BArgs", "CArgs"] and not lazy["lazy_inputs"]
    assert lazy["same"] and lazy["color"] == "typing.Optional[fakeprov._enums.Color]"


def test_an_unwritable_cache_imports_eagerly(tmp_path):
    _fake_provider(tmp_path)
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    lazy = _probe(tmp_path, "lazy", blocked)
    assert lazy["made"] == ["AArgs", "AArgsDict", "BArgs", "CArgs"] and lazy["created"] == 0
    assert not lazy["lazy_inputs"]


PLAN = r"""
import contextlib, io, sys
from gpuforge.cli.main import cli
out = io.StringIO()
with contextlib.redirect_stdout(out):
    cli.main(["plan", "-e", sys.argv[1], "-o", "json"], prog_name="gpuforge", standalone_mode=False)
made = sum(
    1
    for name, module in list(sys.modules.items())
    if name.startswith(("pulumi_aws.", "pulumi_kubernetes."))
    and name.rpartition(".")[2] in ("_inputs", "outputs", "_enums")
    for value in list(vars(module).values())
    if isinstance(value, type) and value.__module__ == name
)
sys.stderr.write(f"CLASSES {made}\n")
sys.stdout.write(out.getvalue())
"""


def _plan(environment: str, lazy: bool, cache: Path) -> tuple[str, int]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), lazy_types.ENV: "1" if lazy else "0"}
    out = subprocess.run(
        [sys.executable, "-c", PLAN, environment],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    # the run's duration is the one field that differs run to run
    text = re.sub(r'\n  "seconds": [0-9.]+,?\n', "\n", out.stdout)
    assert text != out.stdout
    made = int(out.stderr.rsplit("CLASSES ", 1)[1].split()[0])
    return text, made


def test_plans_are_identical_with_far_fewer_typed_classes(tmp_path):
    cache = tmp_path / "cache"
    eager, eager_made = _plan("prod", False, cache)
    assert not cache.exists()
    cold, cold_made = _plan("prod", True, cache)  # builds the splits
    warm, warm_made = _plan("prod", True, cache)  # reads them
    assert cold == eager and warm == eager
    assert cold_made == warm_made < eager_made / 4, (eager_made, warm_made)
    dev_eager, _ = _plan("dev", False, cache)
    dev_lazy, _ = _plan("dev", True, cache)
    assert dev_lazy == dev_eager
