"""The package as a user gets it: a wheel installed into a new environment, not this checkout.

The wheel is built once from a copy of the folders `pyproject.toml` maps into
`gpuforge`. Two installs run it through `gpuforge init` and then `validate`,
`render` and `plan` in the new project:

- *borrowed* (every run): a new virtual environment with the wheel installed
  `--no-deps`, its dependencies borrowed from the test environment through a
  `.pth` path line (a path line does not run the test environment's editable
  finder, so the checkout cannot leak in). Offline, a few seconds. What the wheel
  declares is checked against what it imports by `test_declared_dependencies_cover_imports`.
- *fresh* (CI, `make test-install`): a new virtual environment that resolves the
  wheel's dependencies from the package index. About a minute here and it needs
  the index, so it runs only with GPUFORGE_FRESH_INSTALL=1.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

from tests.conftest import ROOT

FRESH_INSTALL_ENV = "GPUFORGE_FRESH_INSTALL"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
MAPPED_DIRS: dict[str, str] = PYPROJECT["tool"]["setuptools"]["package-dir"]
# Every package folder the wheel is built from: `gpuforge/` at the path of its import
# name (its subpackages found by setup.py) and the brief's folders mapped into it.
PACKAGE_DIRS: dict[str, str] = {"gpuforge": "gpuforge", **MAPPED_DIRS}


def _run(cmd: list, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)
    assert proc.returncode == 0, f"{cmd}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


PROBE_SUBPACKAGE = "probe_new_subpackage"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built (no build isolation: offline) from a copy of what setuptools reads."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, src / name)
    junk = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for folder in set(PACKAGE_DIRS.values()):
        shutil.copytree(ROOT / folder, src / folder, ignore=junk)
    # A subpackage nobody listed anywhere: setup.py must find it on its own.
    (src / "gpuforge" / PROBE_SUBPACKAGE / "deeper").mkdir(parents=True)
    (src / "gpuforge" / PROBE_SUBPACKAGE / "__init__.py").write_text("")
    (src / "gpuforge" / PROBE_SUBPACKAGE / "deeper" / "__init__.py").write_text("")
    dist = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    _run([*pip, "--no-index", "-w", dist, src])
    (found,) = dist.glob("gpuforge-*.whl")
    return found


def _wheel_names(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as zf:
        return zf.namelist()


def _source_files(folder: str, pattern: str) -> set[str]:
    base = ROOT / folder
    return {
        p.relative_to(base).as_posix()
        for p in base.rglob(pattern)
        if p.is_file() and "__pycache__" not in p.parts
    }


# -- what the wheel holds ---------------------------------------------------------


def test_wheel_installs_one_top_level_name(wheel):
    names = _wheel_names(wheel)
    tops = {n.split("/", 1)[0] for n in names if ".dist-info/" not in n}
    assert tops == {"gpuforge"}
    top_level = next((n for n in names if n.endswith(".dist-info/top_level.txt")), None)
    if top_level:  # setuptools writes it; newer backends may not
        with zipfile.ZipFile(wheel) as zf:
            assert zf.read(top_level).decode().split() == ["gpuforge"]


@pytest.mark.parametrize(("package", "folder"), sorted(PACKAGE_DIRS.items()))
def test_wheel_holds_every_module_of_each_mapped_folder(wheel, package, folder):
    prefix = package.replace(".", "/") + "/"
    shipped = {n.removeprefix(prefix) for n in _wheel_names(wheel) if n.startswith(prefix)}
    missing = _source_files(folder, "*.py") - shipped
    assert not missing, f"{folder}/ files missing from the wheel: {sorted(missing)}"


def test_a_new_subpackage_under_gpuforge_ships_without_a_list_edit(wheel):
    names = set(_wheel_names(wheel))
    assert f"gpuforge/{PROBE_SUBPACKAGE}/__init__.py" in names
    assert f"gpuforge/{PROBE_SUBPACKAGE}/deeper/__init__.py" in names
    assert "packages" not in PYPROJECT["tool"]["setuptools"]  # no hand-kept list to edit


def test_a_checkout_imports_by_path_without_the_install(tmp_path):
    """`PYTHONPATH=.` is enough for what sits under gpuforge/: the import name is the path."""
    code = (
        "import sys\n"
        "sys.meta_path[:] = [f for f in sys.meta_path\n"
        "                    if 'editable' not in (getattr(f, '__module__', '') or '')]\n"
        "import gpuforge.model.spec, gpuforge.jobs.spec, gpuforge.emulator.errors\n"
        "print(gpuforge.model.spec.__file__)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = _run([sys.executable, "-c", code], cwd=tmp_path, env=env)
    assert proc.stdout.strip() == str(ROOT / "gpuforge" / "model" / "spec.py")


def test_wheel_holds_templates_data_and_the_program(wheel):
    names = set(_wheel_names(wheel))
    templates = {f"gpuforge/templates/{p}" for p in _source_files("templates", "*.j2")}
    assert "gpuforge/templates/init/dev.yaml.j2" in templates
    data = {f"gpuforge/model/{p}" for p in _source_files("gpuforge/model", "data/*.json")}
    assert {"gpuforge/model/data/catalog.json", "gpuforge/model/data/prices.json"} <= data
    program = {"gpuforge/program.py", "gpuforge/planning.py", "gpuforge/policies/crossguard.py"}
    assert not (templates | data | program) - names, sorted((templates | data | program) - names)


def test_declared_dependencies_cover_imports(wheel):
    """Every third-party name the shipped modules import comes from a declared distribution.

    The borrowed install cannot notice a missing dependency (it sees the test
    environment's packages), so this reads the wheel itself: the imports of every
    module in it against its METADATA's Requires-Dist (optional ones under their extra).
    """
    from importlib.metadata import packages_distributions

    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(zf.read(meta_name).decode())
        sources = {n: zf.read(n).decode() for n in zf.namelist() if n.endswith(".py")}
    declared: dict[str, set[str]] = {}  # distribution -> extras it is under ("" = always)
    for req in meta.get_all("Requires-Dist") or []:
        dist = _normal(re.match(r"[A-Za-z0-9._-]+", req).group())
        extra = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", req)
        declared.setdefault(dist, set()).add(extra.group(1) if extra else "")

    providers = packages_distributions()
    undeclared, imported = [], {}
    for path, text in sources.items():
        # a script folder (the reference trainer) imports its sibling files by bare name
        siblings = {Path(n).stem for n in sources if Path(n).parent == Path(path).parent}
        for top in _imported_top_names(text):
            if top == "gpuforge" or top in sys.stdlib_module_names or top in siblings:
                continue
            dists = {_normal(d) for d in providers.get(top, [])}
            imported.setdefault(top, set()).add(path)
            if not dists & set(declared):
                undeclared.append(f"{path}: {top} ({', '.join(sorted(dists)) or 'not installed'})")
    assert not undeclared, "imported but not declared in [project] dependencies:\n" + "\n".join(
        undeclared
    )
    # the policy pack's SDK is optional (`gpuforge[policy]`): only the pack imports it
    assert declared["pulumi-policy"] == {"policy", "test"}
    assert imported["pulumi_policy"] == {"gpuforge/policies/crossguard.py"}
    # the package really imports the SDKs this check is about
    assert {"pulumi", "pulumi_aws", "moto", "boto3", "pydantic", "yaml"} <= set(imported)


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_names(source: str) -> set[str]:
    """Top-level names of every absolute import, including those inside functions."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


# -- installed: init, then validate, render and plan in the new project ---------------


def _borrowed_venv(venv: Path, wheel: Path) -> None:
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_path('purelib'))"
    site = Path(_run([python, "-c", purelib]).stdout.strip())
    # a path line only: the test venv's own .pth files (its editable finder) are not run
    (site / "_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q"]
    _run([*pip, "--no-deps", "--no-index", wheel])


