"""The burn-in verdict and the peak table, on synthetic results (no torch, no GPU)."""

from __future__ import annotations

import json

import pytest

from gpuforge.cli.main import cli
from gpuforge.jobs import gpu_peaks
from gpuforge.jobs.burnin import MARKER, busbw
from gpuforge.jobs.burnin_verdict import BELOW, FAILED, PASS, RAN, Thresholds, judge, parse_lines
from gpuforge.model import catalog
from tests.conftest import ROOT

H100 = "NVIDIA H100 80GB HBM3"


def result(rank: int, *, world: int = 8, node: str = "ip-10-0-1-5", **over) -> dict:
    """One rank's line as the burn-in prints it: a healthy H100 SXM unless overridden."""
    out = {
        MARKER: 1,
        "node": node,
        "node_rank": 0,
        "local_rank": rank % 8,
        "rank": rank,
        "world_size": world,
        "device": H100,
        "device_uuid": f"GPU-{rank:04d}",
        "backend": "nccl",
        "dtype": "bfloat16",
        "matmul_size": 8192,
        "matmul_tflops": 700.0,
        "allreduce_bytes": 256 * 2**20,
        "allreduce_seconds": 0.001,
        "algbw_gbps": 200.0,
        "busbw_gbps": 350.0,
        "allreduce_correct": True,
        "all_ranks_correct": True,
    }
    return out | over


def test_healthy_node_passes_with_fractions_of_the_datasheet_peak():
    verdict = judge([result(r) for r in range(8)])
    assert verdict.ok and verdict.exit_code == 0
    assert {r.status for r in verdict.rows} == {PASS}
    row = verdict.rows[0]
    assert row.matmul_peak == 989.5 and row.matmul_fraction == pytest.approx(700 / 989.5)
    assert row.link_peak_gbps == 450.0 and row.busbw_fraction == pytest.approx(350 / 450)


def test_a_slow_gpu_is_named_and_fails_the_pool():
    results = [result(r) for r in range(8)]
    results[3] = result(3, matmul_tflops=400.0)
    verdict = judge(results)
    assert verdict.exit_code == 1
    assert [r.rank for r in verdict.below] == [3]
    assert verdict.rows[3].status == BELOW
    (problem,) = verdict.problems
    assert problem.startswith(f"node ip-10-0-1-5 GPU 3 ({H100}, GPU-0003): matmul 400.0 TFLOP/s")
    assert "40% of the 989.5 bfloat16 peak (threshold 60%)" in problem


def test_slow_all_reduce_is_named_per_rank():
    results = [result(r) for r in range(8)]
    results[5] = result(5, busbw_gbps=100.0)
    verdict = judge(results)
    assert [r.rank for r in verdict.below] == [5]
    assert (
        "bus bandwidth 100.0 GB/s is 22% of NVLink 4 (NVSwitch)'s 450 GB/s" in (verdict.problems[0])
    )


def test_thresholds_are_configurable():
    results = [result(r, matmul_tflops=0.55 * 989.5) for r in range(8)]
    assert not judge(results).ok
    assert judge(results, Thresholds(matmul=0.5)).ok


def test_a_wrong_sum_fails_even_when_fast():
    results = [result(r, all_ranks_correct=False) for r in range(8)]
    results[6] = result(6, allreduce_correct=False, all_ranks_correct=False)
    verdict = judge(results)
    assert verdict.rows[6].status == FAILED
    assert verdict.problems == [
        f"node ip-10-0-1-5 GPU 6 ({H100}, GPU-0006): all-reduce returned a wrong sum on this rank"
    ]


def test_missing_ranks_and_no_results_fail():
    verdict = judge([result(r) for r in range(8) if r != 2])
    assert verdict.problems == ["1 of 8 ranks reported nothing: rank 2"]
    assert judge([], world_size=2).problems == ["no rank reported a result (see the log above)"]
    # A run of 4 that says so, where 8 were started:
    assert "4 of 8 ranks" in judge([result(r, world=4) for r in range(4)], world_size=8).problems[0]


def test_cpu_results_are_not_compared_with_anything():
    results = [result(r, world=2, device="cpu", dtype="float32", device_uuid=None) for r in (0, 1)]
    verdict = judge(results)
    assert verdict.ok
    assert {r.status for r in verdict.rows} == {RAN}
    assert all(r.matmul_fraction is None and r.busbw_fraction is None for r in verdict.rows)
    assert verdict.notes[0].startswith("CPU run: there is no peak to compare with")


def test_across_nodes_bus_bandwidth_is_reported_not_compared():
    results = [result(r, world=16, node=f"node-{r // 8}", busbw_gbps=30.0) for r in range(16)]
    verdict = judge(results)
    assert verdict.ok
    assert all(r.busbw_fraction is None and r.matmul_fraction for r in verdict.rows)
    assert any("across nodes" in n for n in verdict.notes)


