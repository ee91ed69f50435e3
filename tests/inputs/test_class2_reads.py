"""Class 2: every file gpuforge reads is a regular file, opened without blocking, read to
a size cap (the same for environment and job specs); a path it writes is refused, not
blocked on, when it is not a regular file."""

from __future__ import annotations

import os
import socket

import pytest

from gpuforge.model.errors import SpecError
from gpuforge.model.input_files import (
    MAX_INPUT_BYTES,
    check_output_path,
    read_user_text,
)
from tests.inputs.conftest import refuse, refuse_in_process


def _special(kind: str, folder) -> str:
    """A path of `kind` under `folder` (or a device)."""
    path = folder / kind
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "loop":
        os.symlink(folder / "loop2", path)
        os.symlink(path, folder / "loop2")
    elif kind == "dangling":
        os.symlink(folder / "nowhere", path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(str(path))
        sock.close()
    elif kind == "huge":
        path.write_text("name: x\n" + "# padding\n" * 400_000)  # 4 MB
    elif kind in ("zero", "urandom", "null"):
        return f"/dev/{kind}"
    return str(path)


READS = ["fifo", "zero", "urandom", "loop", "dangling", "directory", "socket", "huge", "null"]


@pytest.mark.parametrize("kind", READS)
def test_a_job_file_that_is_no_regular_file(kind, project):
    path = _special(kind, project)
    refuse_in_process(["launch", path, "-e", "dev", "--dry-run"], cwd=project)


@pytest.mark.parametrize("kind", READS)
def test_an_environment_spec_that_is_no_regular_file(kind, project):
    path = _special(kind, project)
    refuse_in_process(["validate", "-e", path], cwd=project)


@pytest.mark.parametrize("kind", READS)
def test_a_kubeconfig_that_is_no_regular_file(kind, project):
    """A kubeconfig that cannot be read is "cannot use" (exit 1, as a missing one always was);
    a directory is refused by the option itself (exit 2)."""
    path = _special(kind, project)
    code = 2 if kind == "directory" else 1
    line = refuse_in_process(["jobs", "-e", "dev", "--kubeconfig", path], cwd=project, code=code)
    assert line.startswith("error: cannot use ") or kind == "directory", line


WRITES = ["fifo", "loop", "dangling", "socket", "zero"]  # a directory: --out DIR/Pulumi.<env>.yaml


@pytest.mark.parametrize("kind", WRITES)
def test_render_out_that_is_no_regular_file(kind, project):
    path = _special(kind, project)
    refuse_in_process(["render", "-e", "dev", "--out", path], cwd=project)


@pytest.mark.parametrize("kind", ["fifo", "loop", "dangling", "socket", "zero"])
def test_image_render_out_that_is_no_directory(kind, project):
    # --out is the build context's directory: anything else there is refused, not written
    path = _special(kind, project)
    refuse_in_process(["image", "render", "--out", path], cwd=project)


def test_an_image_context_in_a_missing_folder_is_created(project):
    from click.testing import CliRunner

    from gpuforge.cli.main import cli

    out = project / "no" / "ctx"
    result = CliRunner().invoke(cli, ["image", "render", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "Dockerfile").is_file()


def test_the_cap_is_the_same_for_environment_and_job_specs(project):
    big = "# padding\n" * (MAX_INPUT_BYTES // 10 + 1)
    (project / "job.yaml").write_text("name: x\n" + big)
    (project / "env.yaml").write_text("environment: dev\n" + big)
    cap = f"larger than {MAX_INPUT_BYTES // 1024} KiB"
    refuse(["launch", "job.yaml", "-e", "dev", "--dry-run"], cap)
    refuse(["validate", "-e", "env.yaml"], cap)


def test_the_reader_reads_no_more_than_the_cap(tmp_path):
    with pytest.raises(SpecError, match="character device"):
        read_user_text("/dev/zero", "z")
    path = tmp_path / "f"
    path.write_text("x" * 10)
    assert read_user_text(path, "f", limit=10) == "x" * 10
    with pytest.raises(SpecError, match="larger than"):
        read_user_text(path, "f", limit=9)


def test_output_checks(tmp_path):
    check_output_path(tmp_path / "new", "new")  # a new file in an existing folder
    (tmp_path / "file").write_text("")
    check_output_path(tmp_path / "file", "file")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(SpecError, match="FIFO"):
        check_output_path(tmp_path / "fifo", "fifo")


@pytest.mark.parametrize("kind", ["fifo", "zero", "loop", "socket"])
def test_emulate_kubeconfig_that_is_no_regular_file(kind, project):
    path = _special(kind, project)
    refuse_in_process(["emulate", "k8s", "-e", "dev", "--kubeconfig", path], cwd=project)


@pytest.mark.parametrize("kind", ["fifo", "zero", "urandom", "huge"])
def test_burn_in_results_that_are_no_regular_file(kind, project):
    path = _special(kind, project)
    args = ["validate-pool", "l4", "-e", "dev", "--results", path]
    refuse_in_process(args, cwd=project)
