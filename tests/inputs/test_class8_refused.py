"""Class 8: what gpuforge accepted but AWS, EKS or Kubernetes would refuse (or could never
run), each check citing its source next to it: image references (distribution/reference),
commands, EKS versions, public endpoint CIDRs (EKS quota and reserved ranges), the system
pool's offering, nodes that can never start, S3 bucket names, init names."""

from __future__ import annotations

import pytest

from gpuforge.model import catalog
from gpuforge.model.image_reference import image_reference_problem
from gpuforge.model.s3_names import bucket_name_problem
from tests.inputs.conftest import ROOT, refuse

JOB = str(ROOT / "examples" / "jobs" / "tiny-gpt.yaml")
TINY_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/training/gpuforge-trainer:latest"

IMAGES = {
    "upper-case repository": "MyRegistry/Train:1",
    "upper-case single name": "UBUNTU",
    "empty tag": "repo:",
    "short digest": "repo@sha256:abc",
    "sha256 of 63 digits": "repo@sha256:" + "a" * 63,
    "unknown digest algorithm": "repo@md5:" + "a" * 32,
    "two tags": "a:2:3",
    "a URL": "https://registry.example.com/a:1",
    "a newline": "repo\n:1",
    "an escape": "repo\x1b:1",
    "a space": "repo :1",
    "double slash": "a//b",
    "leading dash": "-repo",
    "tag of 129": "repo:" + "a" * 129,
    "tag starting with a dot": "repo:.1",
    "name of 256": "a" * 256,
    "trailing slash": "repo/",
    "empty": "",
}

VALID_IMAGES = [
    "ubuntu",
    "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime",
    "nvcr.io/nvidia/pytorch:25.01-py3",
    "localhost:5000/a/b:1",
    "[::1]:5000/x",
    TINY_IMAGE,
    "repo@sha256:" + "a" * 64,
    "repo:1@sha256:" + "0" * 64,
]


@pytest.mark.parametrize(
    "image",
    ["ubuntu", "repo:latest", "registry.example.com:5000/team/trainer", "a/b:latest"],
)
def test_an_image_that_names_no_fixed_version_is_refused(image, project):
    # grammatical, but :latest (written or implied) moves under a running gang
    assert image_reference_problem(image) is None
    refuse(["launch", JOB, "-e", "dev", "--dry-run", "--set", "image=" + image], "image")


@pytest.mark.parametrize(
    "image", ["repo:1", "repo@sha256:" + "a" * 64, "repo:latest@sha256:" + "b" * 64]
)
def test_a_pinned_image_passes(image):
    from gpuforge.model.image_reference import moving_tag_problem

    assert moving_tag_problem(image) is None


@pytest.mark.parametrize("image", list(IMAGES.values()), ids=list(IMAGES))
def test_image_references_a_registry_refuses(image, project):
    assert image_reference_problem(image) is not None
    item = "image=" + image if image else "image=''"
    refuse(["launch", JOB, "-e", "dev", "--dry-run", "--set", item], "image")


@pytest.mark.parametrize("image", VALID_IMAGES)
def test_image_references_that_pass(image):
    assert image_reference_problem(image) is None


COMMANDS = {
    "an empty script": '[""]',
    "a blank script": '[" ", x]',
    "torchrun by path": "[/usr/bin/torchrun, train.py]",
    "torchrun relative": "[./bin/torchrun, train.py]",
    "python -m torch.distributed.run": "[python, -m, torch.distributed.run, train.py]",
    "python3.12 -m torch.distributed.launch": "[python3.12, -m, torch.distributed.launch, x]",
    "-m torch.distributed.run": "[-m, torch.distributed.run, train.py]",
    "a NUL": '["train.py", "a\\0b"]',
    "a string with torchrun": "'torchrun train.py'",
}


@pytest.mark.parametrize("command", list(COMMANDS.values()), ids=list(COMMANDS))
def test_commands(command, project, job_text):
    old = 'command: [examples/trainer/train.py, --steps, "40"]'
    assert old in job_text
    (project / "job.yaml").write_text(job_text.replace(old, f"command: {command}"))
    refuse(["launch", "job.yaml", "-e", "dev", "--dry-run"], "command")


def _env(project, old: str, new: str) -> None:
    text = (project / "stacks" / "dev.yaml").read_text()
    assert old in text, old
    (project / "env.yaml").write_text(text.replace(old, new, 1))


VERSIONS = {"1.99": "1.99", "2.0": "2.0", "three past the newest": None, "1.28 (ended)": "1.28"}


@pytest.mark.parametrize("case", list(VERSIONS))
def test_cluster_versions_eks_does_not_run(case, project):
    version = VERSIONS[case]
    if version is None:
        major, minor = catalog.k8s_minor(catalog.newest_eks_version())
        version = f"{major}.{minor + 3}"
    _env(project, 'version: "1.35"', f'version: "{version}"')
    refuse(["validate", "-e", "env.yaml"], "cluster.version")


