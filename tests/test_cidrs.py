"""CIDR arithmetic: the union of ranges decides, never how they are written."""

from __future__ import annotations

import pytest

from gpuforge.model import cidrs

WHOLE_V4 = [
    ["0.0.0.0/0"],
    ["0.0.0.0/1", "128.0.0.0/1"],
    [f"{a}.0.0.0/2" for a in (0, 64, 128, 192)],
    ["128.0.0.0/1", "0.0.0.0/2", "64.0.0.0/2", "10.0.0.0/8"],  # overlap and order do not matter
    ["0.0.0.1/0"],  # host bits: AWS masks them
]


@pytest.mark.parametrize("given", WHOLE_V4)
def test_every_split_of_the_ipv4_internet_is_the_whole_internet(given):
    (problem,) = cidrs.problems(given)
    assert "whole IPv4 internet" in problem
    assert given[0] in problem  # names the ranges as written


def test_ipv6_is_judged_on_its_own():
    problems = cidrs.problems(["203.0.113.0/24", "::/1", "8000::/1"])
    assert problems == ["::/1, 8000::/1 (together ::/0) is the whole IPv6 internet"]


def test_budget_counts_public_addresses_in_total():
    assert cidrs.problems(["198.18.0.0/16"]) == []
    (over,) = cidrs.problems(["198.18.0.0/16", "203.0.113.0/24"])
    assert "65,792 public IPv4 addresses, more than a /16 (65,536)" in over
    assert cidrs.problems(["203.0.113.0/24"], budget_prefix=25)
    assert cidrs.problems(["203.0.113.0/24"], budget_prefix=24) == []


def test_private_ranges_are_not_public():
    assert cidrs.problems(["10.0.0.0/8", "172.16.0.0/12", "100.64.0.0/10", "fc00::/7"]) == []
    # but the internet minus the private ranges is still far over any budget
    fam = cidrs.exposure(["0.0.0.0/1", "128.0.0.0/2"])[4]
    assert not fam.whole_internet and fam.over_budget(16)
    assert fam.public_addresses < 3 * 2**30


def test_bad_cidr_raises_value_error():
    with pytest.raises(ValueError):
        cidrs.problems(["office"])
