"""Run a Pulumi program against the emulated AWS account and collect what it built.

Each run gets its own thread: a fresh ``contextvars`` context and event loop, so
Pulumi's settings, root stack and config never leak from one run into the next,
and a caller that already runs an event loop (pytest-asyncio, the CLI) is safe.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .errors import EmulationError

DEFAULT_TIMEOUT_S = 300.0


@dataclass
class EmulationResult:
    """What a program built in the emulated account.

    ``resources``: :class:`~emulator.mocks.ResourceRecord` s sorted by URN;
    ``outputs``: the stack exports as plain Python; ``emulated_types`` /
    ``echoed_types``: sorted type tokens created through a handler / only echoed.
    """

    resources: list[Any]
    outputs: dict[str, Any]
    emulated_types: list[str]
    echoed_types: list[str]
    seconds: float
    echoed_invokes: list[str] = field(default_factory=list)

    def of_type(self, type_token: str) -> list[Any]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> Any:
        """The one resource with logical name ``name`` (KeyError if none or several)."""
        found = [r for r in self.resources if r.name == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} resources named {name!r}")
        return found[0]

    def policy_resources(self) -> list[tuple[str, str, dict]]:
        """What the policy rules see of this run: see :func:`policy_view`."""
        return policy_view(self.resources)


def policy_view(records: list[Any]) -> list[tuple[str, str, dict]]:
    """``(urn, type token, props)`` of each cloud and Kubernetes resource, as
    ``policies.evaluate`` and the CrossGuard pack take them (components and providers left out).

    ``props`` are the camelCase inputs plus the resource's ``id``: children name their
    parents by id (a FlowLog's ``vpcId``), so the rules match them through it.
    """
    return [
        (r.urn, r.type, {**r.inputs, "id": r.id})
        for r in records
        if r.kind in ("emulated", "echoed", "kubernetes")
    ]


def config_strings(config: Mapping[str, Any] | None) -> dict[str, str]:
    """Config as the Pulumi engine hands it to a program: strings, objects as JSON."""
    out = {}
    for key, value in (config or {}).items():
        out[key] = value if isinstance(value, str) else json.dumps(value)
    return out


def run_program(
    program: Callable[[], Any],
    *,
    project: str = "gpuforge",
    stack: str,
    config: Mapping[str, Any] | None = None,
    account: Any,
    timeout: float = DEFAULT_TIMEOUT_S,
) -> EmulationResult:
    """Run ``program`` (a zero-argument callable that declares resources) under Pulumi
    mocks backed by ``account`` (a started :class:`~emulator.EmulatedAccount`).

    Waits until every registration and output has settled. Raises
    :class:`~emulator.EmulationError` when the account refused a resource or an
    invoke, the program's own exception when it failed otherwise, and
    ``TimeoutError`` after ``timeout`` seconds.
    """
    if not account.started:
        raise RuntimeError("run_program needs a started EmulatedAccount (use `with account:`)")
    box: dict[str, Any] = {}
    worker = threading.Thread(
        target=_run_in_thread,
        args=(program, project, stack, config_strings(config), account, box),
        name=f"emulator-{project}-{stack}",
        daemon=True,
    )
    started = time.perf_counter()
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TimeoutError(f"the Pulumi program did not settle within {timeout:.0f} s")
    if "error" in box:
        raise box["error"]
    result: EmulationResult = box["result"]
    result.seconds = time.perf_counter() - started
    return result


def _run_in_thread(
    program: Callable[[], Any],
    project: str,
    stack: str,
    config: dict[str, str],
    account: Any,
    box: dict[str, Any],
) -> None:
    try:
        box["result"] = _run(program, project, stack, config, account)
    except BaseException as exc:  # noqa: BLE001 (handed to the caller's thread)
        box["error"] = exc


def _account_side(account: Any, project: str, stack: str) -> Any:
    """What the mocks ask for ids and handlers: a worker's side when `account` is a
    worker process's (`emulator.worker.WorkerAccount`), else the handlers here."""
    opened = getattr(account, "open_side", None)
    if opened is not None:
        return opened(project, stack)
    from .account_side import InProcessSide
    from .handlers import Emulation

    return InProcessSide(Emulation(account, account.state, project, stack))


def _config_default_tags(config: Mapping[str, str]) -> dict[str, str]:
    """The `tags` of `aws:defaultTags` in the (string-valued) stack config."""
    raw = config.get("aws:defaultTags")
    try:
        value = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        return {}
    tags = value.get("tags") if isinstance(value, dict) else None
    return {str(k): str(v) for k, v in (tags or {}).items()}


class _QuietAfterFailure:
    """Loop exception handler: silence "exception was never retrieved" once a run failed.

    When AWS refuses one resource, every Pulumi output that depends on it holds the
    same EmulationError, and work still queued when the loop's executor shuts down
    fails with "Executor shutdown has been called". run_program raises the first
    error once; the rest are consequences and need no log line at exit.
    """

    def __init__(self) -> None:
        self.failed = False

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if self.failed or isinstance(context.get("exception"), EmulationError):
            return
        loop.default_exception_handler(context)


def _run(
    program: Callable[[], Any],
    project: str,
    stack: str,
    config: dict[str, str],
    account: Any,
) -> EmulationResult:
    import pulumi
    from pulumi.runtime import settings
    from pulumi.runtime.config import set_all_config
    from pulumi.runtime.stack import massage, run_pulumi_func

    from . import pulumi_shortcuts
    from .mocks import MotoMocks, RecordingMonitor

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    quiet = _QuietAfterFailure()
    loop.set_exception_handler(quiet)
    # Pulumi runs each registration on the loop's executor. Handlers are CPU-bound under
    # the GIL, so one worker is fastest here (bench: 1.56 s vs 2.0 s warm with six);
    # GPUFORGE_EMULATOR_WORKERS overrides it for experiments.
    workers = int(os.environ.get("GPUFORGE_EMULATOR_WORKERS", "1"))
    loop.set_default_executor(
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="emulator")
    )
    try:
        settings.ROOT.set(None)
        config = {"aws:region": account.region, **config}
        set_all_config(config, secret_keys=[])
        mocks = MotoMocks(
            _account_side(account, project, stack),
            default_provider_tags=_config_default_tags(config),
            project=project,
            stack=stack,
        )
        mocks.monitor = RecordingMonitor(mocks)
        pulumi_shortcuts.install()
        pulumi.runtime.set_mocks(
            mocks, project=project, stack=stack, preview=False, monitor=mocks.monitor
        )
        # Pulumi keeps pending outputs in a context property whose fallback is shared by
        # every thread; a failed run leaves tasks of its (closed) loop there. Own ones.
        settings.SETTINGS.outputs = set()
        settings.SETTINGS.lock = threading.Lock()
        root = settings.get_root_resource()
        try:
            loop.run_until_complete(run_pulumi_func(program))
            mocks.settle()
        except BaseException as exc:
            quiet.failed = True
            if mocks.errors and not isinstance(exc, EmulationError):
                raise mocks.errors[0] from exc
            raise
        if mocks.errors:  # a failure the runtime logged instead of raising
            quiet.failed = True
            raise mocks.errors[0]

        async def resolve() -> dict[str, Any]:
            out = {}
            for key, value in root.outputs.items():
                out[key] = await pulumi.Output.from_input(massage(value, [])).future()
            return out

        outputs = loop.run_until_complete(resolve())
        return EmulationResult(
            resources=sorted(mocks.records, key=lambda r: r.urn),
            outputs=outputs,
            emulated_types=sorted(mocks.emulated_types),
            echoed_types=sorted(mocks.echoed_types),
            seconds=0.0,
            echoed_invokes=sorted(mocks.echoed_invokes),
        )
    finally:
        try:
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()
