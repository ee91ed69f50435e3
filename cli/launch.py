"""`gpuforge launch`: check a training job against an environment, render it, send it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from gpuforge.cli.cluster_errors import cluster_errors
from gpuforge.cli.errors import BadInput
from gpuforge.cli.options import (
    cluster_options,
    output_option,
    require_torch,
    required_env_option,
)

if TYPE_CHECKING:
    from gpuforge.jobs.fit import Fit


@click.command()
@click.argument("job_file", metavar="JOB.yaml")
@required_env_option
@click.option(
    "--dry-run", is_flag=True, help="Print the manifests and a summary; send nothing to a cluster."
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a job field, e.g. --set nodes=2 --set checkpoint.every_steps=500. Repeatable.",
)
@click.option(
    "--team",
    metavar="NAME",
    help="The team the job runs for (an environment with teams): its namespace, queue and "
    "quota. Same as --set team=NAME.",
)
@click.option("--wait", is_flag=True, help="Follow the job until it ends; exit 1 if it fails.")
@click.option("--replace", is_flag=True, help="Delete a job of the same name first.")
@click.option(
    "--local",
    is_flag=True,
    help="Run the job here through torchrun (local GPUs, else CPU processes with gloo) "
    "instead of sending it; exit with the job's exit code.",
)
@click.option(
    "--nproc",
    type=click.IntRange(1, 64),
    help="With --local: processes (ranks) to start. Default: the job's GPUs, or 2 on CPU.",
)
@click.option(
    "--checkpoint-uri",
    metavar="URI",
    help="With --local: where checkpoints go (file:///dir, s3://bucket/prefix or "
    "s3://{checkpoints}/prefix). Default: see docs/local.md.",
)
@click.option(
    "--data",
    "data_dirs",
    multiple=True,
    metavar="NAME=PATH",
    help="With --local: read data mount NAME from directory PATH. Unmapped mounts are "
    "synced from their buckets into .gpuforge/data/<env>/<name>/ (docs/data.md). Repeatable.",
)
@cluster_options
@output_option
def launch(
    job_file: str,
    env: str,
    dry_run: bool,
    overrides: tuple[str, ...],
    team: str | None,
    wait: bool,
    replace: bool,
    local: bool,
    nproc: int | None,
    checkpoint_uri: str | None,
    data_dirs: tuple[str, ...],
    kubeconfig: str | None,
    context: str | None,
    output: str,
) -> None:
    """Check a training job against an environment and launch it.

    JOB.yaml describes a PyTorch job (image, pool, nodes, GPUs, command run
    under torchrun, checkpoints); see docs/jobs.md. Before anything is sent the
    job is checked against the environment: the pool exists, the GPUs, nodes,
    CPU and memory fit, the job stays within training.max_gpus, and the
    checkpoint bucket is one training pods may write. A job that can never run
    is refused with the reason and what would fit (exit 2).

    --dry-run prints the manifests as YAML on stdout and a summary on stderr
    (pool, nodes x GPUs, EFA or TCP transport, cost per hour at full size);
    with -o json, one JSON document. The manifests are exactly what a launch
    sends, so applying them with kubectl makes the same job.

    Without --dry-run the objects are created in the environment's EKS cluster
    (a token made as `aws eks get-token` makes it, held in memory) or the
    cluster --kubeconfig names. A job name already in use exits 1 unless
    --replace; if the API refuses an object, what was created is removed.
    --wait follows the job to its end (exit 1 if it fails); Ctrl-C leaves it
    running and says how to follow it again.

    --local runs the job on this machine instead, through torchrun with the
    cluster's environment contract (GPUFORGE_* variables), one rank per local
    GPU or --nproc CPU processes (default 2), each output line prefixed with
    its rank. Checkpoints go to --checkpoint-uri, else to the environment's
    bucket at $AWS_ENDPOINT_URL when one is set, else to
    .gpuforge/checkpoints/<job>/ (docs/local.md). Each data: mount is the
    --data NAME=PATH directory, else its buckets synced into
    .gpuforge/data/<env>/<name>/ (docs/data.md). Ctrl-C stops every process
    of the job (a second Ctrl-C kills them). With --dry-run it prints the
    torchrun command and the variables instead. Needs torch (the `train` extra).

    \b
    Examples:
      gpuforge launch examples/jobs/llama-2x8-h100.yaml -e prod --dry-run
      gpuforge launch examples/jobs/single-node.yaml -e dev --set nodes=2 --dry-run
      gpuforge launch job.yaml -e prod --wait
      gpuforge launch job.yaml -e prod --kubeconfig emulated.kubeconfig
      gpuforge launch examples/jobs/tiny-gpt.yaml -e dev --local --nproc 2
    """
    from gpuforge.jobs import backends
    from gpuforge.jobs.fit import check_fit
    from gpuforge.jobs.spec import load_job_located
    from gpuforge.model.errors import SpecError
    from gpuforge.model.loader import load_env

    if dry_run and (wait or replace):
        raise BadInput(
            "launch: --dry-run sends nothing; --wait and --replace do not apply (drop them)"
        )
    if local and (wait or replace or kubeconfig or context):
        raise BadInput(
            "launch: --local runs here; --wait, --replace, --kubeconfig and --context do not apply"
        )
    if not local and (nproc is not None or checkpoint_uri is not None):
        raise BadInput(
            "launch: --nproc and --checkpoint-uri go with --local (add --local, or drop them)"
        )
    if not local and data_dirs:
        raise BadInput("launch: --data goes with --local (the cluster mounts the claims)")
    _, spec = load_env(env)
    if team is not None:
        overrides = (*overrides, f"team={team}")
    job, locate = load_job_located(job_file, overrides)
    try:
        fit = check_fit(job, spec, priority_settable=backends.get(job.backend).priority_settable)
    except SpecError as exc:
        raise locate(exc) from None
    manifests = backends.render(fit)

    if local:
        _launch_local(
            job, spec, nproc, checkpoint_uri, dry_run=dry_run, output=output, data_dirs=data_dirs
        )
        return

    if dry_run:
        if output == "json":
            click.echo(json.dumps(_document(fit, manifests, sent=False), indent=2))
        else:
            _print_manifests(manifests)
            _print_summary(fit, sent=False)
        return

    from gpuforge.jobs import image_digest
    from gpuforge.jobs.submit import submit  # the kubernetes client: only when sending

    required = image_digest.digests_required(spec)
    image = job.image
    if required or (kubeconfig is None and context is None):  # see gpuforge.jobs.image_digest
        try:
            with cluster_errors(env):
                image = image_digest.pinned(job.image, required=required)
        except image_digest.UnresolvedImage as exc:
            raise locate(SpecError("image", exc.problem, exc.hint)) from None
    if image != job.image:
        click.echo(f"image {job.image}: pinned to {image.rsplit('@', 1)[1]}", err=True)
        job = job.model_copy(update={"image": image})
        fit = check_fit(job, spec, priority_settable=backends.get(job.backend).priority_settable)
        manifests = backends.render(fit)

    def summary() -> None:  # once the name is free: a taken name prints only its error
        if output != "json":
            _print_summary(fit, sent=True)

    with cluster_errors(env):
        result = submit(
            fit,
            manifests,
            replace=replace,
            wait=wait,
            kubeconfig=kubeconfig,
            context=context,
            on_name_free=summary,
        )
    if output == "json":
        doc = _document(fit, manifests, sent=True)
        doc["result"] = result
        click.echo(json.dumps(doc, indent=2, default=str))


def _launch_local(
    job, spec, nproc, checkpoint_uri, *, dry_run: bool, output: str, data_dirs=()
) -> None:
    from gpuforge.jobs import local, local_data

    mappings = local_data.parse_mappings(job, data_dirs)
    say = lambda message: click.echo(message, err=True)  # noqa: E731
    data_env = local_data.resolve_data(job, spec, mappings, say, sync=not dry_run)
    if dry_run:
        uri = local.resolve(job, spec, checkpoint_uri)
        n = local.processes(job, nproc, local.local_gpus())
        cmd = local.command(job, n)
        env = local.environment(job, spec, uri, data_env)
        shown = {k: v for k, v in env.items() if k.startswith("GPUFORGE_") or k in job.env}
        if output == "json":
            doc = {"job": job.name, "local": True, "command": cmd, "env": shown}
            click.echo(json.dumps(doc, indent=2))
        else:
            import shlex

            click.echo(shlex.join(cmd))
            for key, value in shown.items():
                click.echo(f"{key}={value}")
        return
    require_torch("launch --local")
    code = local.run_local(
        job, spec, nproc=nproc, checkpoint_uri=checkpoint_uri, extra_env=data_env
    )
    click.echo(f"job {job.name} exited with code {code}", err=True)
    if code:
        click.get_current_context().exit(code)


def _document(fit: Fit, manifests: list[dict], *, sent: bool) -> dict:
    return {
        "job": fit.name,
        "dry_run": not sent,
        "sent": sent,
        "summary": fit.summary(),
        "manifests": manifests,
    }


def _print_manifests(manifests: list[dict]) -> None:
    click.echo(manifests_yaml(manifests), nl=False)


def manifests_yaml(manifests: list[dict]) -> str:
    """The manifests as YAML documents, each written out in full (no `&anchor`/`*alias`
    where a renderer reused a dict), as the API receives them."""
    import yaml

    class Dumper(yaml.SafeDumper):
        def ignore_aliases(self, data) -> bool:
            return True

    return yaml.dump_all(manifests, Dumper=Dumper, sort_keys=False)


def summary_lines(fit: Fit) -> list[str]:
    """The dry run's summary: placement, transport, resources, queue, checkpoints, data, cost."""
    from gpuforge.jobs import data_mounts

    job = fit.job
    plural = "s" if fit.total_gpus > 1 else ""
    lines = [
        f"pool {fit.pool.name}: {fit.nodes} node{'s' if fit.nodes > 1 else ''} x "
        f"{fit.gpus_per_node} {fit.gpu_model} = {fit.total_gpus} GPU{plural} "
        f"({fit.instance_type})",
    ]
    if fit.transport == "efa":
        rdma = ", GPUDirect RDMA" if fit.efa_rdma else ""
        lines.append(f"transport: EFA ({fit.efa_devices_per_node} devices per node{rdma})")
    elif fit.nodes > 1:
        lines.append(
            f"transport: TCP - pool {fit.pool.name} has no EFA, so NCCL talks between nodes over "
            "sockets (far slower for large models)"
        )
    else:
        lines.append("transport: TCP (pool without EFA; one node, so no traffic between nodes)")
    lines.append(
        f"per node: {fit.cpu_milli_per_node / 1000:g} CPUs, "
        f"{fit.memory_mib_per_node / 1024:.1f} GiB memory "
        f"(a node leaves {fit.allocatable_cpu_milli / 1000:g} CPUs, "
        f"{fit.allocatable_memory_mib / 1024:.1f} GiB for pods)"
    )
    r = fit.reserve
    lines.append(
        f"node reserve: kube-reserved {r.kube_reserved_cpu_milli}m CPU, "
        f"{r.kube_reserved_memory_mib} MiB; eviction {r.eviction_memory_mib} MiB; VM overhead "
        f"{r.nominal_memory_mib - r.capacity_memory_mib} MiB; {len(r.daemonsets)} DaemonSets "
        f"{r.daemonset_cpu_milli}m, {r.daemonset_memory_mib} MiB"
    )
    queue = f"Kueue LocalQueue {fit.queue}" if fit.queue else "none (submitted directly)"
    priority = fit.priority_class or "the runtime's (TrainJob cannot set one)"
    lines.append(f"queue: {queue}; priority: {priority}")
    if job.checkpoint:
        lines.append(
            f"checkpoints: {job.checkpoint.uri} every {job.checkpoint.every_steps} steps; "
            f"up to {job.max_restarts} restarts"
        )
    else:
        lines.append(f"checkpoints: none (a restart starts over); up to {job.max_restarts}")
    lines += data_mounts.summary_lines(fit.mounts, fit.total_gpus, fit.pool.az)
    if fit.hourly_usd is None:
        lines.append(f"cost: unknown (no price for {fit.instance_type})")
    else:
        lines.append(
            f"cost: ${fit.hourly_usd:,.2f}/h at full size "
            f"({fit.nodes} x ${fit.hourly_per_node_usd:,.2f}; {fit.price_source})"
        )
    return lines


def _print_summary(fit: Fit, *, sent: bool) -> None:
    what = "launching" if sent else "dry run, nothing sent"
    head = (
        f"job {fit.name} on {fit.environment} (namespace {fit.namespace}, "
        f"{'' if fit.team.is_default else f'team {fit.team.name}, '}backend {fit.backend}): {what}"
    )
    click.echo(head, err=True)
    for line in summary_lines(fit):
        prefix = "  warning: " if line.startswith("transport: TCP -") else "  "
        click.echo(prefix + line, err=True)
