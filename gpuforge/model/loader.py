"""Read `stacks/<env>.yaml` into a checked `EnvironmentSpec`, every mistake a `SpecError`.

The one way from a file (or Pulumi's stack config) to a spec: find the file
(`gpuforge.model.project_files`), read and parse it defensively
(`gpuforge.model.hardened_yaml`), validate its structure (`gpuforge.model.validation`),
then run the cross-field checks (`gpuforge.model.checks`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gpuforge.model.checks import check_environment
from gpuforge.model.errors import SpecError
from gpuforge.model.hardened_yaml import parse_yaml, read_spec_text
from gpuforge.model.project_files import STACKS_DIR, display_path, resolve_env
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.validation import model_from_data


def spec_from_data(data: Any, file: str = "<spec>", lines: dict | None = None) -> EnvironmentSpec:
    """Validate already-parsed data (from YAML or Pulumi config) into the spec model, and
    run the cross-field checks on it."""
    return model_from_data(
        EnvironmentSpec,
        data,
        file,
        lines,
        doc="stacks/README.md",
        start="stacks/dev.yaml",
        check=check_environment,
    )


def load_spec(path: str | Path) -> EnvironmentSpec:
    """Read and validate one spec file. Raises SpecError with file, line and field."""
    path = Path(path)
    shown = display_path(path)
    text = read_spec_text(path, shown)
    data, lines = parse_yaml(text, shown)
    spec = spec_from_data(data, shown, lines)
    if path.parent.name == STACKS_DIR and spec.environment != path.stem:
        raise SpecError(
            "environment",
            f"{spec.environment!r} does not match the file name {path.name!r}",
            f"set environment: {path.stem} or rename the file",
            file=shown,
            line=lines.get(("environment",)),
        )
    return spec


def load_env(value: str, root: Path | None = None) -> tuple[Path, EnvironmentSpec]:
    """Resolve `-e VALUE` and load it."""
    path = resolve_env(value, root)
    return path, load_spec(path)
