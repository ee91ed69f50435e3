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
    help="Where to write the kubeconfig for the emulated API (created mode 0600; "
    "a symbolic link is refused).",
)
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="TCP port (0: a free one).")
@click.option(
    "-e",
    "--env",
    "env",
    metavar="ENV",
    help="Emulate this environment's cluster: only the custom resources it installs, "
    "its Kueue queues and quota, the controllers of the job backends it offers, and "
    "admission of its training namespace (without it: no Kueue, every backend).",
)
@click.option(
    "--controllers/--no-controllers",
    default=True,
    show_default=True,
    help="Play Kueue, the Job controller, scheduler and autoscaler of a cluster whose GPU "
    "pools sit at zero: a launched Job gets Pending pods and a scale-up event.",
)
@click.option(
    "--scale-up/--hold-at-zero",
    default=False,
    show_default=True,
    help="With -e: let the emulated autoscaler add the nodes a scale-up asks for, so "
    "pods that fit are bound and Running (no container runs); by default GPU pools stay "
    "at zero and pods wait, as on a cluster whose scale-up has not finished.",
)
def k8s(kubeconfig: str, port: int, env: str | None, controllers: bool, scale_up: bool) -> None:
    """Serve an emulated Kubernetes API until Ctrl-C.

    A stateful in-memory API (kmock) on 127.0.0.1 that the job commands and
    kubectl talk to with --kubeconfig. It serves HTTPS with a CA made at start
    (in the kubeconfig) and wants the kubeconfig's bearer token, a random
    placeholder, not a credential.
    With --controllers (the default) it plays what a cluster whose GPU pools
    sit at zero nodes does with a launched job: Kueue admits it by the
    environment's queue and quota (-e), the Trainer, JobSet and Job
    controllers make its Jobs and one Pending pod per rank, the scheduler finds
    no node and the autoscaler triggers a scale-up; deleting a job deletes what
    it owns. No pod ever runs (there are no nodes);
    `gpuforge status` explains the wait.

    With -e ENV it is that environment's cluster: it serves the custom
    resources of the controllers the environment installs (Kueue when
    training.queueing is kueue; any other custom resource answers 404), and
    admits pods in the training namespace as EKS does, with the LimitRange,
    ResourceQuota and Pod Security labels the runtime declares. Its nodes are
    the environment's pools (GPU pools at zero; allocatable as nodeadm leaves
    it, less the DaemonSets the environment runs): a pod that no pool's node
    can hold gets FailedScheduling and no scale-up, one that fits gets
    TriggeredScaleUp (and, with --scale-up, a node).

    \b
    Example:
      gpuforge emulate k8s -e dev --kubeconfig emulated.kubeconfig &
      gpuforge jobs -e dev --kubeconfig emulated.kubeconfig
      KUBECONFIG=emulated.kubeconfig kubectl get pods -n training
    """
    from gpuforge.emulator.kubernetes import EmulatedKubernetes

    spec = None
    if env is not None:
        from gpuforge.model.loader import load_env

        _, spec = load_env(env)
    if kubeconfig:  # a FIFO or device there would block the write: refuse it first
        from gpuforge.model.input_files import check_output_path

        check_output_path(kubeconfig, kubeconfig)
    api = EmulatedKubernetes(port=port, spec=spec)
    try:
        api.start()
    except (RuntimeError, OSError) as exc:
        from gpuforge.cli.errors import GpuforgeError

        raise GpuforgeError(f"cannot serve the emulated Kubernetes API: {exc}") from None
    try:
        path = api.write_kubeconfig(kubeconfig)
    except (ValueError, OSError) as exc:
        api.stop()
        from gpuforge.cli.errors import BadInput

        raise BadInput(f"emulate k8s: --kubeconfig: {exc} (give another path)") from None
    players = None
    if controllers:
        from gpuforge.emulator.k8s_controllers import Controllers

        extra = None
        if spec is not None:
            from gpuforge.emulator.k8s_scheduler import Scheduler

            # nodes from the plan: each pool's template, allocatable from the node reserve
            extra = [Scheduler(api, spec, hold_at_zero=not scale_up)]
        players = Controllers(api, spec, extra=extra)
        players.start()
    click.echo(f"emulated Kubernetes API at {api.url}", err=True)
    click.echo(f"kubeconfig: {path} (use --kubeconfig {path}); Ctrl-C stops it", err=True)
    click.echo(f"kubectl: KUBECONFIG={path} kubectl get pods -n training", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        click.echo("stopped", err=True)
    finally:
        if players is not None:
            players.stop()
        api.stop()
