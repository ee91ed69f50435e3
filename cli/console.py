"""The rich Console every table goes through: wrapped to a terminal, never when piped."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

PIPED_WIDTH = 1_000_000
"""Wide enough that no row wraps: piped output is for grep, cut and copying names whole
(rich's default for a pipe is 80 columns, which cut job names mid-word)."""


def console(*, stderr: bool = False) -> Console:
    """A Console on stdout (or stderr) that wraps at the terminal's width, or not at all."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() else PIPED_WIDTH
    return Console(highlight=False, stderr=stderr, width=width)
