"""Bad input, by class: each class refused at `validate` with one line, exit 2.

Every case goes through the CLI (`gpuforge validate -e dev` on a scratch project)
and asserts the one-line shape (file, line, field), the problem and the limit it
names. The classes: YAML that would break the loader, names that only look
valid, AWS and Kubernetes limits (counting what gpuforge adds), instance
offerings, what `plan` would refuse, partitions and unusable VPC ranges.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys

import pytest
import yaml

from gpuforge.cli.main import cli
from gpuforge.model import catalog
from gpuforge.model.checks.pools import node_group_tags
from gpuforge.model.errors import SpecError
from gpuforge.model.hardened_yaml import MAX_DEPTH, MAX_SPEC_BYTES
from gpuforge.model.loader import load_spec, spec_from_data
from tests.conftest import shipped_spec

ERROR_LINE = re.compile(r"^error: (?P<file>[^:]+)(:(?P<line>\d+))?: (?P<rest>.+)$")
DEV = "stacks/dev.yaml"


def _validate(runner, project, text: str | bytes):
    path = project / "stacks" / "dev.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return runner.invoke(cli, ["validate", "-e", "dev"])


def _refused(result, field: str | None, *needles: str, line: bool = True):
    """Exit 2, exactly one stderr line naming the file (and line, field), no traceback."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    match = ERROR_LINE.match(lines[0])
    assert match, lines[0]
    assert match["file"] == DEV
    if line:
        assert match["line"], f"no line number: {lines[0]}"
    if field is not None:
        assert match["rest"].startswith(f"{field}: "), lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in result.output
    return lines[0]


def _dev(change) -> str:
    data = copy.deepcopy(shipped_spec("dev"))
    change(data)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _pool(**fields):
    return lambda d: d["gpu_pools"][0].update(fields)


# -- YAML that would break the loader ------------------------------------------------


BILLION_LAUGHS = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [
        f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]"
        for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    ]
)

YAML_CASES = {
    "self-referencing alias": ("environment: dev\nx: &a [*a]\n", "x", "anchors (&a)", 2),
    "alias bomb": (BILLION_LAUGHS, "a", "anchors (&a) are not allowed", 1),
    "alias to a value": (
        "environment: dev\nregion: &r us-east-1\ntags: {x: *r}\n",
        "region",
        "anchors (&r)",
        2,
    ),
    "alias without anchor": ("environment: dev\nregion: *r\n", "region", "aliases (*r)", 2),
    "merge key": ("environment: dev\ntags:\n  <<: {a: b}\n", "tags", "merge keys (<<)", 3),
    "complex list key": ("environment: dev\n? [a, b]\n: 1\n", None, "not a list", 2),
    "complex mapping key": ("environment: dev\ntags: {? {a: 1}: x}\n", "tags", "not a mapping", 2),
    "deep flow nesting": (
        "x: " + "[" * 5000 + "]" * 5000 + "\n",
        None,
        f"deeper than {MAX_DEPTH}",
        1,
    ),
    "deep block nesting": (
        "".join(f"{'  ' * i}k{i}:\n" for i in range(40)) + "  " * 40 + "v\n",
        None,
        f"deeper than {MAX_DEPTH} levels",
        MAX_DEPTH + 1,
    ),
    "NUL byte": ("environment: dev\x00\nregion: us-east-1\n", "column 17", "U+0000", 1),
    "escape sequence": ("environment: dev\nregion: \x1b[31mus-east-1\n", "column 9", "U+001B", 2),
    "bidi override": ("environment: dev # \u202e\n", "column 20", "U+202E", 1),
    "unicode line separator": ("environment: dev\u2028\nregion: x\n", "column 17", "U+2028", 1),
    "NEL": ("environment: dev\nregion: us-east-1\x85\n", "column 18", "U+0085", 2),
    "huge number": (
        "environment: dev\ncost: {monthly_budget_usd: " + "9" * 5000 + "}\n",
        None,
        "too long",
        2,
    ),  # fmt: skip
    "python tag": ("environment: !!python/object:os.system dev\n", "column 14", "invalid YAML", 1),
}


