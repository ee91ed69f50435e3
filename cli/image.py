"""`gpuforge image render`: the training image's Dockerfile."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from gpuforge.cli.errors import BadInput
from gpuforge.jobs import image as dockerfile

_VERSION = re.compile(r"[0-9]+(\.[0-9]+)*(-aws)?")
_SHA256 = re.compile(r"[0-9a-f]{64}")


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


def _sha256(ctx, param, value: str) -> str:
    text = value.removeprefix("sha256:") if param.name == "base_digest" else value
    if text and not _SHA256.fullmatch(text):
        raise click.BadParameter(f"{value!r} is not a sha256 (64 lower-case hex digits)")
    return f"sha256:{text}" if text and param.name == "base_digest" else text


@click.group()
def image() -> None:
    """Render the training image's Dockerfile (CUDA PyTorch, EFA)."""


@image.command("render")
@click.option(
    "--out",
    "out",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the build context here (Dockerfile and examples/trainer/) instead of "
    "printing the Dockerfile.",
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
@click.option(
    "--base-digest",
    "base_digest",
    metavar="SHA256",
    default="",
    callback=_sha256,
    help="The base image's digest (docker buildx imagetools inspect IMAGE); "
    "else the build needs --build-arg BASE_DIGEST.",
)
@click.option(
    "--efa-sha256",
    "efa_sha256",
    metavar="HEX",
    default="",
    callback=_sha256,
    help="sha256 of the EFA installer tarball, as AWS publishes it (efa-verify.html); "
    "else the build needs --build-arg EFA_INSTALLER_SHA256.",
)
@click.option(
    "--ofi-nccl-sha256",
    "ofi_nccl_sha256",
    metavar="HEX",
    default="",
    callback=_sha256,
    help="sha256 of the aws-ofi-nccl release tarball; "
    "else the build needs --build-arg AWS_OFI_NCCL_SHA256.",
)
def render(
    out: Path | None,
    base: str,
    efa_version: str,
    ofi_nccl_version: str,
    base_digest: str,
    efa_sha256: str,
    ofi_nccl_sha256: str,
) -> None:
    """Write the training image's Dockerfile, or its whole build context.

    A CUDA PyTorch base, the EFA software installed as AWS documents for
    containers, the aws-ofi-nccl plugin on the library path, boto3 for S3
    checkpoints, and the reference trainer (examples/trainer/). The base is
    pulled by digest and each download is checked against its sha256 before
    it is unpacked: give them here or as build arguments. With --out DIR
    it writes DIR/Dockerfile and DIR/examples/trainer/ (the trainer ships with
    gpuforge), so the image builds from any repository; without it, the
    Dockerfile goes to stdout, to build from a gpuforge checkout's root. Build it
    in CI and push it to ECR; jobs name it in `image:`.

    \b
    Example:
      gpuforge image render --out build/trainer-image
      docker build -t $ECR/training/trainer:1 build/trainer-image
    """
    text = dockerfile.render_dockerfile(
        base,
        efa_version,
        ofi_nccl_version,
        base_digest=base_digest,
        efa_sha256=efa_sha256,
        ofi_nccl_sha256=ofi_nccl_sha256,
    )
    if out is None:
        click.echo(text, nl=False)
        return
    if os.path.lexists(out) and not out.is_dir():  # a file, FIFO, device or broken link
        raise BadInput(f"{out}: is not a directory (give a new or empty directory)")
    context = dockerfile.build_context(text)
    clashes = [name for name in context if (out / name).exists()]
    if clashes:
        raise BadInput(
            f"{out}: would overwrite {', '.join(clashes)} "
            "(give a new or empty directory for the build context)"
        )
    for name, data in context.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    click.echo(f"wrote {out}/ ({', '.join(context)})", err=True)
    click.echo(f"Next: docker build -t <registry>/training/trainer:<tag> {out}", err=True)
