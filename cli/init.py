"""`gpuforge init`: start a platform repository that uses gpuforge as a dependency."""

from __future__ import annotations

from pathlib import Path

import click

from gpuforge.cli.errors import BadInput


@click.command()
@click.argument("directory", default=".", type=click.Path(path_type=Path))
@click.option(
    "--region",
    default="us-east-1",
    show_default=True,
    help="AWS region of the starter environment (stacks/dev.yaml).",
)
@click.option(
    "--name",
    help="Pulumi project name. Default: the directory's name.",
)
@click.option(
    "--admin",
    "admins",
    multiple=True,
    metavar="ARN",
    help="IAM role ARN given cluster admin (repeatable). Default: a placeholder role of "
    "an example account, to replace before `pulumi up`.",
)
def init(directory: Path, region: str, name: str | None, admins: tuple[str, ...]) -> None:
    """Start a platform repository that uses gpuforge as a dependency.

    Writes, into DIRECTORY (default: here; created when missing): Pulumi.yaml,
    a two-line __main__.py that runs gpuforge's Pulumi program, requirements.txt
    pinning this gpuforge, stacks/dev.yaml for --region, a CrossGuard pack in
    policies/, a .gitignore and a README with the next commands. `render`,
    `validate` and `plan` then work there as in gpuforge's own repository.

    Refuses to overwrite anything: when any of these files exists, it names
    them all and writes nothing (exit 2).

    \b
    Examples:
      gpuforge init ml-platform --region eu-west-1 \\
          --admin arn:aws:iam::111122223333:role/platform-admin
      cd ml-platform && gpuforge validate -e dev
    """
    from importlib.metadata import version

    from gpuforge.model.install_source import running_requirement
    from gpuforge.model.scaffold import PLACEHOLDER_ADMIN, default_project_name, project_files

    target = directory.resolve()
    if target.exists() and not target.is_dir():
        raise BadInput(f"{directory}: is a file (give a directory for the new project)")
    files = project_files(
        region=region,
        name=name or default_project_name(target.name),
        version=version("gpuforge"),
        admins=list(admins),
        requirement=running_requirement(),
    )
    blocked = _conflicts(target, files)
    if blocked:
        raise BadInput(
            f"{directory}: would overwrite {', '.join(blocked)} "
            "(init writes nothing into a directory that has them: move them or pick another)"
        )
    _write_all(target, files)
    for path in files:
        click.echo(f"{directory / path}: written", err=True)
    if not admins:
        click.echo(
            f"note: stacks/dev.yaml names a placeholder admin ({PLACEHOLDER_ADMIN}): "
            "put your platform admins' role ARNs there before `pulumi up`",
            err=True,
        )
    where = "" if target == Path.cwd().resolve() else f"cd {directory} && "
    click.echo(f"Next: {where}gpuforge validate -e dev  (README.md has the deploy steps)", err=True)


def _conflicts(target: Path, files: dict[str, str]) -> list[str]:
    """The paths init would write that exist already (or sit below a file), in `files` order."""
    blocked = []
    for relative in files:
        path = target / relative
        below_a_file = any((target / folder).is_file() for folder in Path(relative).parents)
        if path.exists() or path.is_symlink() or below_a_file:
            blocked.append(relative)
    return blocked


def _write_all(target: Path, files: dict[str, str]) -> None:
    """Write every file, each created exclusively; on any failure remove what was written."""
    made: list[Path] = []
    try:
        for relative, text in files.items():
            path = target / relative
            for parent in reversed(path.parents):
                if not parent.exists():
                    parent.mkdir()
                    made.append(parent)
            with path.open("x", encoding="utf-8") as fh:
                made.append(path)
                fh.write(text)
    except OSError as exc:
        for path in reversed(made):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
        raise BadInput(
            f"{target}: cannot write the project: {exc} (nothing was left behind; check the folder)"
        ) from None