PUBLIC = 'version: "1.35"\n  public_endpoint: true\n  public_access_cidrs: {}'
CIDRS = {
    "41 CIDRs": "[" + ", ".join(f"203.0.{i}.0/24" for i in range(41)) + "]",
    "10.0.0.0/8": "[10.0.0.0/8]",
    "inside 172.16/12": "[172.20.1.0/24]",
    "inside 192.168/16": "[192.168.1.0/24]",
    "CGNAT": "[100.64.0.0/10]",
    "loopback": "[127.0.0.1/32]",
    "link-local": "[169.254.169.254/32]",
    "multicast": "[224.0.0.0/4]",
    "reserved": "[240.0.0.0/8]",
    "IPv6 on an IPv4 cluster": "['2001:db8::/32']",
    "one good, one private": "[203.0.113.0/24, 10.1.0.0/16]",
}


@pytest.mark.parametrize("case", list(CIDRS))
def test_public_endpoint_cidrs(case, project):
    _env(project, 'version: "1.35"', PUBLIC.format(CIDRS[case]))
    refuse(["validate", "-e", "env.yaml"], "public_access_cidrs")


def test_forty_public_cidrs_pass(project):
    cidrs = "[" + ", ".join(f"203.0.{i}.0/24" for i in range(40)) + "]"
    _env(project, 'version: "1.35"', PUBLIC.format(cidrs))
    from click.testing import CliRunner

    from gpuforge.cli.main import cli

    result = CliRunner().invoke(cli, ["validate", "-e", "env.yaml"])
    assert result.exit_code in (0, 1), result.output  # accepted (policy findings may follow)
    assert "public_access_cidrs" not in result.stderr


def test_a_system_pool_type_the_azs_do_not_offer(project):
    zones = catalog.zones("us-east-1")[:2]
    unsold = next(
        t
        for t in catalog.accelerated_types()
        if all(catalog.offered_in("us-east-1", z, t) is False for z in zones)
    )
    _env(project, "    instance_type: m7i.large", f"    instance_type: {unsold}")
    refuse(["validate", "-e", "env.yaml"], "cluster.system_pool.instance_type", "offered")


OFF = "autoscaling: {enabled: false}\ncluster:"
SYSTEM_MIN = "    min: 1\n    max: 2\n\ngpu"
GPU_MIN = "    min: 0\n    max: 2\n    disk"
NO_NODES = {
    "off, every GPU pool at min 0": ([("cluster:", OFF)], "autoscaling.enabled"),
    "off, system pool at min 0": (
        [
            ("cluster:", OFF),
            (SYSTEM_MIN, SYSTEM_MIN.replace("1", "0")),
            (GPU_MIN, GPU_MIN.replace("0", "1")),
        ],
        "cluster.system_pool.min",
    ),
}


@pytest.mark.parametrize("case", list(NO_NODES))
def test_nodes_that_can_never_start(case, project):
    edits, field = NO_NODES[case]
    text = (project / "stacks" / "dev.yaml").read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    (project / "env.yaml").write_text(text)
    refuse(["validate", "-e", "env.yaml"], field)


BUCKETS = {
    "an open brace": "s3://{checkpoints/x",
    "upper case": "s3://My-Bucket/x",
    "underscore": "s3://my_bucket/x",
    "two characters": "s3://ab/x",
    "64 characters": "s3://" + "a" * 64 + "/x",
    "an IP address": "s3://192.168.1.1/x",
    "two periods": "s3://a..b/x",
    "xn-- prefix": "s3://xn--abc/x",
    "sthree- prefix": "s3://sthree-abc/x",
    "-s3alias suffix": "s3://abc-s3alias/x",
    "--ol-s3 suffix": "s3://abc--ol-s3/x",
    "leading dash": "s3://-abc/x",
    "no bucket": "s3:///x",
    "a control character": "s3://abc/x\x07",
    "not s3": "gs://abc/x",
    "unknown logical bucket": "s3://{nope}/x",
}


@pytest.mark.parametrize("uri", list(BUCKETS.values()), ids=list(BUCKETS))
def test_checkpoint_uris(uri, project):
    refuse(
        ["launch", JOB, "-e", "dev", "--local", "--dry-run", "--checkpoint-uri", uri],
        "--checkpoint-uri",
    )


@pytest.mark.parametrize("name", ["abc", "my-bucket", "a.b.c", "a" * 63, "123"])
def test_bucket_names_s3_takes(name):
    assert bucket_name_problem(name) is None


@pytest.mark.parametrize("name", ["abc\n", "abc\r\n", "abc ", "abc\t"])
def test_init_name_with_trailing_whitespace(name, tmp_path):
    refuse(["init", str(tmp_path / "p"), "--name", name], "--name", cwd=tmp_path)
