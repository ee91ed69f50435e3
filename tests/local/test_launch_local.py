"""`gpuforge launch --local`: the environment contract, checkpoint locations, Ctrl-C.

Real processes throughout: torchrun starts the ranks; the orphan test reads /proc.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gpuforge.jobs import contract
from tests.conftest import ROOT


def _project(tmp: Path, script: str, *, checkpoint: bool = True, extra_yaml: str = "") -> Path:
    (tmp / "stacks").mkdir()
    (tmp / "stacks" / "dev.yaml").write_text((ROOT / "stacks" / "dev.yaml").read_text())
    (tmp / "script.py").write_text(script)
    job = tmp / "job.yaml"
    text = "name: probe\nimage: trainer:1\npool: l4\ncommand: [script.py, --flag]\n"
    text += "env:\n  MY_SETTING: hello\n"
    if checkpoint:
        text += "checkpoint:\n  uri: s3://{checkpoints}/probe/run-1\n  every_steps: 7\n"
    job.write_text(text + extra_yaml)
    return job


def _gpuforge(*args: str, cwd: Path, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "gpuforge.cli", *args]
    return subprocess.run(
        cmd, cwd=cwd, env=env or _clean_env(), capture_output=True, text=True, timeout=120, **kw
    )


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}


PRINT_ENV = """
import json, os, sys
keys = sorted(k for k in os.environ if k.startswith(("GPUFORGE_", "MY_")) or k in
              ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"))
print(json.dumps({"argv": sys.argv[1:], **{k: os.environ[k] for k in keys}}))
sys.exit(int(os.environ.get("EXIT_CODE", "0")) if os.environ["RANK"] == "1" else 0)
"""


def _rank_records(stdout: str) -> dict[int, dict]:
    out = {}
    for line in stdout.splitlines():
        if line.startswith("[rank") and "]: {" in line:
            rank, _, payload = line.partition("]: ")
            out[int(rank.removeprefix("[rank"))] = json.loads(payload)
    return out


def test_each_rank_gets_torchruns_variables_and_the_gpuforge_contract(tmp_path):
    job = _project(tmp_path, PRINT_ENV)
    out = _gpuforge("launch", str(job), "-e", "dev", "--local", "--nproc", "3", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    ranks = _rank_records(out.stdout)
    assert sorted(ranks) == [0, 1, 2]
    local_dir = (tmp_path / ".gpuforge" / "checkpoints" / "probe").resolve().as_uri()
    for rank, seen in ranks.items():
        assert seen["argv"] == ["--flag"]
        assert (seen["RANK"], seen["LOCAL_RANK"], seen["WORLD_SIZE"]) == (str(rank), str(rank), "3")
        assert seen["MASTER_ADDR"] and int(seen["MASTER_PORT"]) > 0
        assert seen["MY_SETTING"] == "hello"
        expected = contract.variables(
            job="probe",
            environment="dev",
            transport="tcp",
            checkpoint_uri=local_dir,
            every_steps=7,
        )
        assert {k: v for k, v in seen.items() if k.startswith("GPUFORGE_")} == expected
    assert f"checkpoints: {local_dir}" in out.stderr


def test_the_jobs_exit_code_is_the_launchers(tmp_path):
    job = _project(tmp_path, PRINT_ENV)
    env = {**_clean_env(), "EXIT_CODE": "3"}
    out = _gpuforge("launch", str(job), "-e", "dev", "--local", cwd=tmp_path, env=env)
    assert out.returncode == 1, out.stderr  # torchrun: a rank failed after its restarts
    assert "exited with code 1" in out.stderr


def test_an_s3_endpoint_makes_the_checkpoint_uri_the_environments_bucket(tmp_path):
    from gpuforge.model import names

    job = _project(tmp_path, PRINT_ENV)
    env = {**_clean_env(), "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    out = _gpuforge("launch", str(job), "-e", "dev", "--local", "--dry-run", cwd=tmp_path, env=env)
    assert out.returncode == 0, out.stderr
    bucket = names.bucket_name("123456789012", "us-east-1", "dev", "checkpoints")
    assert f"GPUFORGE_CHECKPOINT_URI=s3://{bucket}/probe/run-1" in out.stdout.splitlines()


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("file:///tmp/ckpt", "file:///tmp/ckpt"),
        ("s3://my-bucket/x", "s3://my-bucket/x"),
        ("s3://{checkpoints}/other", "s3://gpuforge-dev-checkpoints-{hash}/other"),
    ],
)
def test_checkpoint_uri_overrides(tmp_path, uri, expected):
    from gpuforge.model import names

    bucket = names.bucket_name("123456789012", "us-east-1", "dev", "checkpoints")
    expected = expected.replace("gpuforge-dev-checkpoints-{hash}", bucket)
    job = _project(tmp_path, PRINT_ENV)
    args = ["launch", str(job), "-e", "dev", "--local", "--dry-run", "-o", "json"]
    out = _gpuforge(*args, "--checkpoint-uri", uri, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["env"][contract.CHECKPOINT_URI] == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--local", "--checkpoint-uri", "ftp://x"], "--checkpoint-uri: 'ftp://x' is not"),
        (["--local", "--checkpoint-uri", "s3://{nope}/x"], "dev has no bucket 'nope'"),
        (["--local", "--wait"], "--local runs here"),
        (["--nproc", "2"], "--nproc and --checkpoint-uri go with --local"),
    ],
)
def test_bad_local_options_are_one_line_and_exit_2(tmp_path, args, message):
    job = _project(tmp_path, PRINT_ENV)
    out = _gpuforge("launch", str(job), "-e", "dev", *args, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


# -- Ctrl-C: no orphans ------------------------------------------------------------

SLEEPER = """
import os, signal, subprocess, sys, time
if sys.argv[1:] == ["--stubborn"] or os.environ.get("STUBBORN"):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
with open(f"pids-{os.environ['RANK']}", "w") as f:
    f.write(f"{os.getppid()} {os.getpid()} {child.pid}")
print("ready", flush=True)
time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _launch_and_interrupt(tmp_path: Path, env: dict, interrupts: int) -> tuple[int, set[int], str]:
    job = _project(tmp_path, SLEEPER, checkpoint=False)
    cmd = [sys.executable, "-m", "gpuforge.cli", "launch", str(job), "-e", "dev", "--local"]
    proc = subprocess.Popen(
        cmd, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not all((tmp_path / f"pids-{r}").exists() for r in (0, 1)):
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read()
            time.sleep(0.1)
        time.sleep(0.2)
        pids = set()
        for r in (0, 1):
            pids |= {int(p) for p in (tmp_path / f"pids-{r}").read_text().split()}
        assert len(pids) == 5 and all(_alive(p) for p in pids)  # torchrun, 2 ranks, 2 children
        for _ in range(interrupts):
            proc.send_signal(signal.SIGINT)
            time.sleep(0.5)
        code = proc.wait(30)
        errors = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    return code, pids, errors


def test_ctrl_c_stops_every_process_the_job_started(tmp_path):
    code, pids, errors = _launch_and_interrupt(tmp_path, _clean_env(), interrupts=1)
    assert code == 130
    # the stop the user asked for ends in the exit line, not torchrun's SignalException
    assert "Traceback" not in errors and "SignalException" not in errors, errors
    assert errors.rstrip().splitlines()[-1].endswith("exited with code 130")
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)]


def test_a_second_ctrl_c_kills_ranks_that_ignore_sigterm(tmp_path):
    env = {**_clean_env(), "STUBBORN": "1"}
    code, pids, _ = _launch_and_interrupt(tmp_path, env, interrupts=2)
    assert code == 130
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in pids if _alive(p)]
