"""The training image's Dockerfile, rendered from `templates/trainer.Dockerfile.j2`.

Pure text: no Docker here. The defaults are the versions this release of gpuforge
was written against; pass newer ones when AWS publishes them.
"""

from __future__ import annotations

from gpuforge.jobs import pod_security

TEMPLATE = "trainer.Dockerfile.j2"
BASE_IMAGE = "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-devel"
"""CUDA PyTorch with the CUDA headers aws-ofi-nccl's build needs (the `devel` flavour)."""
EFA_INSTALLER_VERSION = "1.49.0"
AWS_OFI_NCCL_VERSION = "1.19.0"


def render_dockerfile(
    base_image: str = BASE_IMAGE,
    efa_version: str = EFA_INSTALLER_VERSION,
    ofi_nccl_version: str = AWS_OFI_NCCL_VERSION,
) -> str:
    """The Dockerfile text."""
    from gpuforge.model.rendering import template_environment

    template = template_environment().get_template(TEMPLATE)
    return template.render(
        base_image=base_image,
        efa_version=efa_version,
        ofi_nccl_version=ofi_nccl_version,
        uid=pod_security.RUN_AS_USER,
        gid=pod_security.RUN_AS_GROUP,
        user=pod_security.USER_NAME,
        cache_dir=pod_security.CACHE_DIR,
        output_dir=pod_security.OUTPUT_DIR,
    )
