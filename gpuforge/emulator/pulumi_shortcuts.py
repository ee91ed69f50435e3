"""Two shortcuts through Pulumi's Python SDK for programs run under the emulator's mocks.

Both give the SDK the same values it computed before, with less work; `install()` puts
them in place (the emulator's runner calls it before each program run). A real
`pulumi up` runs the program in the Pulumi CLI's language host, a process that never
installs them.

1. Finish a coroutine that never waits without running an event loop for it.

Pulumi's mock monitor answers each registration on an executor thread and turns the
resource's outputs back into protobuf with `_sync_await(rpc.serialize_properties(...))`
(pulumi/runtime/mocks.py, pulumi 3.272.0). `_sync_await` wraps the coroutine in a Task
on the thread's own event loop and runs that loop until the Task is done: a loop
iteration, a selector poll and the Task's bookkeeping for every resource, about a fifth
of the per-resource cost of a plan (issue 23, py-spy of a 32-pool plan). The outputs of
a mocked resource are plain data, so `serialize_properties` finishes at its first step
without ever waiting.

`drive` runs that first step directly; only a coroutine that really waits (a property
holding an unresolved Output) goes on in a Task on the loop, exactly as before, picking
up at the awaitable it yielded.

2. The stack trace of a registration without reading source files.

`register_resource` records where the program declared each resource
(`_get_stack_trace`, pulumi/runtime/resource.py): `traceback.extract_stack()` of the
whole call stack, which stats every frame's file through `linecache.checkcache` and
reads its source line, then a `file://` URI per frame through `pathlib`; about 6% of a
32-pool plan. Only each frame's file name and line number reach the protobuf, so
`stack_trace` walks the frames for those two and keeps each file's URI once.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import pathlib
import sys
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_original: Any = None


def drive(awaitable: Awaitable[T]) -> T:
    """The awaitable's result: at once when it never waits, else on the event loop."""
    if not inspect.iscoroutine(awaitable):
        return _original(awaitable)
    try:
        waiting_on = awaitable.send(None)
    except StopIteration as done:
        return done.value
    return _original(_resume(awaitable, waiting_on))


async def _resume(coro: Coroutine[Any, Any, T], waiting_on: Any) -> T:
    # The coroutine is parked inside `await waiting_on` (an asyncio future, or None for a
    # bare yield such as `asyncio.sleep(0)`): wait for it as a Task would, then resume;
    # the coroutine reads the future's result or exception itself when resumed.
    while True:
        if waiting_on is None:
            await asyncio.sleep(0)
        else:
            # As a Task does with the future a coroutine yields: take the "blocking" mark
            # off before waiting on it (awaiting a marked pending future raises).
            waiting_on._asyncio_future_blocking = False
            with contextlib.suppress(BaseException):  # the coroutine re-raises it on resume
                await waiting_on
        try:
            waiting_on = coro.send(None)
        except StopIteration as done:
            return done.value


_uris: dict[str, str | None] = {}


def stack_trace() -> Any:
    """pulumi.runtime.resource._get_stack_trace (pulumi 3.272.0), the same frames.

    As there: the frames below the third `__init__` from the top of the stack (the
    concrete resource's constructor), topmost first, each as its file's URI and line.
    """
    from pulumi.runtime.proto import source_pb2

    frames: list[tuple[str, int | None, str]] = []
    frame: Any = sys._getframe()
    while frame is not None:
        frames.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        frame = frame.f_back
    frames.reverse()  # oldest first, as traceback.extract_stack() lists them
    inits = 0
    for i in range(len(frames) - 1, -1, -1):
        if frames[i][2] == "__init__":
            inits += 1
            if inits == 3:
                break
    if i < 1:
        return source_pb2.StackTrace()
    return source_pb2.StackTrace(
        frames=[
            source_pb2.StackFrame(pc=_position(source_pb2, filename, lineno))
            for filename, lineno, _ in reversed(frames[:i])
        ]
    )


def _position(source_pb2: Any, filename: str, lineno: int | None) -> Any:
    # pulumi.runtime.resource._get_source_position_for_frame, with each file's URI kept
    if filename == "" or lineno is None:
        return None
    if filename not in _uris:
        try:
            _uris[filename] = pathlib.Path(filename).as_uri()
        except BaseException:  # noqa: BLE001 (as the SDK: no position for this frame)
            _uris[filename] = None
    uri = _uris[filename]
    return None if uri is None else source_pb2.SourcePosition(uri=uri, line=lineno)


_original_stack_trace: Any = None


def install() -> None:
    """Put both shortcuts in place (idempotent)."""
    global _original, _original_stack_trace
    from pulumi.runtime import mocks, resource

    if _original is None:
        _original = mocks._sync_await
        mocks._sync_await = drive
        _original_stack_trace = resource._get_stack_trace
        resource._get_stack_trace = stack_trace


def _sdk_stack_trace() -> Any:
    """The SDK's own `_get_stack_trace`, installed or not (for the equivalence tests)."""
    from pulumi.runtime import resource

    return _original_stack_trace or resource._get_stack_trace
