"""`gpuforge init`: a new platform repository that works, and never a clobbered one."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from gpuforge.cli.main import cli
from gpuforge.model import catalog, spec_reference
from gpuforge.model.install_source import running_requirement
from gpuforge.model.loader import load_env
from gpuforge.model.scaffold import (
    FILES,
    PLACEHOLDER_ADMIN,
    STARTER_GPU_TYPES,
    project_files,
    starter_pool,
)
from gpuforge.model.spec import EnvironmentSpec


def _tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


def test_init_here_writes_a_project_that_validates_and_renders(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(cli, ["init", "--region", "us-west-2"])
    assert result.exit_code == 0, result.output
    files = {p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()}
    assert files == set(FILES)
    assert "Next: gpuforge validate -e dev" in result.stderr

    path, spec = load_env("dev")
    assert path == tmp_path / "stacks" / "dev.yaml"
    assert (spec.region, spec.cluster.version) == ("us-west-2", catalog.EKS_DEFAULT_VERSION)
    assert runner.invoke(cli, ["validate", "-e", "dev"]).exit_code == 0
    assert runner.invoke(cli, ["render", "-e", "dev"]).exit_code == 0
    assert "aws:region: us-west-2" in (tmp_path / "Pulumi.dev.yaml").read_text()
    assert runner.invoke(cli, ["render", "--all", "--check"]).exit_code == 0


def test_the_files_are_the_project_a_team_needs(tmp_path, runner):
    target = tmp_path / "ml platform"
    assert runner.invoke(cli, ["init", str(target)]).exit_code == 0
    project = yaml.safe_load((target / "Pulumi.yaml").read_text())
    assert project["name"] == "ml-platform"  # from the directory, made a valid project name
    assert project["runtime"]["options"]["virtualenv"] == ".venv"
    pack = yaml.safe_load((target / "policies" / "PulumiPolicy.yaml").read_text())
    # the pack runs in the same virtualenv as the program
    assert (target / "policies" / pack["runtime"]["options"]["virtualenv"]).resolve() == (
        target / ".venv"
    ).resolve()
    pins = [line for line in (target / "requirements.txt").read_text().splitlines() if line[:1]]
    # the pin names where this gpuforge came from (here: the checkout, installed editable)
    assert [p for p in pins if not p.startswith("#")] == [running_requirement().line]
    assert running_requirement().line.startswith("gpuforge[policy] @ file://")
    main = (target / "__main__.py").read_text()
    assert "from gpuforge.program import main\n\nmain()" in main
    ast.parse(main)
    pack_main = (target / "policies" / "__main__.py").read_text()
    assert pack_main.splitlines()[0] == "from gpuforge.policies.crossguard import serve"
    from gpuforge.policies import crossguard

    assert callable(crossguard.serve)
    readme = (target / "README.md").read_text()
    for step in ("gpuforge validate -e dev", "gpuforge render -e dev", "gpuforge plan -e dev"):
        assert step in readme
    assert "pulumi up -s dev --policy-pack policies" in readme
    assert "awskms://alias/gpuforge-dev-pulumi-secrets?region=us-east-1" in readme
    assert ".venv/" in (target / ".gitignore").read_text().splitlines()
    # spec errors' hints say "see stacks/README.md": the new repository has it
    reference = (target / "stacks" / "README.md").read_text()
    assert spec_reference.table(EnvironmentSpec) in reference
    assert "| `cluster.version` |" in reference


@pytest.mark.parametrize("region", sorted(catalog._data()["zones"]))
def test_the_starter_spec_validates_in_every_region_with_gpu_data(region):
    files = project_files(region=region, name="p", version="1.2.3")  # validates the spec
    pool = starter_pool(region)
    spec = yaml.safe_load(files["stacks/dev.yaml"])
    assert spec["region"] == region
    if pool is None:  # AWS offers no NVIDIA GPU in the starter AZs: no pool, and it says so
        assert spec["gpu_pools"] == [] and "no NVIDIA GPU" in files["stacks/dev.yaml"]
        return
    assert spec["gpu_pools"][0]["instance_type"] == pool.instance_type
    offered = [
        z for z in catalog.zones(region)[:2] if catalog.offered_in(region, z, pool.instance_type)
    ]
    if pool.note.endswith("only (AWS offering data)."):
        assert len(offered) == 1 and offered[0] in pool.note  # says where, and it is true
    elif pool.note.endswith("(AWS offering data)."):
        assert offered == catalog.zones(region)[:2]


def test_the_starter_pool_is_one_the_region_offers():
    assert starter_pool("us-east-1").instance_type == "g6.xlarge"
    eu = starter_pool("eu-west-1")  # no g6 in eu-west-1a
    assert catalog.offered_in("eu-west-1", "eu-west-1a", "g6.xlarge") is False
    assert (eu.name, eu.instance_type) == ("a10g", "g5.xlarge")
    assert STARTER_GPU_TYPES[0] == "g6.xlarge"


def test_a_region_without_offering_data_still_validates_and_says_so():
    region = next(r for r in catalog.regions() if not catalog.zones(r))
    pool = starter_pool(region)
    assert pool.instance_type == STARTER_GPU_TYPES[0]
    assert "no offering data" in pool.note
    project_files(region=region, name="p", version="1.2.3")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--region", "us-east-9"], "error: init: --region: unknown AWS region 'us-east-9' (did"),
        (["--region", "eu-west-1", "--name", "no spaces"], "error: init: --name: 'no spaces' is"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(runner, tmp_path, argv, message):
    target = tmp_path / "new"
    result = runner.invoke(cli, ["init", str(target), *argv])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert not target.exists()


def test_refuses_to_overwrite_names_every_file_and_writes_nothing(runner, tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "dev.yaml").write_text("mine\n")
    (tmp_path / "README.md").write_text("mine\n")
    (tmp_path / ".gitignore").symlink_to(tmp_path / "elsewhere")  # a dangling link counts
    before = _tree(tmp_path)
    result = runner.invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert line.count("\n") == 0 and "would overwrite" in line
    for name in ("stacks/dev.yaml", ".gitignore", "README.md"):
        assert name in line
    assert "Pulumi.yaml" not in line
    assert _tree(tmp_path) == before
    assert (tmp_path / "README.md").read_text() == "mine\n"


def test_a_file_where_a_folder_goes_blocks_too(runner, tmp_path):
    (tmp_path / "policies").write_text("not a folder\n")
    result = runner.invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "policies/PulumiPolicy.yaml, policies/__main__.py" in result.stderr
    assert _tree(tmp_path) == {"policies"}


def test_directory_that_is_a_file_is_bad_input(runner, tmp_path):
    target = tmp_path / "afile"
    target.write_text("x")
    result = runner.invoke(cli, ["init", str(target)])
    assert result.exit_code == 2
    assert result.stderr == f"error: {target}: is a file (give a directory for the new project)\n"


def test_creates_missing_folders(runner, tmp_path):
    target = tmp_path / "a" / "b"
    assert runner.invoke(cli, ["init", str(target)]).exit_code == 0
    assert (target / "stacks" / "dev.yaml").is_file()


def test_a_failed_write_takes_back_what_it_wrote(runner, tmp_path, monkeypatch):
    real_open = Path.open

    def failing_open(self, mode="r", *args, **kwargs):
        if self.name == "README.md" and "x" in mode:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", failing_open)
    target = tmp_path / "new"
    result = runner.invoke(cli, ["init", str(target)])
    assert result.exit_code == 2
    assert "cannot write the project" in result.stderr and "Permission denied" in result.stderr
    assert not target.exists()


def test_admins_given_replace_the_placeholder(runner, tmp_path):
    """`--admin` ARNs become cluster.admins; without them a placeholder says to replace it."""
    mine = ["arn:aws:iam::111122223333:role/a", "arn:aws:iam::111122223333:role/b"]
    args = ["init", str(tmp_path / "p"), "--admin", mine[0], "--admin", mine[1]]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    text = (tmp_path / "p" / "stacks" / "dev.yaml").read_text()
    assert yaml.safe_load(text)["cluster"]["admins"] == mine
    assert "Replace with your platform admins" not in text and "placeholder" not in result.stderr

    result = runner.invoke(cli, ["init", str(tmp_path / "q")])
    text = (tmp_path / "q" / "stacks" / "dev.yaml").read_text()
    assert yaml.safe_load(text)["cluster"]["admins"] == [PLACEHOLDER_ADMIN]
    assert "Replace with your platform admins" in text and "placeholder admin" in result.stderr


def test_a_bad_admin_is_one_line_and_writes_nothing(runner, tmp_path):
    target = tmp_path / "p"
    result = runner.invoke(cli, ["init", str(target), "--admin", "arn:aws:iam::1:role/x"])
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "cluster.admins" in result.stderr
    assert not target.exists()
