"""`gpuforge jobs | status | logs | cancel`: follow training jobs on an environment's cluster."""

from __future__ import annotations

import json

import click

from gpuforge.cli.cluster_errors import cluster_errors
from gpuforge.cli.errors import BadInput
from gpuforge.cli.options import cluster_options, output_option, required_env_option
from gpuforge.cli.team_option import resolve_team, team_option


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
@team_option
@click.option(
    "--all-teams",
    is_flag=True,
    help="Every team's jobs (platform admins: it reads every team namespace).",
)
@output_option
@cluster_options
def jobs(
    env: str,
    team: str | None,
    all_teams: bool,
    output: str,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """List the environment's training jobs.

    One row per job: team, state, nodes x GPUs, pool, age, restarts, and cost
    so far (list price x nodes x time since its pods started; an estimate that
    leaves out nodes booting or idle). In an environment with teams, --team
    picks the team's namespace and --all-teams lists every team's.

    \b
    Examples:
      gpuforge jobs -e prod
      gpuforge jobs -e shared --team vision
      gpuforge jobs -e shared --all-teams -o json
      gpuforge jobs -e dev --kubeconfig ./emulated.kubeconfig -o json
    """
    from gpuforge.jobs.listing import list_jobs
    from gpuforge.model.loader import load_env
    from gpuforge.model.teams import teams as env_teams

    _, spec = load_env(env)
    if all_teams and team is not None:
        raise BadInput("jobs: --team and --all-teams do not go together")
    chosen = env_teams(spec) if all_teams else [resolve_team(spec, team)]
    where = ", ".join(t.namespace for t in chosen)
    with cluster_errors(env):
        records = list_jobs(spec, kubeconfig=kubeconfig, context=context, teams=chosen)
    if output == "json":
        document: dict = {"namespace": where, "jobs": [r.as_dict() for r in records]}
        if all_teams:
            document["namespaces"] = [t.namespace for t in chosen]
        click.echo(json.dumps(document, indent=2))
        return
    from rich.table import Table

    from gpuforge.cli.console import console as make_console

    console = make_console()
    if not records:
        console.print(f"no jobs in namespace {where}")
        return
    table = Table(title=f"jobs in {spec.environment} ({where})", title_justify="left")
    columns = ("name", "state", "nodes x GPUs", "pool", "age", "restarts", "cost so far")
    if spec.teams:
        columns = ("team", *columns)
    for col in columns:
        table.add_column(col, justify="right" if col in ("restarts", "cost so far") else "left")
    for r in records:
        table.add_row(
            *((r.team,) if spec.teams else ()),
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
@team_option
@output_option
@cluster_options
def status(
    name: str,
    env: str,
    team: str | None,
    output: str,
    kubeconfig: str | None,
    context: str | None,
) -> None:
    """Show one job: its ranks, recent events, and why it waits.

    A job that is not running is explained in words: waiting for the pool to
    scale up from zero, quota exhausted, not admitted by the Kueue queue, or
    can never fit (with the scheduler's, autoscaler's or Kueue's own message).
    A rank that failed or was evicted on an unhealthy node names the node and
    its condition (e.g. AcceleratedHardwareReady=False after a GPU XID error).

    \b
    Examples:
      gpuforge status llama-8b-pretrain -e prod
      gpuforge status llama-8b-pretrain -e prod -o json
    """
    from gpuforge.jobs.describe import describe
    from gpuforge.model.loader import load_env

    _, spec = load_env(env)
    chosen = resolve_team(spec, team)
    with cluster_errors(env):
        record, st = describe(
            spec, name, kubeconfig=kubeconfig, context=context, namespace=chosen.namespace
        )
    record.team = chosen.name
    if output == "json":
        click.echo(json.dumps({**st.as_dict(), "job": record.as_dict()}, indent=2))
        return
    from rich.table import Table

    from gpuforge.cli.console import console as make_console
    from gpuforge.jobs.gang_words import gang_words

    console = make_console()
    cost = "unknown" if record.cost_usd is None else f"${record.cost_usd:,.2f}"
    console.print(
        f"[bold]{name}[/] {st.state}: "
        + (f"team {record.team}, " if spec.teams else "")
        + f"{gang_words(record.nodes, record.gpus_per_node)} on pool "
        f"{record.pool or '?'} ({record.kind}), age {age(record.age_s)}, "
        f"restarts {record.restarts}, cost so far {cost}"
    )
    if st.explanation:
        console.print(f"why: {st.explanation.text}")
    for problem in st.node_problems:
        console.print(f"node: {problem.line()}", soft_wrap=True)
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
@team_option
@cluster_options
def logs(
    name: str,
    env: str,
    team: str | None,
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
      gpuforge logs llama-8b-pretrain -e prod --rank 0
      gpuforge logs llama-8b-pretrain -e prod -f
    """
    from gpuforge.jobs.job_logs import logs as job_logs
    from gpuforge.model.loader import load_env

    _, spec = load_env(env)
    namespace = resolve_team(spec, team).namespace
    with cluster_errors(env):
        job_logs(
            spec,
            name,
            namespace=namespace,
            rank=rank,
            follow_logs=follow,
            kubeconfig=kubeconfig,
            context=context,
            out=click.echo,
        )


@click.command()
@click.argument("name", callback=job_name_argument)
@required_env_option
@team_option
@cluster_options
def cancel(
    name: str, env: str, team: str | None, kubeconfig: str | None, context: str | None
) -> None:
    """Stop a job and delete its objects (pods, service, job).

    \b
    Example:
      gpuforge cancel llama-8b-pretrain -e prod
    """
    from gpuforge.jobs.cancel import cancel as cancel_job
    from gpuforge.model.loader import load_env

    _, spec = load_env(env)
    with cluster_errors(env):
        deleted = cancel_job(
            spec,
            name,
            kubeconfig=kubeconfig,
            context=context,
            namespace=resolve_team(spec, team).namespace,
        )
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
