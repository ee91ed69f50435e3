"""The cyclic garbage collector held off while a plan runs.

A cold plan imports about 1,700 modules (pulumi_aws, pulumi_kubernetes, moto,
botocore) and builds moto's EC2 backend: millions of objects that live as long as
the process. Each allocation burst triggers collections, and every full collection
walks all of them again while finding almost nothing to free. Measured on 61ada7a
(issue 23): 8 full collections cost about 1.17 s of a 3.5 s plan; with the collector
off the plan took 2.26 s and peak memory grew 4 MiB (the few cycles a plan makes are
small: frames of finished coroutines, moto's response objects).

So `paused()` disables automatic collection for the plan and, on the way out, moves
what survived into the permanent generation (`gc.freeze`) so a caller that goes on
(the test suite, the demo) does not pay to walk the plan's module graph at its next
full collection; cycles made after that are collected as usual. Reference counting
still frees everything acyclic at once, as always.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.freeze()
            gc.enable()