def test_models_without_a_published_figure_or_in_another_dtype_are_not_compared():
    a10g = [result(r, world=4, device="NVIDIA A10G", matmul_tflops=1.0) for r in range(4)]
    verdict = judge(a10g)
    assert verdict.ok  # 1 TFLOP/s would be "below" anything: there is no figure to be below
    assert verdict.rows[0].matmul_fraction is None and verdict.rows[0].busbw_fraction
    assert any("A10G" in n and "without an NVIDIA datasheet" in n for n in verdict.notes)
    t4 = [result(r, world=1, device="Tesla T4", dtype="float16", matmul_tflops=50.0) for r in (0,)]
    assert judge(t4).rows[0].matmul_fraction == pytest.approx(50 / 65)
    t4_bf16 = [result(0, world=1, device="Tesla T4", busbw_gbps=None)]
    assert judge(t4_bf16).rows[0].matmul_fraction is None


def test_parse_lines_reads_prefixed_log_lines_and_skips_the_rest():
    line = json.dumps(result(0))
    text = "\n".join(
        [
            "NCCL INFO Bootstrap : Using eth0",
            f"[0] {line}",
            f"[default1]:{json.dumps(result(1))}",
            '{"not": "a burn-in line"}',
            "{broken json",
        ]
    )
    assert [r["rank"] for r in parse_lines(text)] == [0, 1]


def test_busbw_is_the_nccl_tests_formula():
    assert busbw(10.0, 8) == pytest.approx(10.0 * 2 * 7 / 8)
    assert busbw(10.0, 2) == pytest.approx(10.0)
    assert busbw(10.0, 1) == 0


# -- the peak table -----------------------------------------------------------------


def test_every_nvidia_model_the_catalog_offers_is_in_the_table_or_named_as_missing():
    models = {
        catalog.instance_type(t).accelerator.model
        for t in catalog.accelerated_types()
        if catalog.instance_type(t).accelerator.kind == "gpu"
    }
    # Blackwell, RTX PRO and T4g: no dense bf16 figure copied yet; the burn-in reports
    # them without a fraction. Everything else the shipped stacks use has one.
    not_yet = {"B200", "B300", "RTX PRO 4500", "RTX PRO Server 6000", "T4g"}
    assert models - set(gpu_peaks.PEAKS) == not_yet
    for model in ("H100", "A100", "L4", "L40S", "A10G"):
        assert gpu_peaks.for_model(model) is not None


@pytest.mark.parametrize(
    ("device", "model"),
    [
        ("NVIDIA H100 80GB HBM3", "H100"),
        ("NVIDIA H100 PCIe", "H100 PCIe"),
        ("NVIDIA H200", "H200"),
        ("NVIDIA A100-SXM4-40GB", "A100"),
        ("NVIDIA L4", "L4"),
        ("NVIDIA L40S", "L40S"),
        ("NVIDIA A10G", "A10G"),
        ("Tesla T4", "T4"),
        ("Tesla V100-SXM2-32GB", "V100"),
        ("NVIDIA GeForce RTX 4090", None),
        ("cpu", None),
    ],
)
def test_device_names_map_to_their_entry(device, model):
    found = gpu_peaks.for_device(device)
    assert (found.model if found else None) == model


def test_every_entry_cites_nvidia_and_says_dense_or_why_not():
    for peak in gpu_peaks.PEAKS.values():
        assert peak.source.startswith("https://www.nvidia.com/"), peak.model
        assert peak.link_gbps and peak.link
        note = peak.matmul_note.lower()
        if peak.matmul_tflops is None:
            assert "datasheet" in note
        else:
            assert "dense" in note, peak.model
            if "with sparsity" in note:  # the printed figure is sparse: we store half of it
                printed = float(note.split(" tflops")[0].split()[-1].replace(",", ""))
                assert peak.matmul_tflops == pytest.approx(printed / 2, abs=0.5)


# -- through the CLI ----------------------------------------------------------------


def test_validate_pool_judges_saved_results(runner, project):
    results = [result(r) for r in range(8)]
    results[3] = result(3, matmul_tflops=400.0)
    saved = project / "out.txt"
    saved.write_text("\n".join(f"[{r['rank']}] {json.dumps(r)}" for r in results) + "\n")
    run = runner.invoke(cli, ["validate-pool", "h100", "-e", "prod", "--results", str(saved)])
    assert run.exit_code == 1, run.output
    assert "burn-in of pool h100 (p5.48xlarge, H100)" in run.stdout
    assert "below" in run.stdout and "pass" in run.stdout
    (fail,) = [line for line in run.stderr.splitlines() if line.startswith("fail: ")]
    assert fail.startswith(f"fail: node ip-10-0-1-5 GPU 3 ({H100}, GPU-0003): matmul 400.0")

    ok = runner.invoke(
        cli,
        ["validate-pool", "h100", "-e", "prod", "--results", str(saved), "--min-matmul", "0.4"],
    )
    assert ok.exit_code == 0, ok.output

    as_json = runner.invoke(
        cli, ["validate-pool", "h100", "-e", "prod", "--results", str(saved), "-o", "json"]
    )
    doc = json.loads(as_json.stdout)
    assert as_json.exit_code == 1 and doc["ok"] is False and len(doc["rows"]) == 8
    assert doc["rows"][3]["status"] == "below" and doc["rows"][3]["matmul_peak"] == 989.5


def test_docs_show_the_table_as_it_is():
    assert gpu_peaks.markdown_table() in (ROOT / "docs" / "jobs.md").read_text()
    assert all(line.count("|") == 8 for line in gpu_peaks.markdown_table().splitlines())
