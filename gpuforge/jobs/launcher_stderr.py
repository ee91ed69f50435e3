"""torchrun's stderr, passed through, minus the traceback of a stop gpuforge asked for.

When `launch --local` stops a job (Ctrl-C, SIGTERM, the timeout), it sends SIGTERM to
torchrun, whose signal handler raises `SignalException`
(torch 2.13: torch/distributed/elastic/multiprocessing/api.py:86, `_terminate_process_handler`)
and whose entry point prints that traceback: about 30 lines after a stop the user asked
for. Those lines say nothing the exit line does not, so they are dropped, but only
while a stop is under way and only when the traceback ends in `SignalException`; any
other traceback, and every rank's line, passes through unchanged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import IO

TRACEBACK = b"Traceback (most recent call last):"
EXPECTED = b"SignalException"


class TracebackFilter:
    """Line by line: which lines of torchrun's stderr to show."""

    def __init__(self, stopping: Callable[[], bool]) -> None:
        self.stopping = stopping
        self.held: list[bytes] | None = None

    def feed(self, line: bytes) -> list[bytes]:
        if self.held is None:
            if line.startswith(TRACEBACK) and self.stopping():
                self.held = [line]
                return []
            return [line]
        self.held.append(line)
        if line[:1] in (b" ", b"\t"):
            return []
        # the first unindented line after the frames is the exception itself
        held, self.held = self.held, None
        return [] if EXPECTED in line else held

    def flush(self) -> list[bytes]:
        held, self.held = self.held or [], None
        return held


def forward(source: IO[bytes], sink: IO, stopping: Callable[[], bool]) -> threading.Thread:
    """Copy `source` to `sink` through a TracebackFilter on a daemon thread (started)."""
    out = getattr(sink, "buffer", None)

    def write(lines: list[bytes]) -> None:
        for line in lines:
            if out is not None:
                out.write(line)
            else:
                sink.write(line.decode(errors="replace"))
        sink.flush()

    def pump() -> None:
        lines = TracebackFilter(stopping)
        with source:
            for line in iter(source.readline, b""):
                write(lines.feed(line))
        write(lines.flush())

    thread = threading.Thread(target=pump, name="torchrun-stderr", daemon=True)
    thread.start()
    return thread
