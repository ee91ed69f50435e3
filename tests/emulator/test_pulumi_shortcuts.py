"""The emulator's shortcuts through Pulumi's SDK give what the SDK gave.

gpuforge/emulator/pulumi_shortcuts.py
"""

from __future__ import annotations

import asyncio
import threading

from pulumi.runtime import resource
from pulumi.runtime.sync_await import _sync_await

from gpuforge.emulator import pulumi_shortcuts


def _both_traces():
    # A resource hierarchy's three constructors (concrete, CustomResource, Resource) under
    # "program" frames: the SDK's trace and the shortcut's, taken from the same frame.
    found = {}

    class Base:
        def __init__(self):
            found["sdk"] = original()
            found["fast"] = pulumi_shortcuts.stack_trace()

    class Custom(Base):
        def __init__(self):
            super().__init__()

    class Concrete(Custom):
        def __init__(self):
            super().__init__()

    def program():
        Concrete()

    def outer():
        program()

    original = pulumi_shortcuts._sdk_stack_trace()
    outer()
    return found["sdk"], found["fast"]


def test_the_stack_trace_is_the_sdks_frame_for_frame():
    sdk, fast = _both_traces()
    assert len(sdk.frames) > 3
    # topmost first: the program line that called Concrete(), then its callers
    assert sdk.frames[0].pc.uri.endswith("test_pulumi_shortcuts.py")
    assert sdk.frames[1].pc.line == sdk.frames[0].pc.line + 3  # outer() -> program()
    assert fast == sdk


def test_a_stack_without_three_constructors_gives_what_the_sdk_gives():
    assert pulumi_shortcuts.stack_trace() == pulumi_shortcuts._sdk_stack_trace()()


def test_drive_finishes_a_coroutine_that_never_waits_without_a_loop():
    async def plain():
        await asyncio.sleep(0) if False else None  # noqa: SIM108 (no suspension at all)
        return {"id": "x"}

    loops = []
    original = pulumi_shortcuts._original
    try:
        pulumi_shortcuts._original = lambda aw: loops.append(aw) or _sync_await(aw)
        assert pulumi_shortcuts.drive(plain()) == {"id": "x"}
        assert loops == []  # no event loop was run
    finally:
        pulumi_shortcuts._original = original


def test_drive_hands_a_coroutine_that_waits_to_the_loop_and_gets_its_result():
    def in_thread(box):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        future = loop.create_future()
        loop.call_later(0.01, future.set_result, 41)

        async def waits():
            await asyncio.sleep(0)
            return (await future) + 1

        async def fails():
            await asyncio.sleep(0)
            raise ValueError("refused")

        original = pulumi_shortcuts._original
        pulumi_shortcuts._original = _sync_await
        try:
            box["value"] = pulumi_shortcuts.drive(waits())
            try:
                pulumi_shortcuts.drive(fails())
            except ValueError as exc:
                box["error"] = str(exc)
        finally:
            pulumi_shortcuts._original = original
            loop.close()

    box: dict = {}
    worker = threading.Thread(target=in_thread, args=(box,))
    worker.start()
    worker.join(10)
    assert box == {"value": 42, "error": "refused"}


def test_install_puts_both_in_the_sdk():
    pulumi_shortcuts.install()
    from pulumi.runtime import mocks

    assert mocks._sync_await is pulumi_shortcuts.drive
    assert resource._get_stack_trace is pulumi_shortcuts.stack_trace
