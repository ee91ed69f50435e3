"""Errors the CLI shows to people: one line, the right exit code, no traceback."""

from __future__ import annotations

import click

EXIT_OK = 0
EXIT_FINDINGS = 1  # the check ran and found problems
EXIT_USAGE = 2  # bad usage or bad input
EXIT_INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


class GpuforgeError(click.ClickException):
    """A runtime failure the user can act on (exit 1)."""

    exit_code = EXIT_FINDINGS

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


class BadInput(click.ClickException):
    """Bad input that is not a spec field (exit 2)."""

    exit_code = EXIT_USAGE

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)
