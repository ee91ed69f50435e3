"""How a plan looks in a terminal: counts or a tree, outputs, findings, cost."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from gpuforge.cli.console import console as make_console
from gpuforge.model.pricing import HOURS_PER_MONTH, lustre_citation
from gpuforge.model.project_files import display_path
from gpuforge.planning import SEVERITIES, PlanReport, kubernetes_summary

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def show(report: PlanReport, path, tree: bool = False) -> None:
    console = make_console()
    if not console.is_terminal:
        console.width = max(console.width, 120)
    cloud = report.cloud_resources
    console.print(
        f"[bold]Plan for {report.environment}[/] ({display_path(path)}): {len(cloud)} AWS "
        f"resources in the emulated account ({report.region}), {report.seconds:.1f} s"
    )
    console.print(_tree(report) if tree else _counts(report))
    console.print(
        f"Emulation: {len(report.emulated_types)} resource types emulated in moto; "
        + (
            f"[yellow]only echoed (not checked by AWS rules): {', '.join(report.echoed_types)}[/]"
            if report.echoed_types
            else "none only echoed"
        )
    )
    _kubernetes(console, report)
    _pools(console, report)
    console.print(_outputs(report.outputs))
    _findings(console, report)
    _cost(console, report)


def _counts(report: PlanReport) -> Table:
    """One row per AWS service: its total, then each type's count (fits one screen)."""
    by_service: dict[str, dict[str, int]] = {}
    for type_, count in report.counts_by_type().items():
        module, _, name = type_.partition(":")[2].partition("/")
        by_service.setdefault(module, {})[name.split(":")[-1]] = count
    table = Table(title="Resources by service (--tree for each one)", title_justify="left")
    table.add_column("service")
    table.add_column("count", justify="right")
    table.add_column("types", overflow="fold")
    for module, types in by_service.items():
        detail = " · ".join(f"{name} {n}" for name, n in types.items())
        table.add_row(module, str(sum(types.values())), detail)
    return table


def _tree(report: PlanReport) -> Tree:
    shown = [r for r in report.resources if r.kind != "provider"]
    known = {r.urn for r in shown}
    by_parent: dict[str, list[Any]] = {}
    for r in shown:
        # a parent that is not recorded (the root Stack) makes the resource a top-level one
        by_parent.setdefault(r.parent if r.parent in known else "", []).append(r)
    root = Tree(f"[bold]{report.environment}[/]")

    def add(node: Tree, urn: str) -> None:
        for child in sorted(by_parent.get(urn, []), key=lambda r: (r.type, r.name)):
            label = f"{child.name} [dim]{child.type}[/]"
            add(node.add(label), child.urn)

    add(root, "")
    return root


def _kubernetes(console: Console, report: PlanReport) -> None:
    """The in-cluster side: objects by kind, then each chart with its pinned version."""
    summary = kubernetes_summary(report.kubernetes_resources)
    if not summary["objects"] and not summary["charts"]:
        return
    table = Table(title="Kubernetes (recorded, not applied)", title_justify="left")
    table.add_column("kind")
    table.add_column("name", overflow="fold")
    table.add_column("detail", overflow="fold")
    for obj in summary["objects"]:
        where = f"{obj['namespace']}/" if obj["namespace"] else ""
        table.add_row(obj["kind"], f"{where}{obj['name']}", _k8s_detail(obj))
    for chart in summary["charts"]:
        source = f" from {chart['repository']}" if chart["repository"] else ""  # else OCI
        table.add_row(
            "HelmRelease",
            f"{chart['namespace']}/{chart['release']}",
            f"{chart['chart']} {chart['version']}{source}\n{chart_values(chart['values'])}",
        )
    console.print(table)
    served = ", ".join(report.custom_resources) or "none"
    console.print(f"custom resources served (the installed controllers' CRDs): {served}")
    console.print(f"[dim]{summary['note']}[/]")


def chart_values(values: dict, prefix: str = "") -> str:
    """A chart's values as one `dotted.key: value` line each, for people.

    Lists stay on their line as JSON; a multi-line text value (Kueue's controller
    configuration is one YAML document) is named with its size, not printed with
    literal \\n: `plan -o json` has the whole text.
    """
    lines = []
    for key in sorted(values):
        value, path = values[key], f"{prefix}{key}"
        if isinstance(value, dict) and value:
            lines.append(chart_values(value, f"{path}."))
        elif isinstance(value, str) and "\n" in value.strip():
            count = len(value.strip().splitlines())
            lines.append(f"{path}: ({count}-line text; plan -o json shows it)")
        else:
            lines.append(f"{path}: {json.dumps(value)}")
    return "\n".join(lines)


def _pools(console: Console, report: PlanReport) -> None:
    """Each GPU pool beside what the runtime does with it: idle cost, cost at max, scaling."""
    if not report.cost.pools:
        return
    table = Table(title="GPU pools (USD per hour)", title_justify="left")
    for col in ("pool", "nodes", "GPUs/node", "capacity", "idle", "at max", "scale-up order"):
        table.add_column(col, justify="left" if col in ("pool", "capacity") else "right")
    order = report.pool_priorities()
    for pool in report.cost.pools:
        price = pool.hourly_per_node
        table.add_row(
            f"{pool.name} ({pool.instance_type}{', EFA' if pool.efa else ''})",
            f"{pool.min}-{pool.max}",
            str(pool.gpus_per_node),
            pool.capacity,
            "unknown" if price is None else f"{pool.hourly_idle:,.2f}",
            "unknown" if price is None else f"{pool.hourly_at_max:,.2f}",
            order.get(pool.name, "-"),
        )
    console.print(table)
    console.print(
        "[dim]idle = min nodes, 0 for a pool at min 0: a first job waits for a node to "
        "launch and join (scale-from-zero tags on each pool's Auto Scaling group)[/]"
    )


