"""The pin `gpuforge init` writes names where this gpuforge came from (PEP 610)."""

from __future__ import annotations

import json

import pytest

from gpuforge.model.install_source import requirement


def _record(**fields) -> str:
    return json.dumps(fields)


@pytest.mark.parametrize(
    ("direct_url", "line"),
    [
        pytest.param(None, "gpuforge[policy]==0.3.1", id="index"),
        pytest.param(
            _record(
                url="https://github.com/acme/gpuforge",
                vcs_info={"vcs": "git", "commit_id": "a" * 40, "requested_revision": "main"},
            ),
            f"gpuforge[policy] @ git+https://github.com/acme/gpuforge@{'a' * 40}",
            id="git-at-commit",
        ),
        pytest.param(
            _record(
                url="file:///w/dist/gpuforge-0.3.1-py3-none-any.whl",
                archive_info={"hash": "sha256=" + "b" * 64, "hashes": {"sha256": "b" * 64}},
            ),
            f"gpuforge[policy] @ file:///w/dist/gpuforge-0.3.1-py3-none-any.whl#sha256={'b' * 64}",
            id="wheel-with-digest",
        ),
        pytest.param(
            _record(url="https://example.com/gpuforge-0.3.1.tar.gz", archive_info={}),
            "gpuforge[policy] @ https://example.com/gpuforge-0.3.1.tar.gz",
            id="archive-without-digest",
        ),
        pytest.param(
            _record(url="file:///src/gpuforge", dir_info={"editable": True}),
            "gpuforge[policy] @ file:///src/gpuforge",
            id="checkout",
        ),
    ],
)
def test_the_pin_names_the_install_source(direct_url, line):
    assert requirement("0.3.1", direct_url).line == line


@pytest.mark.parametrize(
    "direct_url",
    [
        "not json",
        "[]",
        _record(dir_info={}),
        _record(url="file:///x\n--index-url https://evil.example/simple", dir_info={}),
        _record(url="file:///x#sha256=00", dir_info={}),
    ],
)
def test_an_unreadable_or_unsafe_record_falls_back_to_the_version_pin(direct_url):
    # Never paste a record's text into requirements.txt where it could add a pip option.
    assert requirement("0.3.1", direct_url).line == "gpuforge[policy]==0.3.1"
