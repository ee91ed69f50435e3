"""Class 5: `--set key=value` is a second input path with the same contract as the file:
the one hardened parser (no aliases, YAML 1.2 numbers, int64), a size cap, one line."""

from __future__ import annotations

import pytest

from gpuforge.jobs.spec import MAX_SET_BYTES
from tests.inputs.conftest import ROOT, refuse

JOB = str(ROOT / "examples" / "jobs" / "tiny-gpt.yaml")
BOMB = "[&a [1,1,1,1,1,1,1,1,1], &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], &c [*b,*b,*b,*b,*b,*b,*b,*b]]"

CASES = {
    "alias bomb (355 bytes)": (f"command={BOMB}", "anchors"),
    "an anchor": ("command=&x [a]", "anchors"),
    "an alias": ("command=*x", "aliases"),
    "a merge key": ("checkpoint={<<: {uri: x}}", "merge"),
    "a complex key": ("env={? [a]: b}", ""),
    "longer than the cap": ("command=" + "a" * MAX_SET_BYTES, f"{MAX_SET_BYTES} bytes"),
    "a giant number over the cap": ("nodes=" + "9" * 5000, f"{MAX_SET_BYTES} bytes"),
    "a giant number under the cap": ("nodes=" + "9" * 4000, "too long"),
    "past int64": ("nodes=9223372036854775808", "too long"),
    "a giant list index": ("command." + "9" * 5000 + "=x", ""),
    "a giant index under the cap": ("command." + "9" * 30 + "=x", "command"),
    ".inf": ("gpus_per_node=.inf", "finite"),
    "a control character": ("name=a\x1bb", "U+001B"),
    "a bidi override": ("name=a\u202eb", "U+202E"),
    "nesting too deep": ("command=" + "[" * 40 + "]" * 40, "nested"),
    "not key=value": ("nodes", "key=value"),
    "an empty key": ("=2", "key=value"),
    "an empty path part": ("checkpoint..uri=x", "field path"),
    "an unknown key": ("nodez=2", "unknown"),
    "a YAML 1.1 boolean": ("nodes=yes", "YAML 1.1"),
    "a key that is a number": ("checkpoint={1: 2}", "key"),
    "a bad checkpoint uri": ("checkpoint.uri=s3://{checkpoints/x", "checkpoint.uri"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_set(case, project):
    item, needle = CASES[case]
    line = refuse(["launch", JOB, "-e", "dev", "--dry-run", "--set", item], needle)
    assert line.startswith("error: --set"), line
    assert len(line) < 1000, "the error echoes the input at length"
