"""The burn-in proves EFA: NCCL's own log lines name the network each rank used, a TCP
fallback fails the burn-in, and bus bandwidth across nodes is compared with a fraction of
the instance's EFA bandwidth. The lines below are what NCCL and aws-ofi-nccl print at the
pinned versions (format strings cited in gpuforge/jobs/burnin_network.py)."""

from __future__ import annotations

import json

import pytest
import yaml

from gpuforge.cli.main import cli
from gpuforge.jobs import burnin, burnin_job, burnin_network
from gpuforge.jobs.burnin_verdict import BELOW, NO_EFA, PASS, Network, judge
from gpuforge.model import catalog
from tests.jobs.test_burnin_render import TRAINER
from tests.jobs.test_burnin_verdict import result

HOST = "ip-10-0-1-5"
EFA_LINES = [
    f"{HOST}:123:140 [0] NCCL INFO NET/Plugin: Loaded net plugin Libfabric (v10)",
    f"{HOST}:123:140 [0] NCCL INFO NET/OFI Selected provider is efa, fabric is efa-direct "
    "(found 32 nics)",
    f"{HOST}:123:140 [0] NCCL INFO Using network Libfabric",
]
SOCKET_LINES = [
    f"{HOST}:123:140 [0] NCCL INFO NET/Plugin: Could not find: libnccl-net.so.",
    f"{HOST}:123:140 [0] NCCL INFO NET/Socket : Using [0]eth0:10.0.1.5<0>",
    f"{HOST}:123:140 [0] NCCL INFO Using network Socket",
]
P5 = Network("p5.48xlarge", catalog.instance_type("p5.48xlarge").efa_gb_per_s)


def two_nodes(lines: list[str], busbw: float = 300.0) -> list[dict]:
    return [
        result(r, world=16, node=f"ip-10-0-1-{r // 8}", busbw_gbps=busbw, nccl_log=lines)
        for r in range(16)
    ]


def test_the_network_is_read_from_nccls_own_lines():
    assert burnin_network.read(EFA_LINES).over_efa
    older = [  # aws-ofi-nccl before 1.12, as quoted in NVIDIA/nccl#527
        "ip-1:416478:416527 [0] NCCL INFO NET/OFI Selected Provider is efa",
        "ip-1:416478:416527 [0] NCCL INFO Using network AWS Libfabric",
    ]
    assert burnin_network.read(older).over_efa
    socket = burnin_network.read(SOCKET_LINES)
    assert (socket.network, socket.provider, socket.over_efa) == ("Socket", None, False)
    tcp_provider = [EFA_LINES[0], EFA_LINES[1].replace("is efa,", "is tcp,"), EFA_LINES[2]]
    assert "provider tcp" in burnin_network.problem(tcp_provider)
    assert "TCP sockets" in burnin_network.problem(SOCKET_LINES)
    assert "never logged" in burnin_network.problem([])
    assert "no NCCL log" in burnin_network.problem(None)


def test_a_tcp_fallback_fails_the_burn_in_with_a_clear_message():
    verdict = judge(two_nodes(SOCKET_LINES), network=P5)
    assert not verdict.ok and {r.status for r in verdict.rows} == {NO_EFA}
    assert len(verdict.problems) == 16
    assert "NCCL fell back to TCP sockets (`Using network Socket`)" in verdict.problems[0]


def test_one_rank_off_efa_is_named():
    results = two_nodes(EFA_LINES)
    results[9] = results[9] | {"nccl_log": SOCKET_LINES}
    verdict = judge(results, network=P5)
    assert [r.rank for r in verdict.below] == [9]
    assert verdict.problems[0].startswith("node ip-10-0-1-1 GPU 1")


def test_cross_node_busbw_is_compared_with_the_efa_bandwidth():
    assert P5.efa_gb_per_s == 400.0  # 32 cards x 100 Gbit/s (EC2 NetworkCards)
    good = judge(two_nodes(EFA_LINES, busbw=300.0), network=P5)
    assert good.ok and {r.status for r in good.rows} == {PASS}
    row = good.rows[0]
    assert row.link_peak_gbps == 400.0 and row.busbw_fraction == pytest.approx(0.75)
    assert not any("reported, not compared" in n for n in good.notes)
    slow = judge(two_nodes(EFA_LINES, busbw=150.0), network=P5)
    assert {r.status for r in slow.rows} == {BELOW}
    assert "38% of p5.48xlarge EFA's 400 GB/s (threshold 50%)" in slow.problems[0]


def test_single_node_and_non_efa_runs_are_not_held_to_efa():
    one_node = judge([result(r, nccl_log=SOCKET_LINES) for r in range(8)], network=P5)
    assert one_node.ok  # NVLink inside a node: the network is not on the path
    no_efa = judge(two_nodes(SOCKET_LINES), network=Network("g6e.12xlarge", 0.0))
    assert no_efa.ok and any("reported, not compared" in n for n in no_efa.notes)


def test_the_program_keeps_nccls_network_lines(tmp_path, monkeypatch):
    for var in ("NCCL_DEBUG", "NCCL_DEBUG_SUBSYS", "NCCL_DEBUG_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setattr(burnin.tempfile, "gettempdir", lambda: str(tmp_path))
    path = burnin.nccl_log_file()
    import os

    assert os.environ["NCCL_DEBUG"] == "INFO" and "NET" in os.environ["NCCL_DEBUG_SUBSYS"]
    assert os.environ["NCCL_DEBUG_FILE"] == str(path) and path.name.endswith("rank3.log")
    noise = f"{HOST}:123:140 [0] NCCL INFO Channel 00/32 : 0 1 2 3"
    path.write_text("\n".join([noise, *EFA_LINES, noise]) + "\n")
    assert burnin.nccl_lines(path) == EFA_LINES
    assert burnin.nccl_lines(tmp_path / "missing") == []


def test_validate_pool_fails_saved_results_that_fell_back_to_tcp(runner, project):
    saved = project / "out.txt"
    saved.write_text("\n".join(json.dumps(r) for r in two_nodes(SOCKET_LINES)) + "\n")
    run = runner.invoke(cli, ["validate-pool", "h100", "-e", "prod", "--results", str(saved)])
    assert run.exit_code == 1, run.output
    assert "NCCL fell back to TCP sockets" in run.stderr
    saved.write_text("\n".join(json.dumps(r) for r in two_nodes(EFA_LINES)) + "\n")
    ok = runner.invoke(cli, ["validate-pool", "h100", "-e", "prod", "--results", str(saved)])
    assert ok.exit_code == 0, ok.output


def test_the_rendered_burn_in_runs_the_training_image_with_nccl_logging(runner, project):
    refused = runner.invoke(cli, ["validate-pool", "h100", "-e", "prod"])
    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: validate-pool: --image: required")
    assert "pytorch/pytorch" not in burnin_job.burnin_job.__kwdefaults__.get("image", "")
    run = runner.invoke(cli, ["validate-pool", "h100", "-e", "prod", "--image", TRAINER])
    assert run.exit_code == 0, run.output
    batch = [d for d in yaml.safe_load_all(run.stdout) if d and d["kind"] == "Job"][0]
    (container,) = batch["spec"]["template"]["spec"]["containers"]
    assert container["image"] == TRAINER
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["NCCL_DEBUG"] == "INFO" and "NET" in env["NCCL_DEBUG_SUBSYS"].split(",")
    assert env["FI_PROVIDER"] == "efa"
