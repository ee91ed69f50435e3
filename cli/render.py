"""`gpuforge render`: stacks/<env>.yaml -> Pulumi.<env>.yaml."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import click

from gpuforge.cli.errors import EXIT_FINDINGS, BadInput
from gpuforge.cli.options import env_option


@dataclass
class _Target:
    path: Path
    shown: str
    text: str
    current: str
    up_to_date: bool
    command: str


@click.command()
@env_option
@click.option("--all", "all_envs", is_flag=True, help="Render every stacks/*.yaml.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 and show a diff when a committed file is stale or missing.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Write the stack file here (a file, or a directory for Pulumi.<env>.yaml) "
    "instead of beside Pulumi.yaml. Not with --all.",
)
def render(env: str | None, all_envs: bool, check: bool, out: Path | None) -> None:
    """Write Pulumi.<env>.yaml from stacks/<env>.yaml.

    The stack file holds the environment's whole spec as namespaced Pulumi
    config (gpuforge:*), the AWS region and default tags, and a KMS secrets
    provider. Every spec is validated before anything is written, so a bad
    spec leaves all files as they were.

    The file is shared with Pulumi: render replaces only the config keys it
    writes, and keeps what Pulumi adds (the encrypted data key, `secure:`
    values, other config keys, a secrets provider set with Pulumi). --check
    compares only what render owns. A stack file that belongs to another spec
    (stacks/<env>.yaml of the same environment) is never overwritten: render
    such a copy with --out.

    \b
    Examples:
      gpuforge render -e dev
      gpuforge render --all --check     # in CI: fail when a file is stale
      gpuforge render -e ../team-a/prod.yaml --out ../team-a/
    """
    from gpuforge.model.loader import load_env
    from gpuforge.model.project_files import available_envs, project_root

    if bool(env) == all_envs:
        raise BadInput("render: give -e ENV or --all (not both)")
    if out is not None and all_envs:
        raise BadInput(
            "render: --out names one file; it cannot go with --all (one -e ENV per --out)"
        )
    root = project_root()
    names = available_envs(root) if all_envs else [env]
    if not names:
        raise BadInput(
            f"{root / 'stacks'}: no environment specs found "
            "(write stacks/<env>.yaml, or run gpuforge init)"
        )

    # Read and check everything first: one bad spec or stack file means nothing is written.
    targets = [_prepare(*load_env(name, root), root, out) for name in names]

    stale = 0
    for t in targets:
        if t.up_to_date:
            click.echo(f"{t.shown}: up to date", err=True)
            continue
        if check:
            stale += 1
            what = "stale" if t.current else "missing"
            click.echo(f"{t.shown}: {what}; run `{t.command}`", err=True)
            click.echo(_diff(t), nl=False)
        else:
            from gpuforge.model.rendering import write_atomically

            write_atomically(t.path, t.text)
            click.echo(f"{t.shown}: written", err=True)
    if stale:
        raise SystemExit(EXIT_FINDINGS)


def _prepare(spec_path: Path, spec, root: Path, out: Path | None) -> _Target:
    from gpuforge.model.errors import SpecError
    from gpuforge.model.input_files import MAX_LARGE_BYTES, check_output_path, read_user_text
    from gpuforge.model.rendering import (
        is_current,
        read_stack_file,
        render_stack,
        secret_conflicts,
        stack_file,
    )

    target = _target_path(out, root, spec.environment)
    shown = _shown(target)
    check_output_path(target, shown)
    existing = read_stack_file(target, shown)
    _refuse_foreign_target(spec_path, target, existing, shown)
    conflicts = secret_conflicts(spec, existing)
    if conflicts:
        raise SpecError(
            f"config.{conflicts[0]}",
            "holds a Pulumi secret (secure:) where render writes the spec's value",
            f"render never drops a secret: move it with `pulumi config rm {conflicts[0]}` "
            "and set it under another key",
            file=shown,
        )
    source = os.path.relpath(spec_path.resolve(), target.parent.resolve())
    committed = spec_path.resolve() == (root / "stacks" / f"{spec.environment}.yaml").resolve()
    if committed and target == stack_file(root, spec.environment):
        command = f"gpuforge render -e {spec.environment}"
    else:
        # Quoted for the shell: the header tells people to run this command.
        command = f"gpuforge render -e {shlex.quote(source)}" + (
            f" --out {shlex.quote(target.name)}" if out else ""
        )
    text = render_stack(spec, source, existing, command)
    return _Target(
        path=target,
        shown=shown,
        text=text,
        current=(
            read_user_text(target, shown, limit=MAX_LARGE_BYTES) if existing is not None else ""
        ),
        up_to_date=is_current(spec, existing),
        command=command,
    )


def _target_path(out: Path | None, root: Path, environment: str) -> Path:
    from gpuforge.model.rendering import stack_file

    if out is None:
        return stack_file(root, environment)
    if out.is_dir():
        return stack_file(out, environment)
    if not out.parent.is_dir():
        raise BadInput(f"render: --out: no such directory {out.parent} (create it first)")
    return out


def _refuse_foreign_target(spec_path: Path, target: Path, existing, shown: str) -> None:
    """Never write over a spec, the project file, or the stack file of another spec."""
    from gpuforge.model.project_files import PROJECT_FILE, STACKS_DIR, display_path
    from gpuforge.model.rendering import owner_of

    resolved = target.resolve()
    if resolved.name == PROJECT_FILE or resolved == spec_path.resolve():
        raise BadInput(f"render: --out: {shown} is not a stack file (give another --out PATH)")
    if resolved.parent.name == STACKS_DIR:
        raise BadInput(
            f"render: --out: {shown} is in {STACKS_DIR}/, where specs live (write elsewhere)"
        )
    owner = owner_of(target, existing)
    if owner is not None and owner.resolve() != spec_path.resolve():
        raise BadInput(
            f"render: {display_path(spec_path)} would overwrite {shown}, which belongs to "
            f"{display_path(owner)} (give the copy its own environment, or write it "
            "elsewhere with --out PATH)"
        )


def _diff(t: _Target) -> str:
    from gpuforge.model.rendering import diff

    return diff(t.current, t.text, t.shown)


def _shown(path: Path) -> str:
    from gpuforge.model.project_files import display_path

    return display_path(path)
