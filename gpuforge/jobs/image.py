"""The training image's build context: the Dockerfile, rendered from
`templates/trainer.Dockerfile.j2`, and the reference trainer it copies in.

Pure files: no Docker here. The defaults are the versions this release of gpuforge
was written against; pass newer ones when AWS publishes them.
"""

from __future__ import annotations

from gpuforge.jobs import pod_security

TEMPLATE = "trainer.Dockerfile.j2"
TRAINER_PACKAGE = "gpuforge.reference_trainer"
"""examples/trainer/, shipped in the package (mapped in pyproject.toml)."""
TRAINER_DIR = "examples/trainer"
"""Where the trainer sits in the build context and in the image's /workspace: the path job
specs name in `command:`, so one job file runs locally and on the cluster."""
BASE_IMAGE = "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-devel"
"""CUDA PyTorch with the CUDA headers aws-ofi-nccl's build needs (the `devel` flavour)."""
EFA_INSTALLER_VERSION = "1.49.0"
AWS_OFI_NCCL_VERSION = "1.19.0"
BOTO3_VERSION = "1.44.18"
"""The boto3 the image installs: the version gpuforge's own tests run the trainer with."""


def render_dockerfile(
    base_image: str = BASE_IMAGE,
    efa_version: str = EFA_INSTALLER_VERSION,
    ofi_nccl_version: str = AWS_OFI_NCCL_VERSION,
    *,
    base_digest: str = "",
    efa_sha256: str = "",
    ofi_nccl_sha256: str = "",
) -> str:
    """The Dockerfile text.

    Digests left empty stay empty build arguments: the build then stops at its first
    check until they are given (`--build-arg`), never trusting an unchecked download.
    """
    from gpuforge.model.rendering import template_environment

    template = template_environment().get_template(TEMPLATE)
    return template.render(
        base_image=base_image,
        base_digest=base_digest,
        efa_version=efa_version,
        efa_sha256=efa_sha256,
        ofi_nccl_version=ofi_nccl_version,
        ofi_nccl_sha256=ofi_nccl_sha256,
        boto3_version=BOTO3_VERSION,
        uid=pod_security.RUN_AS_USER,
        gid=pod_security.RUN_AS_GROUP,
        user=pod_security.USER_NAME,
        cache_dir=pod_security.CACHE_DIR,
        output_dir=pod_security.OUTPUT_DIR,
    )


def build_context(dockerfile_text: str) -> dict[str, bytes]:
    """Every file of the image's build context, by path relative to it.

    The Dockerfile plus the reference trainer from the installed package, so the build
    works from any directory, not only a gpuforge checkout.
    """
    from importlib.resources import files

    trainer = files(TRAINER_PACKAGE)
    context = {"Dockerfile": dockerfile_text.encode()}
    for entry in sorted(trainer.iterdir(), key=lambda e: e.name):
        if entry.is_file() and entry.name.endswith(".py"):
            context[f"{TRAINER_DIR}/{entry.name}"] = entry.read_bytes()
    return context
