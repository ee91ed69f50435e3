"""gpuforge: GPU training infrastructure on AWS, from a short spec per environment.

Command modules are imported when their command runs, so `gpuforge --help`
and `gpuforge render` never pay for pulumi_aws, boto3 or moto.
"""

from __future__ import annotations

import importlib
import sys

import click

from gpuforge.cli.errors import EXIT_INTERRUPTED, EXIT_USAGE

# command name -> (module in gpuforge.cli, attribute, one-line help shown by `gpuforge --help`)
COMMANDS = {
    "render": ("render", "render", "Write Pulumi.<env>.yaml from stacks/<env>.yaml."),
    "validate": ("validate", "validate", "Check an environment spec and summarise it."),
    "plan": ("plan", "plan", "Preview an environment offline, with policy findings and cost."),
    "launch": ("launch", "launch", "Check a training job against an environment and launch it."),
    "validate-pool": (
        "validate_pool",
        "validate_pool",
        "Burn in a GPU pool: matmul TFLOP/s and all-reduce bandwidth per GPU.",
    ),
    "jobs": ("jobs", "jobs", "List the environment's training jobs."),
    "status": ("jobs", "status", "Show one job: its ranks, recent events, and why it waits."),
    "logs": ("jobs", "logs", "Print a job's logs, each line prefixed with its rank."),
    "cancel": ("jobs", "cancel", "Stop a job and delete its objects (pods, service, job)."),
    "emulate": (
        "emulate",
        "emulate",
        "Serve emulated APIs on 127.0.0.1, to try gpuforge without a cloud.",
    ),
    "image": (
        "image",
        "image",
        "Render the training image's Dockerfile (CUDA PyTorch, EFA).",
    ),
    "init": ("init", "init", "Start a platform repository that uses gpuforge as a dependency."),
}


class LazyGroup(click.Group):
    """A group whose commands are imported only when invoked (or asked for help)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr, _ = COMMANDS[name]
        return getattr(importlib.import_module(f"gpuforge.cli.{module}"), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, short) for name, (_, _, short) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:  # bad options of gpuforge itself: one line
            raise _one_line(exc) from None

    def invoke(self, ctx: click.Context):
        from gpuforge.model.errors import SpecError

        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # every command's usage errors: one line
            raise _one_line(exc) from None
        except SpecError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_USAGE)
        except KeyboardInterrupt:
            # Click would print "Aborted!" and exit 1, which means "found problems".
            if ctx.obj and ctx.obj.get("debug"):
                import traceback

                traceback.print_exc()
            click.echo("error: interrupted", err=True)
            sys.exit(EXIT_INTERRUPTED)


def _one_line(exc: click.UsageError) -> click.UsageError:
    from gpuforge.cli.usage_errors import OneLineUsageError, one_line

    return exc if isinstance(exc, OneLineUsageError) else one_line(exc)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
# package_name (not version=) so the metadata lookup happens only for --version.
@click.version_option(package_name="gpuforge", prog_name="gpuforge", message="%(prog)s %(version)s")
@click.option("--debug", is_flag=True, help="Show Python tracebacks for errors.")
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(dir_okay=False, writable=True),
    help="Write a cProfile of every thread to FILE (pstats format); or GPUFORGE_PROFILE=FILE.",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool, profile_file: str | None) -> None:
    """Stand up GPU training infrastructure on AWS and check it offline.

    Each environment is one short spec, stacks/<env>.yaml. `render` turns it
    into Pulumi stack config, `validate` checks it and shows what it would
    run and cost, `plan` builds it in an emulated AWS account and checks it
    against the security and cost policy. `launch` checks a training job
    (JOB.yaml) against an environment and sends it, or prints it with --dry-run;
    `validate-pool` burns in a GPU pool (matmul and all-reduce per GPU against
    the datasheet peaks); `init` starts a platform repository of your own that uses gpuforge as a
    dependency.

    \b
    Exit codes: 0 ok, 1 the check ran and found problems, 2 bad usage or input,
    130 interrupted (Ctrl-C).
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if profile_file:
        from gpuforge import profiling

        profiling.start(profile_file)


def main() -> None:
    """Console-script entry point: run the CLI, then leave without interpreter teardown.

    After a plan the process holds moto's and Pulumi's large module graphs;
    tearing them down takes about a second and does nothing useful. Streams
    are flushed first, so no output is lost (the same trade mypy's fast exit makes).
    """
    import logging
    import os

    if os.environ.get("GPUFORGE_PROFILE"):
        from gpuforge import profiling

        profiling.start(os.environ["GPUFORGE_PROFILE"])
    try:
        cli.main(prog_name="gpuforge")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if isinstance(exc.code, str):
            print(exc.code, file=sys.stderr)
    if "gpuforge.profiling" in sys.modules:
        written = sys.modules["gpuforge.profiling"].stop()
        if written:
            print(f"profile: {written}", file=sys.stderr)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
