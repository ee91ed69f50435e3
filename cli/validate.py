"""`gpuforge validate`: check a spec and show what it would run and cost."""

from __future__ import annotations

import json

import click

from gpuforge.cli.options import output_option, required_env_option


@click.command()
@required_env_option
@output_option
def validate(env: str, output: str) -> None:
    """Check an environment spec and summarise it.

    Loads stacks/<env>.yaml through the same model the Pulumi program uses,
    so anything `validate` accepts will render and plan. Prints the GPU pools
    (GPU model, GPUs per node, largest scale) and the estimated hourly cost
    at maximum scale from a dated price table.

    \b
    Examples:
      gpuforge validate -e prod
      gpuforge validate -e ./my-env.yaml -o json
    """
    from gpuforge.model.costing import estimate
    from gpuforge.model.loader import load_env
    from gpuforge.model.node_reserve import node_reserve

    path, spec = load_env(env)
    cost = estimate(spec)
    if output == "json":
        doc = {
            "environment": spec.environment,
            "file": str(path),
            "region": spec.region,
            "zones": spec.zones,
            "spec": spec.model_dump(mode="json"),
            "cost": cost.as_dict(),
            "node_reserve": {p.name: node_reserve(p).summary() for p in spec.gpu_pools},
        }
        click.echo(json.dumps(doc, indent=2))
        return
    _print_summary(path, spec, cost)


def _print_summary(path, spec, cost) -> None:
    from rich.table import Table

    from gpuforge.cli.console import console as make_console
    from gpuforge.model.project_files import display_path

    console = make_console()
    if not console.is_terminal:
        console.width = max(console.width, 120)
    console.print(
        f"[bold]{spec.environment}[/] ({display_path(path)}) is valid: {spec.region}, "
        f"{len(spec.zones)} AZs ({', '.join(spec.zones)}), EKS {spec.cluster.version}, "
        f"endpoint {'public' if spec.cluster.public_endpoint else 'private'}, "
        f"NAT {spec.network.nat}"
    )
    table = Table(title="GPU pools", title_justify="left")
    for col in ("pool", "instance", "GPU", "GPUs/node", "capacity", "EFA", "nodes", "max GPUs"):
        table.add_column(col, justify="right" if col in ("GPUs/node", "max GPUs") else "left")
    table.add_column("$/h at max", justify="right")
    for p in cost.pools:
        table.add_row(
            p.name,
            p.instance_type,
            p.gpu_model,
            str(p.gpus_per_node),
            p.capacity,
            "yes" if p.efa else "no",
            f"{p.min}-{p.max}",
            str(p.max_gpus),
            "unknown" if p.hourly_at_max is None else f"{p.hourly_at_max:,.2f}",
        )
    if not cost.pools:
        table.add_row("(none)", "", "", "", "", "", "", "", "")
    console.print(table)
    if spec.teams:
        _print_teams(console, spec)
    _print_reserve(console, spec)
    console.print(
        f"Estimated monthly cost: ${cost.monthly_min:,.0f} at minimum scale, "
        f"${cost.monthly_max:,.0f} at maximum (GPU pools ${cost.gpu_monthly_max:,.0f})"
    )
    if cost.unknown_prices:
        console.print(f"No price for: {', '.join(cost.unknown_prices)} (not counted)")
    console.print(f"[dim]Prices: {cost.price_source}[/]")


def _print_teams(console, spec) -> None:
    """Each team: its namespace, GPUs per pool (guaranteed, borrowing and lending limits)."""
    from rich.table import Table

    from gpuforge.model import teams

    table = Table(title="Teams (one Kueue cohort)", title_justify="left")
    for col in ("team", "namespace", "GPUs per pool", "most at once", "priorities", "people"):
        table.add_column(col)
    for team in teams.teams(spec):
        quota = []
        for q in team.spec.quota:
            limits = [f"borrow <= {q.borrowing_limit}"] if q.borrowing_limit is not None else []
            limits += [f"lend <= {q.lending_limit}"] if q.lending_limit is not None else []
            quota.append(f"{q.pool}: {q.gpus}" + (f" ({', '.join(limits)})" if limits else ""))
        most = [f"{q.pool}: {teams.most_gpus(spec, team.spec, q.pool)}" for q in team.spec.quota]
        table.add_row(
            team.name,
            team.namespace,
            "; ".join(quota),
            "; ".join(most),
            "-".join(dict.fromkeys((team.priorities()[0], team.priorities()[-1]))),
            f"{len(team.spec.admins)} admins, {len(team.spec.members)} members",
        )
    console.print(table)


def _print_reserve(console, spec) -> None:
    """What one node of each pool leaves for a job (docs/jobs.md, the reserve model)."""
    from rich.table import Table

    from gpuforge.model.node_reserve import node_reserve

    if not spec.gpu_pools:
        return
    table = Table(title="What a node leaves for a job", title_justify="left")
    for col in ("pool", "capacity", "kube-reserved", "eviction", "DaemonSets", "for a pod",
                "default job"):  # fmt: skip
        table.add_column(col)
    for pool in spec.gpu_pools:
        r = node_reserve(pool)
        table.add_row(
            pool.name,
            f"{r.vcpus} CPU, {r.capacity_memory_mib} MiB",
            f"{r.kube_reserved_cpu_milli}m, {r.kube_reserved_memory_mib} MiB",
            f"{r.eviction_memory_mib} MiB",
            f"{len(r.daemonsets)}: {r.daemonset_cpu_milli}m, {r.daemonset_memory_mib} MiB",
            f"{r.free_cpu_milli}m, {r.free_memory_mib} MiB",
            f"{r.default_cpu_milli}m, {r.default_memory_mib} MiB",
        )
    console.print(table)
    console.print(
        "[dim]capacity: nominal memory less a 7.5% VM overhead; kube-reserved and eviction "
        "as the EKS AMI's nodeadm sets them; DaemonSets: their requests (docs/runtime.md)[/]"
    )
