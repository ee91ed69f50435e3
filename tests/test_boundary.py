"""The pulumi-free boundary: the model and the light CLI paths never load a cloud SDK.

Two checks, because each misses what the other sees:
- at run time, a fresh process runs a command and then reads `sys.modules`
  (catches an import through any chain of modules, on the paths users run);
- statically, an AST scan of every module in `model/` and of the light CLI
  modules (catches an import on a path no command happens to take yet).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from gpuforge.cli.main import COMMANDS
from tests.conftest import ROOT, SHIPPED_ENVS

# The SDKs behind `plan` and `pulumi up`: seconds of import time, and the reason the
# job path (and later `launch --dry-run`) must stay apart from them.
HEAVY = (
    "pulumi",
    "pulumi_aws",
    "pulumi_kubernetes",
    "pulumi_policy",
    "boto3",
    "botocore",
    "moto",
    # the Kubernetes client and kmock, the emulated Kubernetes API: the job commands load
    # them only to talk to a cluster, never for --help or a dry run
    "kubernetes",
    "kmock",
    # PyTorch is the optional `train` extra: only the trainer and torchrun import it, never
    # the gpuforge process (not even `launch --local`, which starts torchrun as a child).
    "torch",
)
# What the model may import besides the standard library and itself.
MODEL_MAY_IMPORT = {"pydantic", "yaml", "jinja2"}
# The CLI modules of the light commands (everything but `plan`) and what they may import.
LIGHT_CLI_MODULES = ("main", "errors", "options", "render", "validate", "init", "validate_pool")
CLI_MAY_IMPORT = MODEL_MAY_IMPORT | {"click", "rich"}
# Any module named pulumi* (a provider SDK not listed above, too) is heavy as well.
_LOADED_HEAVY = (
    f"sorted({{m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m.startswith('pulumi')}})"
)
# Parts of gpuforge that build or emulate the cloud: off limits to both.
PULUMI_SIDE = ("gpuforge.components", "gpuforge.emulator", "gpuforge.program", "gpuforge.policies")


def _light_runs() -> list[list[str]]:
    runs = [
        ["--help"],
        ["--version"],
        ["render", "--all", "--check"],
        ["render", "-e", "dev"],
        ["validate", "-e", "prod", "-o", "json"],
        ["init", "{tmp}/new-platform", "--region", "eu-west-1"],
        *(["validate", "-e", env] for env in SHIPPED_ENVS),
        # the burn-in rendered (not run): through the job model, without torch
        ["validate-pool", "l4", "-e", "dev", "--image", "trainer:1"],
        ["validate-pool", "h100", "-e", "prod", "-o", "json", "--image", "trainer:1"],
        ["launch", str(ROOT / "examples/jobs/tiny-gpt.yaml"), "-e", "dev", "--local", "--dry-run"],
        ["launch", str(ROOT / "examples/jobs/llama-2x8-h100.yaml"), "-e", "prod", "--dry-run"],
        ["image", "render", "--out", "{tmp}/trainer-image"],
    ]
    runs += [[name, "--help"] for name in COMMANDS]
    return runs


@pytest.mark.parametrize("argv", _light_runs(), ids=" ".join)
def test_light_paths_do_not_import_the_cloud_sdks(argv, project, tmp_path):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    for stack in ROOT.glob("Pulumi.*.yaml"):  # so `render --all --check` finds them current
        (project / stack.name).write_text(stack.read_text())
    code = (
        "import sys\n"
        "from gpuforge.cli.main import cli\n"
        f"try:\n    cli.main({argv!r}, standalone_mode=False)\n"
        "except SystemExit as exc:\n    assert not exc.code, exc.code\n"
        f"heavy = {_LOADED_HEAVY}\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=project, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "HEAVY []" in out.stdout, out.stdout + out.stderr
    if "--dry-run" in argv and "--local" not in argv:  # the manifests, not just no error
        assert "kind: Job" in out.stdout, out.stdout + out.stderr


def test_the_check_sees_an_sdk_when_one_is_loaded():
    """The expression above is not blind: the Pulumi program's import shows up in it."""
    code = f"import sys, gpuforge.program\nprint('HEAVY', {_LOADED_HEAVY})\n"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert "'pulumi'" in out.stdout and "'pulumi_aws'" in out.stdout, out.stdout + out.stderr


@pytest.mark.parametrize(
    "package", ["gpuforge", "gpuforge.model", "gpuforge.policies", "gpuforge.emulator"]
)
def test_importing_a_light_package_loads_no_sdk(package):
    """The emulator package too: it imports moto and boto3 only when an account opens."""
    code = f"import sys, {package}\nheavy = {_LOADED_HEAVY}\nassert not heavy, heavy\n"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


# -- static: every import in the files, also inside functions --------------------------


def _imports(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in `source`, relative ones resolved."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0]
                found.append((node.lineno, f"{base}.{node.module}" if node.module else base))
            else:
                found.append((node.lineno, node.module))
    return found


def _violations(path: Path, source: str, allowed_third_party: set[str]) -> list[str]:
    relative = path.relative_to(ROOT)
    parts = relative.parent.parts  # gpuforge/model/x.py, or cli/x.py (mapped into gpuforge)
    package = ".".join(parts if parts[0] == "gpuforge" else ("gpuforge", *parts))
    bad = []
    for line, module in _imports(source, package):
        top = module.split(".")[0]
        if top == "gpuforge":
            ok = not module.startswith(PULUMI_SIDE)
        else:
            ok = top in sys.stdlib_module_names or top in allowed_third_party
        if not ok:
            bad.append(f"{relative}:{line}: {module}")
    return bad


def _scan(paths: list[Path], allowed_third_party: set[str]) -> list[str]:
    return [v for p in paths for v in _violations(p, p.read_text(), allowed_third_party)]


def test_model_imports_only_the_standard_library_and_small_parsers():
    paths = sorted((ROOT / "gpuforge" / "model").rglob("*.py"))
    assert len(paths) > 5
    bad = _scan(paths, MODEL_MAY_IMPORT)
    assert not bad, "gpuforge.model must stay pulumi-free and light:\n" + "\n".join(bad)


def test_light_cli_modules_import_only_the_model():
    paths = [ROOT / "cli" / f"{name}.py" for name in LIGHT_CLI_MODULES]
    bad = _scan(paths, CLI_MAY_IMPORT)
    assert not bad, "light CLI modules must not reach the cloud side:\n" + "\n".join(bad)


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("def f():\n    from pulumi_aws import ec2\n", ["gpuforge/model/probe.py:2: pulumi_aws"]),
        ("import boto3.session\n", ["gpuforge/model/probe.py:1: boto3.session"]),
        ("from ..emulator import run\n", ["gpuforge/model/probe.py:1: gpuforge.emulator"]),
        (
            "from gpuforge.components import platform\n",
            ["gpuforge/model/probe.py:1: gpuforge.components"],
        ),
        ("import kubernetes\n", ["gpuforge/model/probe.py:1: kubernetes"]),
        ("from . import names\nimport json, yaml\n", []),
    ],
)
def test_the_static_scan_sees_every_kind_of_import(source, found):
    """Deferred, dotted and relative imports all count; the model's own and allowed ones pass."""
    assert _violations(ROOT / "gpuforge" / "model" / "probe.py", source, MODEL_MAY_IMPORT) == found
