"""`gpuforge image render`: the training image's Dockerfile and its key lines."""

from __future__ import annotations

from click.testing import CliRunner

from gpuforge.cli.main import cli
from gpuforge.jobs import image


def test_the_rendered_dockerfile_installs_efa_and_aws_ofi_nccl_on_a_cuda_pytorch_base():
    text = image.render_dockerfile()
    lines = text.splitlines()
    assert f"ARG BASE_IMAGE={image.BASE_IMAGE}" in lines and "FROM ${BASE_IMAGE}" in lines
    assert "cuda" in image.BASE_IMAGE and image.BASE_IMAGE.startswith("pytorch/pytorch:")
    assert f"ARG EFA_INSTALLER_VERSION={image.EFA_INSTALLER_VERSION}" in lines
    assert "./efa_installer.sh -y --skip-kmod --skip-limit-conf --no-verify" in text
    assert "--with-libfabric=/opt/amazon/efa --with-cuda=/usr/local/cuda" in text
    assert "aws-ofi-nccl-${AWS_OFI_NCCL_VERSION}.tar.gz" in text
    assert "ENV LD_LIBRARY_PATH=/opt/amazon/ofi-nccl/lib:/opt/amazon/efa/lib" in text
    assert "COPY examples/trainer/ /workspace/examples/trainer/" in lines
    assert "efa-installer-containers.html" in text  # the source of the install steps


def test_render_writes_a_file_with_the_versions_asked_for(tmp_path):
    out = tmp_path / "Dockerfile"
    args = ["image", "render", "-o", str(out), "--efa-version", "1.50.1"]
    result = CliRunner().invoke(cli, [*args, "--ofi-nccl-version", "1.20.0"])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "ARG EFA_INSTALLER_VERSION=1.50.1" in text and "ARG AWS_OFI_NCCL_VERSION=1.20.0" in text


def test_a_version_that_is_not_one_exits_2():
    result = CliRunner().invoke(cli, ["image", "render", "--efa-version", "latest; rm -rf /"])
    assert result.exit_code == 2 and "is not a version" in result.output


def test_the_image_runs_as_the_user_every_pod_runs_as():
    """`USER uid:gid` last, matching the pods' runAsUser/runAsGroup (issue 20), and the
    directories the pods mount emptyDirs on exist and belong to that user."""
    from gpuforge.jobs import pod_security

    lines = image.render_dockerfile().splitlines()
    users = [line for line in lines if line.startswith("USER ")]
    uid, gid = pod_security.RUN_AS_USER, pod_security.RUN_AS_GROUP
    assert users == [f"USER {uid}:{gid}"]
    assert lines.index(users[0]) > max(i for i, line in enumerate(lines) if line.startswith("RUN"))
    text = "\n".join(lines)
    assert f"useradd --uid {uid} --gid {gid}" in text and f"groupadd --gid {gid}" in text
    assert f"chown {uid}:{gid} {pod_security.CACHE_DIR} {pod_security.OUTPUT_DIR}" in text
    assert uid >= 10000 and gid >= 10000  # checkov CKV_K8S_40
