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
from .handlers import Context, Emulation, invoke_handlers, resource_handlers


class InProcessSide:
    """The account side of the mocks: handlers run here, under the account's `ids_for`."""

    def __init__(self, emulation: Emulation) -> None:
        self.emulation = emulation
        self._handlers = resource_handlers()
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
