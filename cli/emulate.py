"""`gpuforge emulate k8s`: serve the emulated Kubernetes API for trying gpuforge offline."""

from __future__ import annotations

import time

import click


@click.group()
def emulate() -> None:
    """Serve emulated APIs on 127.0.0.1, to try gpuforge without a cloud."""


@emulate.command("k8s")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False),
    default="emulated.kubeconfig",
    show_default=True,
    help="Where to write the kubeconfig for the emulated API (mode 0600).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="TCP port (0: a free one).")
@click.option(
    "-e",
    "--env",
    "env",
    metavar="ENV",
    help="Emulate this environment's cluster: its Kueue queues and quota, and the "
    "controllers of the job backends it offers (without it: no Kueue, every backend).",
)
@click.option(
    "--controllers/--no-controllers",
    default=True,
    show_default=True,
    help="Play Kueue, the Job controller, scheduler and autoscaler of a cluster whose GPU "
    "pools sit at zero: a launched Job gets Pending pods and a scale-up event.",
)
def k8s(kubeconfig: str, port: int, env: str | None, controllers: bool) -> None:
    """Serve an emulated Kubernetes API until Ctrl-C.

    A stateful in-memory API (kmock) on 127.0.0.1 that the job commands talk
    to with --kubeconfig. Its token is a random placeholder, not a credential.
    With --controllers (the default) it plays what a cluster whose GPU pools
    sit at zero nodes does with a launched job: Kueue admits it by the
    environment's queue and quota (-e), the Trainer, JobSet and Job
    controllers make its Jobs and one Pending pod per rank, the scheduler finds
    no node and the autoscaler triggers a scale-up; deleting a job deletes what
    it owns. No pod ever runs (there are no nodes);
    `gpuforge status` explains the wait.

    \b
    Example:
      gpuforge emulate k8s -e dev --kubeconfig emulated.kubeconfig &
      gpuforge jobs -e dev --kubeconfig emulated.kubeconfig
    """
    from gpuforge.emulator.kubernetes import EmulatedKubernetes

    spec = None
    if env is not None:
        from gpuforge.model.loader import load_env

        _, spec = load_env(env)
    api = EmulatedKubernetes(port=port)
    try:
        api.start()
    except (RuntimeError, OSError) as exc:
        from gpuforge.cli.errors import GpuforgeError

        raise GpuforgeError(f"cannot serve the emulated Kubernetes API: {exc}") from None
    path = api.write_kubeconfig(kubeconfig)
    players = None
    if controllers:
        from gpuforge.emulator.k8s_controllers import Controllers

        players = Controllers(api, spec)
        players.start()
    click.echo(f"emulated Kubernetes API at {api.url}", err=True)
    click.echo(f"kubeconfig: {path} (use --kubeconfig {path}); Ctrl-C stops it", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        if players is not None:
            players.stop()
        api.stop()
