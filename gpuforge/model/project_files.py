"""Where a gpuforge project and its environments are: `Pulumi.yaml`, `stacks/<env>.yaml`.

Resolves what `-e` names (an environment or a spec file path) to a file, with a
did-you-mean when it names none; nothing here reads a spec.
"""

from __future__ import annotations

from pathlib import Path

from gpuforge.model.catalog import close_names
from gpuforge.model.errors import SpecError
from gpuforge.model.input_files import user_file_exists

STACKS_DIR = "stacks"
PROJECT_FILE = "Pulumi.yaml"


def project_root(start: Path | None = None) -> Path:
    """The nearest directory at or above `start` holding Pulumi.yaml (else `start`)."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / PROJECT_FILE).is_file():
            return candidate
    return here


def available_envs(root: Path | None = None) -> list[str]:
    """Environment names that have a `stacks/<name>.yaml`."""
    stacks = project_root(root) / STACKS_DIR
    return sorted(p.stem for p in stacks.glob("*.yaml")) if stacks.is_dir() else []


def resolve_env(value: str, root: Path | None = None) -> Path:
    """`-e` accepts a name (stacks/NAME.yaml) or a path to a spec file."""
    path = Path(value)
    if value.endswith((".yaml", ".yml")) or "/" in value or path.exists():
        if path.is_dir():
            raise SpecError("", "is a directory", "give a spec file or an env name", file=value)
        if not path.is_file() and not user_file_exists(path, value):
            raise SpecError("", "no such spec file", "check the path", file=value)
        return path  # anything else there (a FIFO, a device) is refused when it is read
    candidate = project_root(root) / STACKS_DIR / f"{value}.yaml"
    if not candidate.parent.is_dir():
        raise SpecError(
            "",
            f"no environment {value!r}: no {STACKS_DIR}/ directory here or above",
            "run from your gpuforge project, or give a path to a spec file",
            file=f"{STACKS_DIR}/{value}.yaml",
        )
    if not candidate.is_file():
        envs = available_envs(root)
        near = close_names(value, envs)
        hint = f"did you mean {', '.join(near)}?" if near else f"known: {', '.join(envs) or 'none'}"
        raise SpecError("", f"no environment {value!r}", hint, file=f"{STACKS_DIR}/{value}.yaml")
    return candidate


def display_path(path: Path) -> str:
    """`path` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, RuntimeError, OSError):  # not below it; a symlink loop (3.11: Runtime)
        return str(path)
