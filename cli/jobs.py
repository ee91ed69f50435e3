"""`gpuforge jobs | status | logs | cancel`: follow training jobs on an environment's cluster."""

from __future__ import annotations

import json

import click

from gpuforge.cli.cluster_errors import cluster_errors
from gpuforge.cli.options import cluster_options, output_option, required_env_option


def job_name_argument(ctx, param, value: str) -> str:
    """Refuse what cannot name a job before any API call (a label selector, an empty name)."""
    from gpuforge.model import k8s_syntax

    problem = k8s_syntax.dns1035_label_problem(value)
    if problem:
        raise click.BadParameter(
            f"{value!r} is not a job name: it {problem} (gpuforge jobs -e ENV lists the names)"
        )
    return value


@click.command()
@required_env_option
@output_option
@cluster_options
def jobs(env: str, output: str, kubeconfig: str | None, context: str | None) -> None:
    """List the environment's training jobs.

    One row per job: state, nodes x GPUs, pool, age, restarts, and cost so far
    (list price x nodes x time since its pods started; an estimate that leaves
    out nodes booting or idle).

    \b
    Examples:
      gpuforge jobs -e prod
      gpuforge jobs -e dev --kubeconfig ./emulated.kubeconfig -o json
    """
    from gpuforge.jobs.listing import list_jobs
    from gpuforge.model.loader import load_env

    _, spec = load_env(env)
    with cluster_errors(env):
        records = list_jobs(spec, kubeconfig=kubeconfig, context=context)
    if output == "json":
        click.echo(
            json.dumps(
                {"namespace": spec.training.namespace, "jobs": [r.as_dict() for r in records]},
                indent=2,
            )
        )
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not records:
        console.print(f"no jobs in namespace {spec.training.namespace}")
        return
    table = Table(
        title=f"jobs in {spec.environment} ({spec.training.namespace})", title_justify="left"
    )
    for col in ("name", "state", "nodes x GPUs", "pool", "age", "restarts", "cost so far"):
        table.add_column(col, justify="right" if col in ("restarts", "cost so far") else "left")
    for r in records:
        table.add_row(
            r.name,
            r.state,
            _size(r.nodes, r.gpus_per_node),
            r.pool or "?",
            age(r.age_s),
            str(r.restarts),
            "unknown" if r.cost_usd is None else f"${r.cost_usd:,.2f}",
        )
    console.print(table)


@click.command()
@click.argument("name", callback=job_name_argument)
@required_env_option
@output_option
@cluster_options
def status(name: str, env: str, output: str, kubeconfig: str | None, context: str | None) -> None:
    """Show one job: its ranks, recent events, and why it waits.

    A job that is not running is explained in words: waiting for the pool to
    scale up from zero, quota exhausted, not admitted by the Kueue queue, or
    can never fit (with the scheduler's, autoscaler's or Kueue's own message).

    \b
    Examples:
      gpuforge status llama-2x8 -e prod
      gpuforge status llama-2x8 -e prod -o json
    """
    from gpuforge.jobs.describe import describe
    from gpuforge.model.loader import load_env

    _, spec = load_env(env)
    with cluster_errors(env):
        record, st = describe(spec, name, kubeconfig=kubeconfig, context=context)
    if output == "json":
        click.echo(json.dumps({**st.as_dict(), "job": record.as_dict()}, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    cost = "unknown" if record.cost_usd is None else f"${record.cost_usd:,.2f}"
    console.print(
        f"[bold]{name}[/] {st.state}: {_size(record.nodes, record.gpus_per_node)} GPUs on pool "
        f"{record.pool or '?'} ({record.kind}), age {age(record.age_s)}, "
        f"restarts {record.restarts}, cost so far {cost}"
    )
    if st.explanation:
        console.print(f"why: {st.explanation.text}")
    table = Table(title="ranks", title_justify="left")
    for col in ("rank", "pod", "phase", "restarts", "node"):
        table.add_column(col)
    for p in st.pods:
        phase = p.phase + (f" ({p.waiting})" if p.waiting else "")
        table.add_row(
            str(p.rank) if p.rank is not None else "?", p.name, phase, str(p.restarts), p.node or ""
        )
    if not st.pods:
        table.add_row("", "(no pods yet)", "", "", "")
    console.print(table)
    if st.events:
        console.print("recent events:")
        for e in st.events:
            console.print(f"  {e.time or '-'}  {e.type:<7} {e.reason:<18} {e.object}: {e.message}")


@click.command()
@click.argument("name", callback=job_name_argument)
@required_env_option
@click.option("-f", "--follow", is_flag=True, help="Keep printing new lines until the job ends.")
@click.option("--rank", type=click.IntRange(min=0), help="Only this rank's pod.")
@cluster_options
def logs(
    name: str,
    env: str,
    follow: bool,
    rank: int | None,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Print a job's logs, each line prefixed with its rank.

    With -f, polls for new lines until the job ends; Ctrl-C stops following
    and leaves the job running.

    \b
    Examples:
      gpuforge logs llama-2x8 -e prod --rank 0
      gpuforge logs llama-2x8 -e prod -f
    """
    from gpuforge.jobs.job_logs import logs as job_logs
    from gpuforge.model.loader import load_env

    _, spec = load_env(env)
    with cluster_errors(env):
        job_logs(
            spec,
            name,
            rank=rank,
            follow_logs=follow,
            kubeconfig=kubeconfig,
            context=context,
            out=click.echo,
        )


@click.command()
@click.argument("name", callback=job_name_argument)
@required_env_option
@cluster_options
def cancel(name: str, env: str, kubeconfig: str | None, context: str | None) -> None:
    """Stop a job and delete its objects (pods, service, job).

    \b
    Example:
      gpuforge cancel llama-2x8 -e prod
    """
    from gpuforge.jobs.cancel import cancel as cancel_job
    from gpuforge.model.loader import load_env

    _, spec = load_env(env)
    with cluster_errors(env):
        deleted = cancel_job(spec, name, kubeconfig=kubeconfig, context=context)
    click.echo(f"cancelled {name}: deleted {', '.join(deleted)}")


def _size(nodes: int | None, gpus: int | None) -> str:
    return f"{nodes if nodes is not None else '?'} x {gpus if gpus is not None else '?'}"


def age(seconds: float | None) -> str:
    """A short age: 45s, 12m, 3h, 2d."""
    if seconds is None:
        return "?"
    s = int(max(0, seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"
