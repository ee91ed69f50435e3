"""`validate-pool --local`: the burn-in runs for real, on CPU, 2 gloo processes, tiny sizes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

pytest.importorskip("torch")

TINY = ["--size", "32", "--allreduce-mib", "1"]


RESULT_LINE = re.compile(r'^(\[rank\d+\]: )?(?P<json>\{"gpuforge_burnin".*)$')


def gpuforge(*argv: str, cwd, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gpuforge.cli", *argv],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=os.environ | {"CUDA_VISIBLE_DEVICES": ""},  # CPU, even on a machine with GPUs
    )


def test_local_burn_in_on_cpu_two_ranks_agree(project):
    run = gpuforge(
        "validate-pool",
        "l4",
        "-e",
        "dev",
        "--local",
        "--nproc",
        "2",
        *TINY,
        "-o",
        "json",
        cwd=project,
    )
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout)  # the ranks' own lines went to stderr
    assert doc["ok"] is True and doc["world_size"] == 2 and doc["problems"] == []
    rows = doc["rows"]
    assert [(r["rank"], r["local_rank"]) for r in rows] == [(0, 0), (1, 1)]
    for row in rows:
        assert row["device"] == "cpu" and row["dtype"] == "float32" and row["correct"]
        assert row["status"] == "ran"  # no peak for a CPU: nothing compared, nothing faked
        assert row["matmul_tflops"] > 0 and row["busbw_gbps"] > 0
        assert row["matmul_peak"] is None and row["matmul_fraction"] is None
    assert doc["notes"][0].startswith("CPU run: there is no peak to compare with")
    # the ranks' result lines (with the gloo backend) are in the log, prefixed by rank
    found = (RESULT_LINE.match(x) for x in run.stderr.splitlines())
    lines = [json.loads(m["json"]) for m in found if m]
    assert sorted(x["rank"] for x in lines) == [0, 1]
    assert {x["backend"] for x in lines} == {"gloo"}


def test_local_table_says_there_is_no_peak_on_cpu(project):
    run = gpuforge("validate-pool", "l4", "-e", "dev", "--local", *TINY, cwd=project)
    assert run.returncode == 0, run.stderr
    assert "burn-in of pool l4 (g6.xlarge, L4); matmul in float32" in run.stdout
    assert "note: CPU run: there is no peak to compare with" in run.stdout
    assert "ok: 2 of 2 ranks reported and passed" in run.stdout


def test_a_burn_in_that_overruns_is_stopped_and_fails(project):
    run = gpuforge(
        "validate-pool",
        "l4",
        "-e",
        "dev",
        "--local",
        "--timeout",
        "1",
        "--size",
        "4096",
        cwd=project,
    )
    assert run.returncode == 1, run.stderr
    assert "ran past its timeout (1s) and was stopped" in run.stderr
    assert "fail: no rank reported a result" in run.stderr
    # torchrun and its workers went with it (the local runner ends the whole process tree)
    left = []
    for proc in os.listdir("/proc"):
        try:
            with open(f"/proc/{proc}/cmdline", "rb") as f:
                cmdline = f.read().split(b"\0")
        except OSError:
            continue
        if b"gpuforge.jobs.burnin" in cmdline and b"4097" in cmdline:
            left.append(proc)
    assert left == []