@pytest.mark.parametrize("case", list(YAML_CASES))
def test_yaml_that_would_break_the_loader(runner, project, case):
    text, field, needle, line = YAML_CASES[case]
    message = _refused(_validate(runner, project, text), field, needle)
    assert ERROR_LINE.match(message)["line"] == str(line)


def test_alias_bomb_fails_at_the_first_anchor_without_expanding(tmp_path):
    """A 100-level bomb would be 9**100 nodes: refused at line 1, before any alias."""
    levels = [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 100)]
    path = tmp_path / "bomb.yaml"
    path.write_text("l0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "\n".join(levels) + "\n")
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert (caught.value.line, caught.value.field) == (1, "l0")
    assert "anchors (&l0) are not allowed" in caught.value.problem


def test_the_bomb_through_a_real_process(project):
    (project / "stacks" / "dev.yaml").write_text(BILLION_LAUGHS)
    done = subprocess.run(
        [sys.executable, "-m", "gpuforge.cli", "validate", "-e", "dev"],
        capture_output=True,
        text=True,
        timeout=120,  # a guard against a hang, not a speed assertion
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: stacks/dev.yaml:1: a: YAML anchors (&a) are not allowed")
    assert len(done.stderr.splitlines()) == 1


def test_a_huge_file_is_refused_without_parsing(runner, project):
    text = "environment: dev\n" + "# padding\n" * (MAX_SPEC_BYTES // 10)
    _refused(
        _validate(runner, project, text),
        None,
        f"larger than {MAX_SPEC_BYTES // 1024} KiB",
        line=False,
    )


def test_a_file_just_under_the_limit_is_parsed(runner, project):
    text = (project / "stacks" / "dev.yaml").read_text()
    text += "# padding\n" * ((MAX_SPEC_BYTES - len(text)) // 10)
    assert len(text.encode()) <= MAX_SPEC_BYTES
    result = _validate(runner, project, text)
    assert result.exit_code == 0, result.output


def test_not_utf8(runner, project):
    message = _refused(
        _validate(runner, project, b"environment: dev\nregion: us-east-1\xff\n"), None, "not UTF-8"
    )
    assert message.startswith("error: stacks/dev.yaml:2: not UTF-8 text (byte 0xff)")


def test_a_byte_order_mark_is_fine(runner, project):
    text = "\ufeff" + (project / "stacks" / "dev.yaml").read_text()
    assert _validate(runner, project, text).exit_code == 0


# -- names that only look valid ----------------------------------------------------------

LOOK_ALIKES = {
    "environment, trailing newline": (lambda d: d.update(environment="dev\n"), "environment"),
    "environment, Cyrillic e": (lambda d: d.update(environment="d\u0435v"), "environment"),
    "environment, tab": (lambda d: d.update(environment="dev\t"), "environment"),
    "pool name, trailing newline": (_pool(name="l4\n"), "gpu_pools[0].name"),
    "pool name, full-width digit": (_pool(name="l\uff14"), "gpu_pools[0].name"),
    "namespace, trailing newline": (
        lambda d: d["training"].update(namespace="training\n"),
        "training.namespace",
    ),
    "bucket, trailing newline": (
        lambda d: d["storage"]["buckets"][0].update(name="datasets\n"),
        "storage.buckets[0].name",
    ),
    "label value, trailing newline": (_pool(labels={"team": "ml\n"}), "gpu_pools[0].labels.team"),
    "label key, trailing newline": (_pool(labels={"team\n": "ml"}), "gpu_pools[0].labels.team"),
    "taint key, tab": (_pool(taints=[{"key": "dedicated\t"}]), "gpu_pools[0].taints[0].key"),
    "reservation id, trailing newline": (
        _pool(
            capacity="on-demand", az="us-east-1a", capacity_reservation_id="cr-0123456789abcdef0\n"
        ),
        "gpu_pools[0].capacity_reservation_id",
    ),
    "admin ARN, trailing newline": (
        lambda d: d["cluster"].update(admins=["arn:aws:iam::123456789012:role/admin\n"]),
        "cluster.admins[0]",
    ),
    "admin ARN, Arabic-Indic digits": (
        lambda d: d["cluster"].update(admins=["arn:aws:iam::\u0661" + "2" * 11 + ":role/admin"]),
        "cluster.admins[0]",
    ),
    "account id, full-width digits": (lambda d: d.update(account_id="\uff11" * 12), "account_id"),
    "account id, trailing newline": (lambda d: d.update(account_id="123456789012\n"), "account_id"),
    "version, full-width digits": (
        lambda d: d["cluster"].update(version="\uff11.\uff13\uff15"),
        "cluster.version",
    ),
    "version, trailing newline": (
        lambda d: d["cluster"].update(version="1.35\n"),
        "cluster.version",
    ),
    "AZ, trailing newline": (
        lambda d: d["network"].update(azs=["us-east-1a", "us-east-1b\n"]),
        "network.azs[1]",
    ),
    "region, trailing newline": (lambda d: d.update(region="us-east-1\n"), "region"),
    "tag value, newline": (lambda d: d["tags"].update(team="ml\nplatform"), "tags.team"),
}


@pytest.mark.parametrize("case", list(LOOK_ALIKES))
def test_names_that_only_look_valid(runner, project, case):
    change, field = LOOK_ALIKES[case]
    message = _refused(_validate(runner, project, _dev(change)), None)
    rest = ERROR_LINE.match(message)["rest"]
    assert rest.startswith(field), message
    assert "\n" not in message and "\t" not in message  # shown escaped, on one line


def test_the_trailing_newline_is_shown_not_printed(runner, project):
    message = _refused(
        _validate(runner, project, _dev(lambda d: d.update(environment="dev\n"))), "environment"
    )
    assert "'dev\\n' is not a valid environment name" in message


# -- limits AWS and Kubernetes enforce --------------------------------------------------

LIMIT_CASES = {
    # AWS tags on every resource
    "tag key of 129": (lambda d: d["tags"].update({"k" * 129: "v"}), "tags.", "AWS allows 128"),
    "tag value of 257": (lambda d: d["tags"].update(team="v" * 257), "tags.team", "AWS allows 256"),
    "aws: tag": (lambda d: d["tags"].update({"aws:team": "x"}), "tags.aws:team", "reserved"),
    "AWS: tag": (lambda d: d["tags"].update({"AWS:Team": "x"}), "tags.AWS:Team", "reserved"),
    "tag character": (lambda d: d["tags"].update({"team!": "x"}), "tags.team!", "'!'"),
    "tag value character": (lambda d: d["tags"].update(team="a;b"), "tags.team", "';'"),
    "gpuforge's own tag": (
        lambda d: d["tags"].update({"gpuforge.dev/environment": "prod"}),
        "tags.gpuforge.dev/environment",
        "gpuforge's own tags",
    ),
    "autoscaler tag": (
        lambda d: d["tags"].update({"k8s.io/cluster-autoscaler/enabled": "false"}),
        "tags.k8s.io/cluster-autoscaler/enabled",
        "reserved",
    ),
    "too many tags": (
        lambda d: d.update(tags={f"t{i}": "x" for i in range(46)}),
        "tags",
        "46 tags",
        "make 51; AWS allows 50",
    ),
    # Kubernetes and EKS label rules
    "label name of 64": (_pool(labels={"a" * 64: "x"}), "gpu_pools[0].labels.", "more than 63"),
    "label prefix of 254": (
        _pool(labels={("a" * 60 + ".") * 4 + "a" * 10 + "/x": "y"}),
        "gpu_pools[0].labels.",
        "more than 253",
    ),
    "label prefix upper-case": (
        _pool(labels={"Example.com/team": "x"}),
        "gpu_pools[0].labels.",
        "DNS subdomain",
    ),
    "label key two slashes": (_pool(labels={"a/b/c": "x"}), "gpu_pools[0].labels.", "one '/'"),
    "label key over EKS 63": (
        _pool(labels={"team.example.com/" + "n" * 50: "x"}),
        "gpu_pools[0].labels.",
        "EKS node groups allow 63",
    ),
    "label value of 64": (
        _pool(labels={"team": "v" * 64}),
        "gpu_pools[0].labels.team",
        "more than 63",
    ),
    "label value character": (
        _pool(labels={"team": "a b"}),
        "gpu_pools[0].labels.team",
        "the value must",
    ),
    "empty label value": (
        _pool(labels={"team": ""}),
        "gpu_pools[0].labels.team",
        "need a value (1-63",
    ),
    "kubernetes.io label": (
        _pool(labels={"kubernetes.io/role": "gpu"}),
        "gpu_pools[0].labels.",
        "reserved for Kubernetes",
    ),
    "k8s.io subdomain label": (
        _pool(labels={"foo.k8s.io/x": "y"}),
        "gpu_pools[0].labels.",
        "reserved for Kubernetes",
    ),
    "node-role label": (
        _pool(labels={"node-role.kubernetes.io/gpu": "true"}),
        "gpu_pools[0].labels.",
        "node-role.kubernetes.io/ labels cannot be set by a node",
    ),
    "kubelet's own label": (
        _pool(labels={"topology.kubernetes.io/zone": "us-east-1a"}),
        "gpu_pools[0].labels.",
        "set by the kubelet itself",
    ),
    "gpuforge label override": (
        _pool(labels={"gpuforge.dev/pool": "other"}),
        "gpu_pools[0].labels.gpuforge.dev/pool",
        "gpuforge's own",
    ),
    "any gpuforge.dev label": (
        _pool(labels={"gpuforge.dev/tier": "x"}),
        "gpu_pools[0].labels.",
        "gpuforge's own",
    ),
    "nvidia present label": (
        _pool(labels={"nvidia.com/gpu.present": "false"}),
        "gpu_pools[0].labels.",
        "gpuforge sets nvidia.com/gpu.present",
    ),
    # taints
    "taint key invalid": (
        _pool(taints=[{"key": "-x"}]),
        "gpu_pools[0].taints[0].key",
        "not a valid taint key",
    ),
    "taint key over EKS 63": (
        _pool(taints=[{"key": "example.com/" + "k" * 60}]),
        "gpu_pools[0].taints[0].key",
        "EKS allows 63",
    ),
    "taint value of 64": (
        _pool(taints=[{"key": "dedicated", "value": "v" * 64}]),
        "gpu_pools[0].taints[0].value",
        "more than 63",
    ),
    "taint value character": (
        _pool(taints=[{"key": "dedicated", "value": "a:b"}]),
        "gpu_pools[0].taints[0].value",
        "the value must",
    ),
    "built-in GPU taint": (
        _pool(taints=[{"key": "nvidia.com/gpu", "effect": "NoExecute"}]),
        "gpu_pools[0].taints[0].key",
        "gpuforge's built-in taint (nvidia.com/gpu=true:NoSchedule)",
    ),
    "built-in Neuron taint": (
        _pool(instance_type="inf2.xlarge", taints=[{"key": "aws.amazon.com/neuron"}]),
        "gpu_pools[0].taints[0].key",
        "built-in taint (aws.amazon.com/neuron=true:NoSchedule)",
    ),
    "taint key twice": (
        _pool(taints=[{"key": "a"}, {"key": "a", "effect": "NoExecute"}]),
        "gpu_pools[0].taints[1].key",
        "appears twice",
    ),
    "too many taints": (
        _pool(taints=[{"key": f"t{i}"} for i in range(50)]),
        "gpu_pools[0].taints",
        "make 51; EKS allows 50",
    ),
    # names with gpuforge's prefixes and Pulumi's suffix
    "node group name": (
        lambda d: d.update(environment="d" * 20) or d["gpu_pools"][0].update(name="p" * 23),
        "gpu_pools[0].name",
        "EKS node group name gpuforge-dddddddddddddddddddd-ppppppppppppppppppppppp-ng-xxxxxxx",
        "64 characters long; AWS allows 63",
        "pool names can be 22 characters",
    ),
    "bucket name": (
        lambda d: (
            d.update(environment="d" * 20) or d["storage"]["buckets"][0].update(name="b" * 26)
        ),
        "storage.buckets[0].name",
        "bucket name of 64 characters",
        "S3 allows 63",
    ),
    "reserved namespace": (
        lambda d: d["training"].update(namespace="kube-system"),
        "training.namespace",
        "kube-",
    ),
    "default namespace": (
        lambda d: d["training"].update(namespace="default"),
        "training.namespace",
        "every cluster",
    ),
}


@pytest.mark.parametrize("case", list(LIMIT_CASES))
def test_limits_are_checked_at_validate(runner, project, case):
    change, field, *needles = LIMIT_CASES[case]
    if case in ("node group name", "bucket name"):
        (project / "stacks" / "dev.yaml").unlink()  # environment must match the file name
        path = project / "stacks" / f"{'d' * 20}.yaml"
        path.write_text(_dev(change))
        result = runner.invoke(cli, ["validate", "-e", str(path.relative_to(project))])
        result_file = str(path.relative_to(project))
        line = result.stderr.strip()
        assert result.exit_code == 2 and line.startswith(f"error: {result_file}:"), result.output
        assert f": {field}: " in line and all(n in line for n in needles), line
        return
    message = _refused(_validate(runner, project, _dev(change)), None, *needles)
    assert ERROR_LINE.match(message)["rest"].startswith(field), message


def test_the_longest_names_that_fit_are_accepted(runner, project):
    def change(d):
        d.update(environment="d" * 20)
        d["gpu_pools"][0].update(name="p" * 22)
        d["storage"]["buckets"][0].update(name="b" * 25)

    path = project / "stacks" / f"{'d' * 20}.yaml"
    path.write_text(_dev(change))
    result = runner.invoke(cli, ["validate", "-e", "d" * 20])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "labels",
    [
        {"example.com/team": "a"},
        {"node.kubernetes.io/lifecycle": "spot"},
        {"kubelet.kubernetes.io/x": "y"},
        {"A_b.c-9": "Z.9_-a"},
    ],
)
def test_labels_kubelet_may_set_are_accepted(runner, project, labels):
    result = _validate(runner, project, _dev(_pool(labels=labels)))
    assert result.exit_code == 0, result.output


def _with_labels(n: int) -> dict:
    data = copy.deepcopy(shipped_spec("dev"))
    data["gpu_pools"][0]["labels"] = {f"l{i}": "x" for i in range(n)}
    return data


def test_node_group_tags_count_what_gpuforge_adds():
    """The 50-tag limit counts the environment's tags, gpuforge's own and the autoscaler's."""
    spec = spec_from_data(_with_labels(0))
    tags = node_group_tags(spec, spec.gpu_pools[0])
    base = len(tags)
    templates = sum(1 for key in tags if "/node-template/" in key)  # labels, taint, device
    assert base > len(spec.tags) + 5  # env tags + gpuforge + pool + discovery + templates
    fits = spec_from_data(_with_labels(50 - base))
    assert len(node_group_tags(fits, fits.gpu_pools[0])) == 50
    with pytest.raises(SpecError) as caught:
        spec_from_data(_with_labels(51 - base))
    assert caught.value.field == "gpu_pools[0]"
    assert "would carry 51 tags" in caught.value.problem
    assert f"{51 - base + templates} node-template tags" in caught.value.problem
    assert "AWS allows 50" in caught.value.problem


def test_forty_five_tags_leave_room_for_gpuforge(runner, project):
    def change(d):
        d.update(tags={f"t{i}": "x" for i in range(45)}, gpu_pools=[])

    result = _validate(runner, project, _dev(change))
    assert result.exit_code == 0, result.output


def test_gpu_node_groups_carry_the_most_tags(runner, project):
    """45 environment tags fit everywhere but on a GPU node group, which adds 10 of its own."""
    text = _dev(lambda d: d.update(tags={f"t{i}": "x" for i in range(45)}))
    _refused(
        _validate(runner, project, text),
        "gpu_pools[0]",
        "would carry 57 tags (47 environment tags, 1 pool tag, 2 autoscaler discovery tags",
        "AWS allows 50",
    )


# -- instance offerings ---------------------------------------------------------------


def test_a_type_not_offered_in_the_vpc_azs(runner, project):
    assert catalog.offering_zones("us-east-1", "p3dn.24xlarge") == ["us-east-1c", "us-east-1d"]
    message = _refused(
        _validate(
            runner, project, _dev(_pool(instance_type="p3dn.24xlarge", capacity="on-demand"))
        ),
        "gpu_pools[0].instance_type",
        "not offered in any of the VPC's AZs (us-east-1a, us-east-1b)",
        "us-east-1c, us-east-1d offer it: add one to network.azs",
    )
    assert message


def test_a_type_not_offered_in_the_pool_az(runner, project):
    def change(d):
        d["network"]["azs"] = ["us-east-1a", "us-east-1c"]
        d["gpu_pools"][0].update(instance_type="trn1.2xlarge", az="us-east-1a")

    _refused(
        _validate(runner, project, _dev(change)),
        "gpu_pools[0].az",
        "trn1.2xlarge is not offered in us-east-1a",
        "us-east-1c, us-east-1f offer it",
    )


def test_a_type_the_region_does_not_offer(runner, project):
    assert catalog.offering_zones("us-east-1", "p5e.48xlarge") == []
    _refused(
        _validate(runner, project, _dev(_pool(instance_type="p5e.48xlarge"))),
        "gpu_pools[0].instance_type",
        "no AZ of us-east-1 offers it",
    )


def test_a_type_offered_in_one_of_the_vpc_azs_is_accepted(runner, project):
    def change(d):
        d["network"]["azs"] = ["us-east-1a", "us-east-1c"]
        d["gpu_pools"][0].update(instance_type="trn1.2xlarge")
        d["training"]["max_gpus"] = 16

    result = _validate(runner, project, _dev(change))
    assert result.exit_code == 0, result.output


# -- what plan would refuse --------------------------------------------------------------

ROLE = "arn:aws:iam::123456789012:role/platform-admin"
ADMIN_CASES = {
    "duplicate": (
        {"cluster": {"admins": [ROLE, "arn:aws:iam::123456789012:user/alice", ROLE]}},
        "cluster.admins[2]",
        "listed twice (first as cluster.admins[0])",
    ),
    "assumed role": (
        {"cluster": {"admins": ["arn:aws:sts::123456789012:assumed-role/Admin/alice@example.com"]}},
        "cluster.admins[0]",
        "session of an assumed role",
        "give the role's ARN: arn:aws:iam::123456789012:role/Admin",
    ),
    "sts role": (
        {"cluster": {"admins": ["arn:aws:sts::123456789012:role/Admin"]}},
        "cluster.admins[0]",
        "give the role's ARN: arn:aws:iam::123456789012:role/Admin",
    ),
    "two accounts": (
        {"cluster": {"admins": [ROLE, "arn:aws:iam::210987654321:role/ops"]}},
        "cluster.admins[1]",
        "different accounts (123456789012 and 210987654321)",
        "set account_id",
    ),
    "another account than account_id": (
        {"account_id": "210987654321", "cluster": {"admins": [ROLE]}},
        "cluster.admins[0]",
        "in account 123456789012, not the environment's account 210987654321",
    ),
    "another partition": (
        {"cluster": {"admins": ["arn:aws-cn:iam::123456789012:role/ops"]}},
        "cluster.admins[0]",
        "aws-cn partition",
    ),
    "role name over 64": (
        {"cluster": {"admins": ["arn:aws:iam::123456789012:role/" + "r" * 65]}},
        "cluster.admins[0]",
        "IAM names are 1-64",
    ),
    "account id of 11 digits": ({"account_id": "12345678901"}, "account_id", "twelve digits"),
    "account id unquoted": ({"account_id": 123456789012}, "account_id", "quote the value"),
    "nat none without endpoints": (
        {"network": {"nat": "none", "endpoints": ["s3", "ecr.api", "ecr.dkr", "sts", "logs"]}},
        "network.endpoints",
        "missing: ec2, eks, eks-auth",
        "nat: single",
    ),
    "nat none with defaults": (
        {"network": {"nat": "none"}},
        "network.endpoints",
        "missing: ec2, eks, eks-auth",
    ),
}


def _merge(data: dict, extra: dict) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            _merge(data[key], value)
        else:
            data[key] = value


@pytest.mark.parametrize("case", list(ADMIN_CASES))
def test_what_plan_would_refuse_is_refused_first(runner, project, case):
    extra, field, *needles = ADMIN_CASES[case]
    message = _refused(_validate(runner, project, _dev(lambda d: _merge(d, extra))), None, *needles)
    assert ERROR_LINE.match(message)["rest"].startswith(f"{field}: "), message


def test_nat_none_with_every_endpoint_nodes_need(runner, project):
    endpoints = ["s3", "ecr.api", "ecr.dkr", "sts", "ec2", "eks", "eks-auth"]
    text = _dev(lambda d: d["network"].update(nat="none", endpoints=endpoints))
    assert _validate(runner, project, text).exit_code == 0


def test_admins_of_the_account_id_are_accepted(runner, project):
    extra = {
        "account_id": "012345678901",
        "cluster": {"admins": ["arn:aws:iam::012345678901:role/a/b/ops"]},
    }
    result = _validate(runner, project, _dev(lambda d: _merge(d, extra)))
    assert result.exit_code == 0, result.output


# -- partitions and VPC ranges --------------------------------------------------------


@pytest.mark.parametrize("region", sorted(r for r, p in catalog.regions().items() if p != "aws"))
def test_regions_outside_the_aws_partition_are_refused(runner, project, region):
    _refused(
        _validate(runner, project, _dev(lambda d: d.update(region=region))),
        "region",
        f"{region} is in the {catalog.regions()[region]} partition",
        "supports only the aws partition",
    )


@pytest.mark.parametrize(
    ("cidr", "overlaps"),
    [
        ("127.0.0.0/16", "127.0.0.0/8"),
        ("169.254.0.0/16", "169.254.0.0/16"),
        ("0.0.0.0/16", "0.0.0.0/8"),
        ("224.1.0.0/16", "224.0.0.0/4"),
        ("240.0.0.0/16", "240.0.0.0/4"),
        ("255.255.0.0/16", "240.0.0.0/4"),
        ("172.17.0.0/16", "172.17.0.0/16"),
        ("172.17.128.0/20", "172.17.0.0/16"),
    ],
)
def test_unusable_vpc_ranges_are_refused(runner, project, cidr, overlaps):
    _refused(
        _validate(runner, project, _dev(lambda d: d["network"].update(cidr=cidr))),
        "network.cidr",
        f"overlaps {overlaps}",
    )


def test_ipv6_vpc_is_refused(runner, project):
    text = _dev(lambda d: d["network"].update(cidr="2001:db8::/56"))
    _refused(_validate(runner, project, text), "network.cidr", "not IPv4")


@pytest.mark.parametrize("cidr", ["100.64.0.0/16", "172.18.0.0/16", "192.168.0.0/16"])
def test_usable_vpc_ranges_are_accepted(runner, project, cidr):
    assert _validate(runner, project, _dev(lambda d: d["network"].update(cidr=cidr))).exit_code == 0
