"""`gpuforge render`: stacks/<env>.yaml -> Pulumi.<env>.yaml."""

from __future__ import annotations

from pathlib import Path

import click

from gpuforge.cli.errors import EXIT_FINDINGS, BadInput
from gpuforge.cli.options import env_option


@click.command()
@env_option
@click.option("--all", "all_envs", is_flag=True, help="Render every stacks/*.yaml.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 and show a diff when a committed file is stale or missing.",
)
def render(env: str | None, all_envs: bool, check: bool) -> None:
    """Write Pulumi.<env>.yaml from stacks/<env>.yaml.

    The stack file holds the environment's whole spec as namespaced Pulumi
    config (gpuforge:*), the AWS region and default tags, and a KMS secrets
    provider. Every spec is validated before anything is written, so a bad
    spec leaves all files as they were.

    \b
    Examples:
      gpuforge render -e dev
      gpuforge render --all --check     # in CI: fail when a file is stale
    """
    from gpuforge.model.loader import available_envs, load_env, project_root
    from gpuforge.model.rendering import diff, render_stack, stack_file, write_atomically

    if bool(env) == all_envs:
        raise BadInput("render: give -e ENV or --all (not both)")
    root = project_root()
    names = available_envs(root) if all_envs else [env]
    if not names:
        raise BadInput(f"{root / 'stacks'}: no environment specs found")

    rendered: list[tuple[Path, str]] = []
    for name in names:
        path, spec = load_env(name, root)
        source = _relative(path, root)
        rendered.append((stack_file(root, spec.environment), render_stack(spec, source)))

    stale = 0
    for target, text in rendered:
        current = target.read_text() if target.is_file() else ""
        shown = _relative(target, root)
        if current == text:
            click.echo(f"{shown}: up to date", err=True)
            continue
        if check:
            stale += 1
            what = "stale" if current else "missing"
            click.echo(f"{shown}: {what}; run `gpuforge render -e {target.stem[7:]}`", err=True)
            click.echo(diff(current, text, shown), nl=False)
        else:
            write_atomically(target, text)
            click.echo(f"{shown}: written", err=True)
    if stale:
        raise SystemExit(EXIT_FINDINGS)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root))
    except ValueError:
        return str(path)
