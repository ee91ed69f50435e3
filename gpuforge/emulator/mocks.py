"""Pulumi's mock monitor answered by the emulated AWS account.

``MotoMocks.new_resource`` dispatches on the type token to a handler (see
``emulator.handlers``) through the account side (``emulator.account_side``), merges
the computed outputs over the inputs (the Pulumi mocks convention), and records every
resource. A failing handler raises :class:`~emulator.errors.EmulationError`, which
Pulumi's runtime propagates out of the program run; the mocks also keep it, so the
runner can report the first one.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime.mocks import MockMonitor

from .account_side import emulation_error
from .errors import EmulationError
from .handlers import invoke_handlers, resource_handlers
from .k8s_record import KubernetesRecord

EMULATED, ECHOED, COMPONENT, PROVIDER = "emulated", "echoed", "component", "provider"
KUBERNETES = "kubernetes"


@dataclass
class ResourceRecord:
    """One registered resource as the emulated account saw it.

    ``kind`` is ``emulated`` (a handler created it), ``echoed`` (no handler: inputs
    returned with a generated id), ``kubernetes`` (a Kubernetes object or Helm release,
    recorded and checked by ``emulator.k8s_record``, never applied), ``component`` or
    ``provider``.
    """

    urn: str
    type: str
    name: str
    id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    kind: str
    parent: str = ""
    provider: str = ""


@dataclass
class _Pending:
    urn: str = ""
    parent: str = ""


class RecordingMonitor(MockMonitor):
    """Pulumi's MockMonitor, telling the mocks the URN and parent of each registration."""

    def __init__(self, mocks: MotoMocks) -> None:
        super().__init__(mocks)
        self._pending = threading.local()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root stack out of a URN's type chain; the mock monitor
        # does not. Match the engine, so URNs read as they do in `pulumi preview`.
        if parent and parent.split("::")[2].endswith("pulumi:pulumi:Stack"):
            parent = ""
        return super().make_urn(parent, type_, name)

    def _mark(self, request: Any) -> None:
        urn = self.make_urn(request.parent, request.type, request.name)
        self._pending.value = _Pending(urn, request.parent)

    def pending(self) -> _Pending:
        return getattr(self._pending, "value", None) or _Pending()

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
        self._mark(request)
        return super().RegisterResource(request)

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 (gRPC name)
        self._mark(request)
        return super().ReadResource(request)


@dataclass
class MotoMocks(pulumi.runtime.Mocks):
    """Pulumi mocks backed by the emulated AWS account on `side`.

    `side` is the account side (`emulator.account_side.InProcessSide`, or
    `emulator.worker.WorkerSide` for an account held by a worker process): it draws
    ids and runs handlers. Kubernetes declarations are recorded here.
    """

    side: Any
    records: list[ResourceRecord] = field(default_factory=list)
    errors: list[EmulationError] = field(default_factory=list)
    emulated_types: set[str] = field(default_factory=set)
    echoed_types: set[str] = field(default_factory=set)
    echoed_invokes: set[str] = field(default_factory=set)
    monitor: RecordingMonitor | None = None
    default_provider_tags: dict[str, str] = field(default_factory=dict)
    """`aws:defaultTags` from the stack config: the engine's default AWS provider applies
    them to every resource that has no explicit provider, so the emulator does too."""

    kubernetes: KubernetesRecord = field(default_factory=KubernetesRecord)
    """The Kubernetes objects and Helm releases the program declared."""

    project: str = "gpuforge"
    stack: str = ""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._provider_tags: dict[str, dict[str, str]] = {}
        self._handled = frozenset(resource_handlers())
        self._invokes = frozenset(invoke_handlers())

    # -- resources --------------------------------------------------------------------

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        pending = self.monitor.pending() if self.monitor else _Pending()
        inputs = dict(args.inputs or {})
        typ, name = args.typ, args.name
        # The ids a resource gets depend on what it is (stack, type, name), never on
        # when Pulumi registered it; the stack keeps two stacks in one account apart.
        key = f"{self.project}::{self.stack}::{typ}::{name}"
        if typ.startswith("pulumi:providers:"):
            res_id, outputs, kind = self._provider(key, typ, name, inputs), inputs, PROVIDER
        elif args.custom is False:
            res_id, outputs, kind = "", inputs, COMPONENT
        elif typ.startswith("kubernetes:"):
            try:
                res_id, computed = self.kubernetes.record(typ, inputs)
            except Exception as exc:  # noqa: BLE001 (every failure becomes an EmulationError)
                raise self._fail(emulation_error(typ, name, exc)) from exc
            outputs, kind = {**inputs, **computed}, KUBERNETES
        elif typ in self._handled:
            try:
                res_id, computed = self.side.create(
                    key, typ, name, inputs, self._default_tags(args.provider)
                )
            except EmulationError as error:
                raise self._fail(error) from error
            outputs, kind = {**inputs, **computed}, EMULATED
        else:
            res_id, outputs, kind = f"{name}-{self._suffix(key)}", inputs, ECHOED
        record = ResourceRecord(
            urn=pending.urn,
            type=typ,
            name=name,
            id=res_id,
            inputs=inputs,
            outputs=outputs,
            kind=kind,
            parent=pending.parent,
            provider=args.provider or "",
        )
        with self._lock:
            self.records.append(record)
            if kind == EMULATED:
                self.emulated_types.add(typ)
            elif kind == ECHOED:
                self.echoed_types.add(typ)
        return res_id, outputs

    def _provider(self, key: str, typ: str, name: str, inputs: dict) -> str:
        provider_id = f"{name}-{self._suffix(key)}"
        if typ == "pulumi:providers:aws":
            raw = inputs.get("defaultTags")
            if isinstance(raw, str):  # provider inputs travel as JSON text
                try:
                    raw = json.loads(raw)
                except ValueError:
                    raw = None
            tags = (raw or {}).get("tags") if isinstance(raw, dict) else None
            with self._lock:
                self._provider_tags[provider_id] = dict(tags or {})
        return provider_id

    def _default_tags(self, provider_ref: str | None) -> dict[str, str]:
        if not provider_ref:
            return self.default_provider_tags
        return self._provider_tags.get(provider_ref.rsplit("::", 1)[-1], {})

    def _suffix(self, key: str) -> str:
        # a Tag the worker's side created without answering first may be refused here
        try:
            return self.side.suffix(key)
        except EmulationError as error:
            raise self._fail(error) from error

    def settle(self) -> None:
        """After the program: what the account side created without answering first
        (the worker's Tags) is done, and the first one refused is raised and kept."""
        try:
            self.side.settle()
        except EmulationError as error:
            raise self._fail(error) from None

    def _fail(self, error: EmulationError) -> EmulationError:
        with self._lock:
            self.errors.append(error)
        return error

    # -- invokes ----------------------------------------------------------------------

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        call_args = dict(args.args or {})
        if args.token not in self._invokes:
            with self._lock:
                self.echoed_invokes.add(args.token)
            return call_args
        key = f"{args.token}::{json.dumps(call_args, sort_keys=True, default=str)}"
        label = str(call_args.get("name") or args.token.rsplit(":", 1)[-1])
        try:
            return self.side.invoke(key, args.token, call_args, label)
        except EmulationError as error:
            raise self._fail(error) from error
