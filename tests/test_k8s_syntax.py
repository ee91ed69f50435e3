"""The Kubernetes name rules, whole-string and ASCII-only (model/k8s_syntax.py)."""

from __future__ import annotations

import pytest

from gpuforge.model import aws_limits
from gpuforge.model.k8s_syntax import (
    dns1123_label_problem,
    dns1123_subdomain_problem,
    kubelet_refused_label_problem,
    label_key_problem,
    label_value_problem,
    taint_key_problem,
)

LOOK_ALIKES = ["\n", "\t", "\r", " ", "\u0430", "\uff41", "\u0661", "\u200b", "\x00"]


@pytest.mark.parametrize("extra", LOOK_ALIKES)
def test_no_rule_accepts_a_look_alike_or_a_trailing_newline(extra):
    assert dns1123_label_problem("train" + extra) is not None
    assert dns1123_subdomain_problem("example.com" + extra) is not None
    assert label_key_problem("example.com/team" + extra) is not None
    assert label_key_problem("example.com" + extra + "/team") is not None
    assert label_value_problem("a100" + extra) is not None
    assert taint_key_problem("dedicated" + extra) is not None


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "must not be empty"),
        ("a" * 64, "64 characters, more than 63"),
        ("-a", "starting and ending"),
        ("A", "lower-case"),
    ],
)
def test_dns1123_label(value, problem):
    assert problem in dns1123_label_problem(value)


def test_dns1123_label_limit_is_a_parameter():
    assert dns1123_label_problem("a" * 20, 20) is None
    assert "21 characters, more than 20" in dns1123_label_problem("a" * 21, 20)


@pytest.mark.parametrize(
    "key", ["team", "example.com/team", "a.b-c.d/X_y.z-9", "a" * 63, "p" * 253 + "/" + "n" * 63]
)
def test_valid_label_keys(key):
    assert label_key_problem(key) is None


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "must not be empty"),
        ("/team", "prefix '' must not be empty"),
        ("example.com/", "name after the prefix must not be empty"),
        ("a/b/c", "at most one '/'"),
        ("n" * 64, "64 characters, more than 63"),
        ("p" * 254 + "/n", "254 characters, more than 253"),
        ("Example.com/team", "DNS subdomain"),
        ("example..com/team", "DNS subdomain"),
        ("team_", "starting and ending"),
    ],
)
def test_invalid_label_keys(key, problem):
    assert problem in label_key_problem(key)


@pytest.mark.parametrize("value", ["", "a", "A-b_c.9", "v" * 63])
def test_valid_label_values(value):
    assert label_value_problem(value) is None


@pytest.mark.parametrize(
    ("value", "problem"), [("v" * 64, "more than 63"), ("a b", "must be"), ("-a", "must be")]
)
def test_invalid_label_values(value, problem):
    assert problem in label_value_problem(value)


@pytest.mark.parametrize(
    ("key", "refused"),
    [
        ("team", False),
        ("example.com/team", False),
        ("node.kubernetes.io/lifecycle", False),
        ("kubelet.kubernetes.io/x", False),
        ("sub.node.kubernetes.io/x", False),
        ("kubernetes.io/role", True),
        ("k8s.io/x", True),
        ("foo.kubernetes.io/x", True),
        ("node-role.kubernetes.io/gpu", True),
        ("kubernetes.io/hostname", True),
        ("node.kubernetes.io/instance-type", True),
        ("notkubernetes.io/x", False),
    ],
)
def test_labels_the_kubelet_may_not_set(key, refused):
    assert (kubelet_refused_label_problem(key) is not None) is refused


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("k" * 129, "", "129 characters; AWS allows 128"),
        ("team", "v" * 257, "257 characters; AWS allows 256"),
        ("aws:x", "", "reserved"),
        ("Aws:x", "", "reserved"),
        ("team", "a\nb", "U+000A"),
        ("te;am", "", "U+003B"),
        ("", "", "must not be empty"),
    ],
)
def test_aws_tag_rules(key, value, problem):
    assert problem in aws_limits.tag_problem(key, value)


@pytest.mark.parametrize(
    ("key", "value"), [("Name", "x y"), ("k8s.io/a-b", "+=.:/@_"), ("équipe", "ml")]
)
def test_aws_tags_accepted(key, value):
    assert aws_limits.tag_problem(key, value) is None
