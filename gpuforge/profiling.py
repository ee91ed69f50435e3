"""`--profile FILE` / `GPUFORGE_PROFILE=FILE`: a cProfile of every thread, written at exit.

`python -m cProfile` of the `gpuforge` command writes nothing: `cli.main.main` leaves
through `os._exit` (no interpreter teardown, so no atexit hook runs), and the plan runs
the Pulumi program in its own threads, which a profiler started in the main thread does
not see (on CPython 3.11, cProfile hooks one thread through `sys.setprofile`).

So each thread gets its own `cProfile.Profile`: the main thread's starts here, every
thread the `threading` module starts later gets one through `threading.setprofile`
(called once in the new thread before its target runs), and `stop()` merges them with
`pstats.Stats.add` and dumps the merged table, which `pstats.Stats(FILE)` or snakeviz
read. `main()` calls `stop()` before `os._exit`.
"""

from __future__ import annotations

import cProfile
import os
import sys
import threading
from typing import Any

ENV_VAR = "GPUFORGE_PROFILE"

_state: dict[str, Any] = {}
_lock = threading.Lock()


def start(path: str) -> None:
    """Profile this thread and every thread started from now on; `stop()` writes `path`."""
    if _state:
        return
    _state.update(path=os.path.abspath(path), profilers=[])
    threading.setprofile(_thread_bootstrap)
    main = cProfile.Profile()
    _state["profilers"].append(main)
    main.enable()


def active() -> bool:
    return bool(_state)


def _thread_bootstrap(frame: Any, event: str, arg: Any) -> None:
    # The first profile event of a new thread: swap this hook for the thread's own profiler.
    sys.setprofile(None)
    profiler = cProfile.Profile()
    with _lock:
        if not _state:
            return
        _state["profilers"].append(profiler)
    profiler.enable()


def stop() -> str | None:
    """Stop every profiler, merge their stats and write them; the path written, or None."""
    import pstats

    if not _state:
        return None
    threading.setprofile(None)  # type: ignore[arg-type]
    with _lock:
        profilers = list(_state["profilers"])
        path = _state["path"]
        _state.clear()
    merged: pstats.Stats | None = None
    for profiler in profilers:
        profiler.disable()
        profiler.create_stats()
        if not profiler.stats:  # type: ignore[attr-defined]
            continue
        if merged is None:
            merged = pstats.Stats(profiler)
        else:
            merged.add(profiler)
    if merged is None:
        return None
    merged.dump_stats(path)
    return path