def _k8s_detail(obj: dict[str, Any]) -> str:
    spec = obj.get("spec") or {}
    if obj["kind"] == "ResourceQuota":
        return ", ".join(f"{k}={v}" for k, v in (spec.get("hard") or {}).items())
    if obj["kind"] == "ClusterQueue":
        quotas = []
        for group in spec.get("resourceGroups") or []:
            for flavor in group.get("flavors") or []:
                gpus = [
                    r
                    for r in flavor.get("resources") or []
                    if r.get("name") in ("nvidia.com/gpu", "aws.amazon.com/neuron")
                ]
                quota = f"{flavor['name']}: {_num(gpus[0]['nominalQuota']) if gpus else 0} GPUs"
                for key, word in (("borrowingLimit", "borrow"), ("lendingLimit", "lend")):
                    if gpus and key in gpus[0]:
                        quota += f" ({word} <= {_num(gpus[0][key])})"
                quotas.append(quota)
        detail = "; ".join(quotas)
        if spec.get("cohortName"):  # a team's queue: the cohort it shares GPUs in
            detail += f"; cohort {spec['cohortName']}"
        return detail
    if obj["kind"] == "LocalQueue":
        return f"-> {spec.get('clusterQueue')}"
    if obj["kind"] == "ResourceFlavor":
        return ", ".join(f"{k}={v}" for k, v in (spec.get("nodeLabels") or {}).items())
    return ""


def _num(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _outputs(outputs: dict[str, Any]) -> Table:
    table = Table(title="Stack outputs", title_justify="left")
    table.add_column("output")
    table.add_column("value", overflow="fold")
    for key, value in outputs.items():
        shown = value if isinstance(value, str) else repr(value)
        table.add_row(key, shown if len(shown) <= 100 else shown[:97] + "...")
    return table


def _findings(console: Console, report: PlanReport) -> None:
    counts = {s: sum(1 for f in report.findings if f.severity == s) for s in SEVERITIES}
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    mandatory = len(report.mandatory_failures)
    verdict = (
        f"[bold red]{mandatory} mandatory rule violation(s)[/]"
        if mandatory
        else "[green]no mandatory rule violated[/]"
    )
    console.print(f"Policy findings: {summary} — {verdict}")
    for severity in SEVERITIES:
        for f in (f for f in report.findings if f.severity == severity):
            name = f.urn.rsplit("::", 1)[-1]
            console.print(
                f"  [{_STYLE[severity]}]{severity.upper():8}[/] {f.rule} ({f.enforcement}) "
                f"{name}: {f.message}"
            )


def _filesystem_rows(table: Table, cost) -> float:
    """One row per FSx for Lustre file system (storage and throughput); their sum."""
    total = 0.0
    for fs in cost.filesystems:
        shown = "unknown" if fs.monthly is None else f"{fs.monthly:,.0f}"
        table.add_row(
            f"FSx for Lustre {fs.name} ({fs.storage_gib} GiB x {fs.throughput_per_tib} MB/s/TiB"
            f" = {fs.throughput_gbps:g} GB/s)",
            shown,
            shown,
        )
        total += fs.monthly or 0.0
    return total


def _cost(console: Console, report: PlanReport) -> None:
    cost = report.cost
    table = Table(title="Estimated monthly cost (USD)", title_justify="left")
    for col in ("item", "at min scale", "at max scale"):
        table.add_column(col, justify="left" if col == "item" else "right")
    for pool in cost.pools:
        if pool.hourly_per_node is None:
            table.add_row(f"GPU pool {pool.name} ({pool.instance_type})", "unknown", "unknown")
            continue
        per_month = pool.hourly_per_node * HOURS_PER_MONTH
        table.add_row(
            f"GPU pool {pool.name} ({pool.min}-{pool.max} x {pool.instance_type})",
            f"{per_month * pool.min:,.0f}",
            f"{per_month * pool.max:,.0f}",
        )
    table.add_row("GPU pools", f"{cost.gpu_monthly_min:,.0f}", f"{cost.gpu_monthly_max:,.0f}")
    data = _filesystem_rows(table, cost)
    table.add_row(
        "platform (EKS, NAT, endpoints, system nodes)",
        f"{cost.monthly_min - cost.gpu_monthly_min - data:,.0f}",
        f"{cost.monthly_max - cost.gpu_monthly_max - data:,.0f}",
    )
    table.add_row("[bold]total[/]", f"{cost.monthly_min:,.0f}", f"{cost.monthly_max:,.0f}")
    console.print(table)
    if cost.unknown_prices:
        console.print(f"No price for: {', '.join(cost.unknown_prices)} (not counted)")
    console.print(f"[dim]Prices: {cost.price_source}; spot and capacity blocks at on-demand[/]")
    if cost.filesystems:
        console.print(f"[dim]File systems: {lustre_citation()}[/]")
