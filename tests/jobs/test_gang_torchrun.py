"""Two real torchrun agents (c10d rendezvous on 127.0.0.1, gloo, CPU) with the options a
gpuforge pod runs, each agent and its workers standing for one pod.

What the gang semantics rely on (docs/jobs.md, "Restarts"): losing the pod that hosts
torchrun's c10d store (rank 0's) ends every other agent (so no pod can "rejoin"), and
losing another pod ends rank 0's agent too, because the pods restart no workers
(`--max-restarts=0`). Either way every pod fails, and the gang's controller recreates
all of them. A pod that starts later than the first still joins.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gpuforge.jobs import pod
from gpuforge.jobs.spec import JobSpec
from tests.jobs.conftest import BASE_JOB

WORKER = """
import time, torch, torch.distributed as dist
dist.init_process_group("gloo")
print("joined", dist.get_rank(), flush=True)
t = torch.ones(1)
while True:
    dist.all_reduce(t)
    time.sleep(0.2)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """`pid` and every process under it (torchrun starts its workers in new sessions)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*"):
            with contextlib.suppress(OSError):
                todo += [int(c) for c in (task / "children").read_text().split()]
    return out


def lose_pod(agent: subprocess.Popen) -> None:
    """The pod is gone: the agent and its workers die at once (SIGKILL)."""
    for p in descendants(agent.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(p, signal.SIGKILL)


class Gang:
    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.script = tmp_path / "worker.py"
        self.script.write_text(WORKER)
        self.job = JobSpec.model_validate({**BASE_JOB, "nodes": 2})
        self.agents: list[subprocess.Popen] = []
        self.logs: list[Path] = []

    def argv(self) -> list[str]:
        options = pod.torchrun_options(
            self.job, 1, f"127.0.0.1:{self.port}", pod.GANG_WORKER_RESTARTS
        )
        return [sys.executable, "-m", "torch.distributed.run", *options, str(self.script)]

    def start(self) -> subprocess.Popen:
        log = self.script.parent / f"agent{len(self.agents)}.log"
        agent = subprocess.Popen(
            self.argv(), stdout=log.open("w"), stderr=subprocess.STDOUT, env={**os.environ}
        )
        self.agents.append(agent)
        self.logs.append(log)
        return agent

    def wait_listening(self, timeout: float = 15) -> None:
        """The first agent serves the store (both match 127.0.0.1's host: the first to
        bind serves, the other falls back to a client, c10d_rendezvous_backend.py:173)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError("the store never listened")

    def wait_joined(self, timeout: float = 30) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if all("joined" in log.read_text() for log in self.logs):
                return
            time.sleep(0.2)
        raise AssertionError("the gang never formed: " + self.logs[-1].read_text()[-2000:])

    def stop(self) -> None:
        for agent in self.agents:
            lose_pod(agent)
            agent.wait(timeout=10)


@pytest.fixture
def gang(tmp_path):
    g = Gang(tmp_path)
    yield g
    g.stop()


def test_gpuforge_pod_options_wait_for_late_nodes_and_restart_nothing():
    job = JobSpec.model_validate({**BASE_JOB, "nodes": 2})
    argv = pod.torchrun_options(job, 8, "r0:29400", pod.GANG_WORKER_RESTARTS)
    assert "--max-restarts=0" in argv
    assert "--rdzv-conf=join_timeout=1200" in argv  # 20 min: a scale from zero


@pytest.mark.parametrize("lost", ["rank0", "other"])
def test_any_pods_loss_ends_every_agent(gang, lost):
    host = gang.start()
    gang.wait_listening()
    other = gang.start()  # seconds after the first (the wait above): it still joins
    gang.wait_joined()
    victim, survivor = (host, other) if lost == "rank0" else (other, host)
    lose_pod(victim)
    started = time.monotonic()
    code = survivor.wait(timeout=20)
    assert code != 0, "the survivor's pod must fail, so the controller recreates the gang"
    assert time.monotonic() - started < 20
    log = gang.logs[gang.agents.index(survivor)].read_text()
    if lost == "rank0":
        assert "RendezvousConnectionError" in log  # the store went with rank 0's pod
