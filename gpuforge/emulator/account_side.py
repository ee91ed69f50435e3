"""What the mocks ask of the emulated account, in this process.

The Pulumi mocks (`emulator.mocks.MotoMocks`) need three things from the account
for each registration: an id suffix drawn for a resource nothing emulates, a
resource created by its type's handler, and an invoke answered. Each runs under the
account's `ids_for(key)`, so the ids a resource gets depend only on the seed and what
the resource is. `InProcessSide` does that here, against an `EmulatedAccount` open in
this process; `emulator.worker.WorkerSide` asks a worker process that holds the
account, with the same answers (`gpuforge plan`'s default, issue 23).

Every failure leaves as an `EmulationError` naming the resource.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import AwsError, EmulationError
from .handlers import Context, Emulation, batch_handlers, invoke_handlers, resource_handlers


class InProcessSide:
    """The account side of the mocks: handlers run here, under the account's `ids_for`."""

    def __init__(self, emulation: Emulation) -> None:
        self.emulation = emulation
        self._handlers = resource_handlers()
        self._batches = batch_handlers()
        self._invokes = invoke_handlers()

    def suffix(self, key: str) -> str:
        """Eight hex digits from the account's seeded generator, drawn for `key`."""
        account = self.emulation.account
        with account.ids_for(key):
            return account.random.get_random_hex(8)

    def create(
        self, key: str, typ: str, name: str, inputs: dict, default_tags: Mapping[str, str]
    ) -> tuple[str, dict]:
        """(id, computed outputs) of the resource `typ`'s handler creates."""
        with self.emulation.account.ids_for(key):
            try:
                ctx = Context(self.emulation, default_tags)
                _check_region(ctx, inputs)
                return self._handlers[typ](ctx, name, inputs)
            except Exception as exc:  # noqa: BLE001 (every failure becomes an EmulationError)
                raise emulation_error(typ, name, exc) from exc

    def create_many(self, items: list[tuple[str, str, str, dict, Mapping[str, str]]]) -> None:
        """Create each of `items` (`create`'s arguments) as `create` would, answers
        unneeded: the caller knew them ahead (`handlers.answers_ahead`). Items of one
        type with a batch handler go in one call under the first one's `ids_for`; where
        that is refused, each is created alone. The first refusal is raised after all
        were tried, as one at a time would have gone on past it."""
        types = {typ for _, typ, _, _, _ in items}
        batch = self._batches.get(next(iter(types))) if len(types) == 1 else None
        if batch is not None and len(items) > 1:
            key, _, _, _, default_tags = items[0]
            with self.emulation.account.ids_for(key):
                ctx = Context(self.emulation, default_tags)
                try:
                    for _, _, _, inputs, _ in items:
                        _check_region(ctx, inputs)
                    batch(ctx, [inputs for _, _, _, inputs, _ in items])
                    return
                except Exception:  # noqa: BLE001,S110 (refused whole: each alone names it)
                    pass
        first: EmulationError | None = None
        for item in items:
            try:
                self.create(*item)
            except EmulationError as error:
                first = first or error
        if first is not None:
            raise first

    def settle(self) -> None:
        """Nothing is answered later here (the worker's side waits for what it sent ahead)."""

    def invoke(self, key: str, token: str, args: dict, label: str) -> dict:
        """The answer of the invoke `token`'s handler."""
        try:
            with self.emulation.account.ids_for(key):
                return self._invokes[token](Context(self.emulation), args)
        except Exception as exc:  # noqa: BLE001 (every failure becomes an EmulationError)
            raise emulation_error(token, label, exc) from exc


def _check_region(ctx: Context, inputs: dict) -> None:
    """pulumi-aws v7 takes a per-resource ``region``; the account emulates one region."""
    region = inputs.get("region")
    if region and region != ctx.region:
        raise AwsError(
            "InvalidRegion",
            f"the emulated account serves {ctx.region} only; this resource asks for {region}",
        )


def emulation_error(typ: str, name: str, exc: Exception) -> EmulationError:
    """`exc` as the EmulationError that names the resource (or invoke) it refused."""
    if isinstance(exc, EmulationError):
        return exc
    if isinstance(exc, AwsError):
        return EmulationError(typ, name, exc.code, exc.message)
    from botocore.exceptions import ClientError, ParamValidationError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return EmulationError(typ, name, error.get("Code", "Unknown"), error.get("Message", ""))
    if isinstance(exc, ParamValidationError):
        return EmulationError(typ, name, "ValidationError", str(exc.kwargs.get("report", exc)))
    return EmulationError(typ, name, "InternalError", f"{type(exc).__name__}: {exc}")
