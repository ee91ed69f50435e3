"""`gpuforge image render`: the training image's Dockerfile."""

from __future__ import annotations

import re

import click

from gpuforge.jobs import image as dockerfile

_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*(-aws)?")


def _image(ctx, param, value: str) -> str:
    from gpuforge.model.image_reference import HINT, image_reference_problem

    problem = image_reference_problem(value)
    if problem:  # it becomes the Dockerfile's FROM line: never paste what is not a reference
        raise click.BadParameter(f"{value!r} {problem} ({HINT})")
    return value


def _version(ctx, param, value: str) -> str:
    if not _VERSION.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a version like 1.19.0")
    return value


@click.group()
def image() -> None:
    """Render the training image's Dockerfile (CUDA PyTorch, EFA)."""


@image.command("render")
@click.option(
    "-o",
    "--output",
    "output",
    type=click.Path(dir_okay=False),
    help="Write the Dockerfile here instead of stdout.",
)
@click.option(
    "--base",
    metavar="IMAGE",
    default=dockerfile.BASE_IMAGE,
    callback=_image,
    show_default=True,
    help="Base image: CUDA PyTorch with the CUDA headers (a `devel` image).",
)
@click.option(
    "--efa-version",
    metavar="V",
    callback=_version,
    default=dockerfile.EFA_INSTALLER_VERSION,
    show_default=True,
    help="EFA installer version.",
)
@click.option(
    "--ofi-nccl-version",
    metavar="V",
    callback=_version,
    default=dockerfile.AWS_OFI_NCCL_VERSION,
    show_default=True,
    help="aws-ofi-nccl version.",
)
def render(output: str | None, base: str, efa_version: str, ofi_nccl_version: str) -> None:
    """Write the Dockerfile of the training image.

    A CUDA PyTorch base, the EFA software installed as AWS documents for
    containers, the aws-ofi-nccl plugin on the library path, boto3 for S3
    checkpoints, and the reference trainer (examples/trainer/). Build it from
    your repository's root in CI and push it to ECR; jobs name it in `image:`.

    \b
    Example:
      gpuforge image render -o Dockerfile.trainer
      docker build -f Dockerfile.trainer -t $ECR/training/trainer:1 .
    """
    text = dockerfile.render_dockerfile(base, efa_version, ofi_nccl_version)
    if output is None:
        click.echo(text, nl=False)
        return
    from pathlib import Path

    from gpuforge.model.input_files import check_output_path
    from gpuforge.model.rendering import write_atomically

    check_output_path(output, output)
    write_atomically(Path(output), text)
    click.echo(f"wrote {output}", err=True)