def _installs_the_pin(requirements: Path, venv: Path, *, fresh: bool) -> None:
    """`pip install -r requirements.txt`, as `pulumi install` runs it, in a new venv.

    Fresh: with the dependencies from the index. Borrowed: the pin alone, offline,
    which still proves pip reads the line and the file's digest matches.
    """
    if fresh:
        _run([sys.executable, "-m", "venv", venv])
        _run([venv / "bin" / "python", "-m", "pip", "install", "-q", "-r", requirements])
        _run([venv / "bin" / "gpuforge", "--version"])
        return
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    pip = [sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q"]
    _run([*pip, "--no-deps", "--no-index", "-r", requirements])


def _fresh_venv(venv: Path, wheel: Path) -> None:
    _run([sys.executable, "-m", "venv", venv])
    _run([venv / "bin" / "python", "-m", "pip", "install", "-q", wheel])


@pytest.mark.parametrize(
    "install",
    [
        pytest.param(_borrowed_venv, id="borrowed"),
        pytest.param(
            _fresh_venv,
            id="fresh",
            marks=pytest.mark.skipif(
                os.environ.get(FRESH_INSTALL_ENV) != "1",
                reason=f"needs the package index; CI runs it ({FRESH_INSTALL_ENV}=1)",
            ),
        ),
    ],
)
def test_installed_wheel_runs_init_validate_render_plan(wheel, tmp_path, install):
    venv = tmp_path / "venv"
    install(venv, wheel)
    gpuforge = venv / "bin" / "gpuforge"
    project = tmp_path / "platform"
    project.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def run(*argv: str) -> subprocess.CompletedProcess:
        return _run([gpuforge, *argv], cwd=project, env=env)

    where = _run(
        [venv / "bin" / "python", "-c", "import gpuforge; print(gpuforge.__file__)"],
        cwd=project,
        env=env,
    ).stdout.strip()
    assert Path(where).is_relative_to(venv), f"gpuforge imported from {where}, not the wheel"

    run("init", "--region", "eu-west-1")
    # The pin names the wheel this gpuforge came from, with its digest, not a bare
    # `==version` an index could answer with another package of the same name.
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    pin = f"gpuforge[policy] @ {wheel.resolve().as_uri()}#sha256={digest}"
    requirements = project / "requirements.txt"
    assert pin in requirements.read_text().splitlines()
    _installs_the_pin(requirements, tmp_path / "deploy-venv", fresh=install is _fresh_venv)

    doc = json.loads(run("validate", "-e", "dev", "-o", "json").stdout)
    assert (doc["environment"], doc["region"]) == ("dev", "eu-west-1")
    assert doc["cost"]["pools"]

    run("render", "-e", "dev")
    stack = (project / "Pulumi.dev.yaml").read_text()
    assert "aws:region: eu-west-1" in stack and "gpuforge:gpuPools:" in stack
    run("render", "--all", "--check")

    plan = json.loads(run("plan", "-e", "dev", "-o", "json").stdout)
    types = {r["type"] for r in plan["resources"]}
    assert {"aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:s3/bucket:Bucket"} <= (
        types
    )
    assert plan["region"] == "eu-west-1"
