"""`gpuforge image render`: the training image's Dockerfile and its key lines."""

from __future__ import annotations

from click.testing import CliRunner

from gpuforge.cli.main import cli
from gpuforge.jobs import image
from tests.conftest import ROOT


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


def test_render_writes_a_build_context_with_the_versions_asked_for(tmp_path):
    out = tmp_path / "ctx"
    args = ["image", "render", "--out", str(out), "--efa-version", "1.50.1"]
    result = CliRunner().invoke(cli, [*args, "--ofi-nccl-version", "1.20.0"])
    assert result.exit_code == 0, result.output
    text = (out / "Dockerfile").read_text()
    assert "ARG EFA_INSTALLER_VERSION=1.50.1" in text and "ARG AWS_OFI_NCCL_VERSION=1.20.0" in text
    # every file the Dockerfile COPYs is in the context, byte for byte the shipped trainer
    shipped = sorted(p.name for p in (ROOT / "examples" / "trainer").glob("*.py"))
    assert sorted(p.name for p in (out / "examples" / "trainer").iterdir()) == shipped
    for name in shipped:
        copied = (out / "examples" / "trainer" / name).read_bytes()
        assert copied == (ROOT / "examples" / "trainer" / name).read_bytes()


def test_render_never_overwrites_a_build_context(tmp_path):
    out = tmp_path / "ctx"
    (out / "examples" / "trainer").mkdir(parents=True)
    (out / "examples" / "trainer" / "train.py").write_text("mine")
    result = CliRunner().invoke(cli, ["image", "render", "--out", str(out)])
    assert result.exit_code == 2 and "would overwrite examples/trainer/train.py" in result.output
    assert (out / "examples" / "trainer" / "train.py").read_text() == "mine"
    assert not (out / "Dockerfile").exists()


def test_a_version_that_is_not_one_exits_2():
    result = CliRunner().invoke(cli, ["image", "render", "--efa-version", "latest; rm -rf /"])
    assert result.exit_code == 2 and "is not a version" in result.output
