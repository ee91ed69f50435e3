"""`gpuforge validate-pool`: burn in a GPU pool (matmul TFLOP/s, all-reduce bandwidth)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from gpuforge.cli.errors import BadInput
from gpuforge.cli.options import output_option, require_torch, required_env_option
from gpuforge.jobs.burnin_network import DEFAULT_EFA_BUSBW_THRESHOLD
from gpuforge.jobs.gpu_peaks import DEFAULT_BUSBW_THRESHOLD, DEFAULT_MATMUL_THRESHOLD

if TYPE_CHECKING:
    from gpuforge.jobs.fit import Fit


def _count(most: int | None = None):
    """A callback reading a whole number >= 1 (<= `most`), or one line and exit 2."""

    def parse(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            number = 0
        if number < 1 or (most and number > most):
            span = f"between 1 and {most}" if most else "of at least 1"
            raise BadInput(
                f"validate-pool: {param.opts[0]}: {value!r} is not a whole number {span}"
            )
        return number

    return parse


def _fraction(ctx: click.Context, param: click.Parameter, value: str) -> float:
    """A callback reading a fraction in (0, 1], or one line and exit 2."""
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not 0 < number <= 1:
        raise BadInput(
            f"validate-pool: {param.opts[0]}: {value!r} is not a fraction of the peak "
            f"(a number above 0 and at most 1, e.g. {param.opts[0]} 0.6)"
        )
    return number


@click.command("validate-pool")
@click.argument("pool")
@required_env_option
@click.option("--local", is_flag=True, help="Run the burn-in here and judge it (needs torch).")
@click.option(
    "--nproc",
    callback=_count(256),
    metavar="N",
    help="Processes for --local: default one per local GPU, or 2 (gloo on CPU) without one.",
)
@click.option(
    "--nodes",
    callback=_count(),
    metavar="N",
    help="Nodes to burn in (one pod each). Default: the pool's max, within training.max_gpus.",
)
@click.option(
    "--image",
    metavar="IMAGE",
    help="Your training image, built from `gpuforge image render` (CUDA PyTorch, EFA, "
    "aws-ofi-nccl); required to render the job.",
)
@click.option(
    "--size", callback=_count(), metavar="N", help="Matrix dimension (GPU 8192, CPU 256)."
)
@click.option(
    "--allreduce-mib",
    callback=_count(),
    metavar="MIB",
    help="All-reduce buffer in MiB (GPU 256, CPU 4).",
)
@click.option(
    "--min-matmul",
    metavar="FRACTION",
    callback=_fraction,
    default=str(DEFAULT_MATMUL_THRESHOLD),
    show_default=True,
    help="Pass threshold: matmul TFLOP/s as a fraction of the GPU's dense peak.",
)
@click.option(
    "--min-busbw",
    metavar="FRACTION",
    callback=_fraction,
    default=str(DEFAULT_BUSBW_THRESHOLD),
    show_default=True,
    help="Pass threshold: all-reduce bus bandwidth as a fraction of the NVLink/PCIe peak.",
)
@click.option(
    "--min-efa-busbw",
    callback=_fraction,
    default=str(DEFAULT_EFA_BUSBW_THRESHOLD),
    show_default=True,
    help="Pass threshold across nodes of an EFA pool: bus bandwidth as a fraction of the "
    "instance's EFA bandwidth.",
)
@click.option(
    "--results",
    "results_file",
    type=click.Path(dir_okay=False, exists=True),
    help="Judge burn-in output saved from the cluster (e.g. `gpuforge logs` of the job) "
    "instead of running or rendering.",
)
@click.option(
    "--timeout",
    callback=_count(),
    metavar="SECONDS",
    default="600",
    show_default=True,
    help="Seconds --local may run before it is stopped (exit 1).",
)
@output_option
def validate_pool(
    pool: str,
    env: str,
    local: bool,
    nproc: int | None,
    nodes: int | None,
    image: str | None,
    size: int | None,
    allreduce_mib: int | None,
    min_matmul: float,
    min_busbw: float,
    min_efa_busbw: float,
    results_file: str | None,
    timeout: int,
    output: str,
) -> None:
    """Burn in a GPU pool: matmul TFLOP/s and all-reduce bandwidth per GPU.

    Without --local, prints the burn-in job for POOL of environment ENV as
    manifests (like `launch --dry-run`; nothing is sent): one pod per node up to
    the pool's max (or --nodes), every GPU of each node, torchrun with one
    process per GPU, no restarts, in your training image (--image). Each rank
    prints one JSON line: its node, GPU, bf16 matmul TFLOP/s, all-reduce bus
    bandwidth (nccl-tests' busbw) and the lines of NCCL's own log that name
    the network it used.

    With --local, runs the burn-in on this machine (its GPUs, or --nproc gloo
    processes on CPU) and prints a table per node and GPU: measured, expected
    peak (NVIDIA's datasheet, dense), fraction, pass or below. --results FILE
    judges lines saved from a cluster run the same way. Across nodes of an EFA
    pool every rank must have used aws-ofi-nccl with the efa provider (a TCP
    fallback fails) and reach --min-efa-busbw of the instance's EFA bandwidth.
    Exit 1 names every GPU below --min-matmul, --min-busbw or --min-efa-busbw,
    a rank that did not use EFA, or a rank whose all-reduce sum was wrong;
    exit 0 otherwise. On CPU there is no peak: the run must complete
    and every rank's all-reduce sum must be right.

    \b
    Examples:
      gpuforge validate-pool h100 -e prod --image $ECR/training/trainer:1 > burnin.yaml
      gpuforge validate-pool l4 -e dev --local --nproc 2
      gpuforge logs burnin-h100 -e prod > out.txt
      gpuforge validate-pool h100 -e prod --results out.txt
    """
    from gpuforge.jobs import burnin_job, burnin_verdict
    from gpuforge.jobs.fit import check_fit
    from gpuforge.model.loader import load_env

    if nproc is not None and not local:
        raise BadInput(
            "validate-pool: --nproc applies only with --local (add --local, or drop --nproc)"
        )
    if local and results_file:
        raise BadInput("validate-pool: --results: cannot go with --local (give one of them)")
    _, spec = load_env(env)
    pool_spec = burnin_job.pool_of(spec, pool)
    thresholds = burnin_verdict.Thresholds(
        matmul=min_matmul, busbw=min_busbw, efa_busbw=min_efa_busbw
    )

    network = burnin_job.network_of(pool_spec)
    if results_file:
        from gpuforge.model.input_files import MAX_LARGE_BYTES, read_user_text

        text = read_user_text(results_file, results_file, limit=MAX_LARGE_BYTES)
        results = burnin_verdict.parse_lines(text)
        _report(burnin_verdict.judge(results, thresholds, network=network), pool_spec, output)
        return
    if not local:
        count = burnin_job.node_count(spec, pool_spec, nodes)
        if not image:
            raise BadInput(
                "validate-pool: --image: required: the burn-in runs your training image "
                "(`gpuforge image render`: CUDA PyTorch with EFA and aws-ofi-nccl), e.g. "
                "--image $ECR/training/trainer:1; a stock pytorch/pytorch image has no "
                "aws-ofi-nccl, so NCCL would fall back to TCP between nodes"
            )
        args = burnin_job.program_args(size=size, allreduce_mib=allreduce_mib)
        job = burnin_job.burnin_job(spec, pool_spec, nodes=count, image=image, args=args)
        fit = check_fit(job, spec)
        _print_rendered(fit, burnin_job.render(fit), output)
        return

    if nodes not in (None, 1):
        raise BadInput(
            "validate-pool: --local runs on this machine: --nodes must be 1 (or drop --nodes)"
        )
    require_torch("validate-pool --local")
    with burnin_job.results_dir() as tmp:
        where = Path(tmp)
        args = burnin_job.program_args(size=size, allreduce_mib=allreduce_mib, results=where)
        job = burnin_job.burnin_job(
            spec, pool_spec, nodes=1, image=burnin_job.LOCAL_IMAGE, args=args, local=True
        )
        code = burnin_job.run_here(job, spec, nproc=nproc, timeout_s=timeout, say=_say)
        results = [
            burnin_verdict.parse_lines(p.read_text())[0] for p in sorted(where.glob("rank-*.json"))
        ]
    verdict = burnin_verdict.judge(
        results, thresholds, world_size=_world(results, nproc), network=network
    )
    if code != 0 and verdict.ok:
        verdict.problems.append(f"the burn-in exited with status {code}")
    _report(verdict, pool_spec, output)


def _world(results: list[dict], nproc: int | None) -> int | None:
    return nproc or (max(int(r["world_size"]) for r in results) if results else None)


def _say(message: str) -> None:
    click.echo(message, err=True)


def _print_rendered(fit: Fit, manifests: list[dict], output: str) -> None:
    if output == "json":
        doc = {"job": fit.name, "dry_run": True, "summary": fit.summary(), "manifests": manifests}
        click.echo(json.dumps(doc, indent=2))
        return
    from gpuforge.cli.launch import manifests_yaml

    click.echo(manifests_yaml(manifests), nl=False)
    click.echo(
        f"burn-in {fit.name} for pool {fit.pool.name} of {fit.environment}: "
        "rendered, nothing sent\n"
        f"  {fit.nodes} node{'s' if fit.nodes > 1 else ''} x {fit.gpus_per_node} "
        f"{fit.gpu_model} ({fit.instance_type}), one pod per node, no restarts\n"
        f"  each rank prints one JSON line; judge them with --results FILE",
        err=True,
    )


def _report(verdict, pool_spec, output: str) -> None:
    if output == "json":
        click.echo(json.dumps(verdict.as_dict() | {"pool": pool_spec.name}, indent=2))
    else:
        _print_table(verdict, pool_spec)
    if not verdict.ok:
        raise SystemExit(verdict.exit_code)


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 10 else f"{value:.3g}"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _print_table(verdict, pool_spec) -> None:
    from rich.table import Table

    from gpuforge.cli.console import console as make_console

    console = make_console()
    accel = pool_spec.instance.accelerator
    dtypes = "/".join(sorted({r.dtype for r in verdict.rows})) or "-"
    title = (
        f"burn-in of pool {pool_spec.name} ({pool_spec.instance_type}, {accel.model}); "
        f"matmul in {dtypes}"
    )
    table = Table(title=title, title_justify="left")
    for col in ("node", "GPU", "device", "TFLOP/s", "peak", "frac", "busbw GB/s", "peak"):
        table.add_column(col, justify="left" if col in ("node", "device") else "right")
    table.add_column("frac", justify="right")
    table.add_column("result")
    for row in verdict.rows:
        table.add_row(
            row.node,
            str(row.local_rank),
            row.device,
            _fmt(row.matmul_tflops),
            _fmt(row.matmul_peak),
            _pct(row.matmul_fraction),
            _fmt(row.busbw_gbps),
            _fmt(row.link_peak_gbps),
            _pct(row.busbw_fraction),
            row.status,
        )
    console.print(table)
    devices = {r.device for r in verdict.rows if r.device != "cpu"}
    if devices and accel.model not in " ".join(devices):
        console.print(f"note: measured on {', '.join(sorted(devices))}; pool has {accel.model}")
    for note in verdict.notes:
        console.print(f"note: {note}")
    t = verdict.thresholds
    if verdict.ok:
        console.print(
            f"ok: {len(verdict.rows)} of {verdict.world_size} ranks reported and passed "
            f"(thresholds: matmul {t.matmul:.0%}, busbw {t.busbw:.0%} of peak)"
        )
    for problem in verdict.problems:
        click.echo(f"fail: {problem}", err=True)
