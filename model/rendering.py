"""Render an environment's Pulumi stack file (`Pulumi.<env>.yaml`) with Jinja2."""

from __future__ import annotations

import difflib
import os
import tempfile
from pathlib import Path

import jinja2
import yaml

from gpuforge.model import names
from gpuforge.model.spec import EnvironmentSpec
from gpuforge.model.stack_config import config_from_spec

STACK_TEMPLATE = "Pulumi.stack.yaml.j2"


def _to_yaml(value: object, indent: int) -> str:
    """A config value as YAML: scalars inline, mappings and lists as an indented block."""
    text = yaml.safe_dump(value, default_flow_style=False, sort_keys=False, width=100).rstrip()
    if isinstance(value, dict | list) and value:
        pad = " " * indent
        return "\n" + "\n".join(pad + line for line in text.splitlines())
    return " " + text.removesuffix("\n...")


def template_environment() -> jinja2.Environment:
    """Jinja2 over the templates shipped in `gpuforge.templates` (importlib.resources)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("gpuforge.templates", "."),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # YAML, not HTML; values go through yaml.safe_dump
    )
    env.filters["to_yaml"] = _to_yaml
    return env


def secrets_alias(spec: EnvironmentSpec) -> str:
    return names.secrets_alias(spec.environment)


def secrets_provider(environment: str, region: str) -> str:
    """The Pulumi secrets provider of an environment's stack: its KMS alias in its region."""
    return f"awskms://{names.secrets_alias(environment)}?region={region}"


def render_stack(spec: EnvironmentSpec, source: str) -> str:
    """The text of Pulumi.<env>.yaml for `spec`, read from `source` (shown in the header)."""
    template = template_environment().get_template(STACK_TEMPLATE)
    alias = secrets_alias(spec)
    return template.render(
        source=source,
        environment=spec.environment,
        secrets_alias=alias,
        secrets_provider=secrets_provider(spec.environment, spec.region),
        config=config_from_spec(spec),
    )


def stack_file(root: Path, environment: str) -> Path:
    return root / f"Pulumi.{environment}.yaml"


def diff(old: str, new: str, name: str) -> str:
    """A unified diff from the committed file to what render would write."""
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{name} (committed)",
            tofile=f"{name} (rendered)",
        )
    )


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` in one step so a failure never leaves half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
