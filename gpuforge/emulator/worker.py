"""The emulated AWS account in a worker process: `gpuforge plan` on two cores.

A cold plan is two halves that need nothing from each other until the program
registers its first AWS resource: the Pulumi side (importing pulumi and the provider
classes, running the program through the SDK, recording the Kubernetes declarations,
the policy rules) and the account side (importing moto and botocore, starting the
account, then a handler and its boto3 calls per resource). In one process they take
turns under one GIL. `WorkerAccount` starts the account side in a worker process
before the Pulumi side imports anything, so on a machine with two cores the imports
overlap, and so do the SDK's work on one resource and the handlers' on another.

The worker runs the same code as an in-process plan: an `EmulatedAccount` with the
same seed, `account_side.InProcessSide` for each request, the same `ids_for` keys, so
the plan is the same, byte for byte (tests/emulator/test_worker.py). The parent holds
no moto state and makes no AWS call.

Protocol: length-prefixed pickles on the worker's stdin (requests) and a duplicate of
its stdout (answers; its fd 1 is pointed at stderr so nothing printed can corrupt them).
Each request gets one answer, in order:

- `("start", options)`: no answer; the worker starts the account, or keeps its failure
  to give as the answer to every later request;
- `("principals", arns)`, `("open", project, stack)`, `("suffix", key)`,
  `("create", key, type, name, inputs, default_tags)`, `("invoke", key, token, args,
  label)`: `("ok", value)`, `("refused", type, name, code, message)` for what AWS
  refuses (raised as `EmulationError`), or `("crashed", traceback)`;
- `("create_many", [create's arguments, ...])`: creates whose answers the parent knew
  ahead (`handlers.answers_ahead`: a pool's Auto Scaling group tags), so it sent them
  without waiting, several at once; answered `("ok", None)` or the first refusal, which
  the parent raises at its next request or at `settle`, the end of the program run.
  A batch handler creates them in one boto3 call (`account_side.create_many`);
- `("stop",)`: answered `("ok", None)`, then the worker exits without resetting moto;
  it also exits when its stdin closes (the parent ended), and it ignores Ctrl-C, which
  the parent handles.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Mapping
from typing import Any, BinaryIO

from .errors import EmulationError

_LENGTH = struct.Struct("!I")
STOP_TIMEOUT_S = 10.0
QUEUE_LIMIT = 64


def _send(stream: BinaryIO, message: Any) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_LENGTH.pack(len(payload)) + payload)
    stream.flush()


def _receive(stream: BinaryIO) -> Any:
    head = stream.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        return None  # the other end closed
    (size,) = _LENGTH.unpack(head)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return pickle.loads(payload)  # noqa: S301 (our own worker, over our own pipe)


class WorkerAccount:
    """An emulated AWS account held by a worker process, used like an `EmulatedAccount`
    by `run_program` (through `open_side`) and by `planning.seed_preexisting` (through
    `create_principals`). A context manager: `start()` on entry, `stop()` on exit."""

    def __init__(self, region: str, account_id: str | None = None) -> None:
        self.region = region
        self.account_id = account_id
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._unanswered = 0  # requests sent without waiting (`create_principals`)
        self._queued: list[tuple] = []  # creates answered ahead, not sent yet (`queue`)

    def __enter__(self) -> WorkerAccount:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def started(self) -> bool:
        return self._process is not None

    def start(self) -> None:
        """Start the worker and tell it to open the account; returns at once."""
        if self._process is not None:
            raise RuntimeError("WorkerAccount already started")
        self._process = _take_prestarted() or _spawn()
        _send(
            self._process.stdin, ("start", {"region": self.region, "account_id": self.account_id})
        )

    def request(self, *message: Any) -> Any:
        """Send one request and return the value of its answer (see the module docstring)."""
        if self._process is None:
            raise RuntimeError("WorkerAccount is not started (use it as a context manager)")
        with self._lock:
            try:
                self._flush_queued()
                _send(self._process.stdin, message)
                earlier = self._take_unanswered()
                answer = self._answer()
            except (BrokenPipeError, OSError):
                answer = None
                earlier = []
        for kept in earlier:  # a request sent without waiting failed: that comes first
            self._value(kept)
        return self._value(answer)

    def queue(self, *create: Any) -> None:
        """Keep a create whose answer the caller knew ahead, to send with the next
        request (or `settle`) as one `create_many`; QUEUE_LIMIT kept sends them at once.
        Nothing else is sent in between, so the worker creates in registration order."""
        if self._process is None:
            raise RuntimeError("WorkerAccount is not started (use it as a context manager)")
        with self._lock:
            self._queued.append(create)
            if len(self._queued) >= QUEUE_LIMIT:
                with contextlib.suppress(BrokenPipeError, OSError):  # the next request says
                    self._flush_queued()

    def _flush_queued(self) -> None:
        """Send what `queue` kept (the lock held)."""
        if self._queued:
            assert self._process is not None
            queued, self._queued = self._queued, []
            _send(self._process.stdin, ("create_many", queued))
            self._unanswered += 1

    def settle(self) -> None:
        """Wait for every request sent without waiting; raise the first one refused
        (the end of a program run: a refused Tag is reported like any resource)."""
        if self._process is None:
            return
        with self._lock:
            try:
                self._flush_queued()
                answers = self._take_unanswered()
            except (BrokenPipeError, OSError):
                answers = [None]
        for answer in answers:
            self._value(answer)

    def _take_unanswered(self) -> list[Any]:
        """The answers of what was sent without waiting, in order (the lock held)."""
        answers = [self._answer() for _ in range(self._unanswered)]
        self._unanswered = 0
        return answers

    def _answer(self) -> Any:
        assert self._process is not None
        return _receive(self._process.stdout)

    def _value(self, answer: Any) -> Any:
        if answer is None:
            code = self._process.poll() if self._process else None
            raise RuntimeError(
                "the emulated account's worker process ended unexpectedly "
                f"(exit code {code}); its error is above"
            )
        kind, *rest = answer
        if kind == "ok":
            return rest[0]
        if kind == "refused":
            raise EmulationError(*rest)
        raise RuntimeError(f"the emulated account's worker failed:\n{rest[0]}")

    def create_principals(self, arns: list[str]) -> None:
        """Create the IAM roles and users `arns` name (`planning.seed_preexisting`).

        Sent without waiting: the worker may still be starting the account, and the
        program has providers to import meanwhile; a failure is raised by the next request.
        """
        self._send_only("principals", arns)

    def _send_only(self, *message: Any) -> None:
        if self._process is None:
            raise RuntimeError("WorkerAccount is not started (use it as a context manager)")
        with self._lock:
            _send(self._process.stdin, message)
            self._unanswered += 1

    def open_side(self, project: str, stack: str) -> WorkerSide:
        """The account side the mocks of one program run ask (`run._account_side`);
        sent without waiting, like `create_principals`."""
        self._send_only("open", project, stack)
        return WorkerSide(self)

    def stop(self) -> None:
        """Stop the account and wait for the worker to exit (killed after 10 s)."""
        process, self._process = self._process, None
        if process is None:
            return
        # A worker stuck in a request (or a caller's thread stuck waiting on one) is
        # killed after STOP_TIMEOUT_S rather than waited for.
        if self._lock.acquire(timeout=STOP_TIMEOUT_S):
            try:
                _send(process.stdin, ("stop",))
                for _ in range(self._unanswered + 1):  # what was sent without waiting, then stop
                    if not select.select([process.stdout], [], [], STOP_TIMEOUT_S)[0]:
                        process.kill()
                        break
                    _receive(process.stdout)
                self._unanswered = 0
            except (BrokenPipeError, OSError):
                pass
            finally:
                self._lock.release()
        else:
            process.kill()
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        global last_peak_mib
        last_peak_mib = _reap(process)


last_peak_mib: float | None = None
"""Peak resident memory of the last worker this process stopped (MiB; for `make bench`)."""


def _reap(process: subprocess.Popen) -> float | None:
    """Wait for the worker (killed after STOP_TIMEOUT_S); its peak resident MiB (None
    when it was already reaped)."""
    if process.returncode is not None:
        return None
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_maxrss / 1024
        time.sleep(0.01)
    process.kill()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024


class WorkerSide:
    """`account_side.InProcessSide`'s three questions, answered by the worker."""

    def __init__(self, account: WorkerAccount) -> None:
        from .handlers import answers_ahead

        self._account = account
        self._ahead = answers_ahead()

    def suffix(self, key: str) -> str:
        return self._account.request("suffix", key)

    def create(
        self, key: str, typ: str, name: str, inputs: dict, default_tags: Mapping[str, str]
    ) -> tuple[str, dict]:
        answer_ahead = self._ahead.get(typ)
        answer = answer_ahead(name, inputs) if answer_ahead else None
        if answer is not None:  # sent later, refused at the next request or `settle`
            self._account.queue(key, typ, name, inputs, dict(default_tags))
            return answer
        return self._account.request("create", key, typ, name, inputs, dict(default_tags))

    def invoke(self, key: str, token: str, args: dict, label: str) -> dict:
        return self._account.request("invoke", key, token, args, label)

    def settle(self) -> None:
        self._account.settle()


_prestarted: list[subprocess.Popen] = []


def _spawn() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "gpuforge.emulator.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,  # a terminal's Ctrl-C goes to the parent, which ends it
    )


def prestart() -> None:
    """Start a worker now, for the next `WorkerAccount.start()` in this process to take.

    `gpuforge plan` calls it before it reads the spec: the worker imports moto and
    botocore meanwhile. A worker nobody takes exits when this process does (its stdin
    closes).
    """
    if not _prestarted:
        _prestarted.append(_spawn())


def discard_prestarted() -> None:
    """Stop a prestarted worker nobody took (its stdin closes: it exits)."""
    while _prestarted:
        process = _prestarted.pop()
        for stream in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        try:
            process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _take_prestarted() -> subprocess.Popen | None:
    while _prestarted:
        process = _prestarted.pop()
        if process.poll() is None:
            return process
    return None


# -- the worker process ---------------------------------------------------------------


def _preload() -> None:
    # What starting any account imports, done before the parent says which account:
    # the shortcuts first, as moto's EC2 models bind a function they replace.
    from . import _speedups

    _speedups.install()
    import moto
    import moto.backends
    import moto.ec2.models  # noqa: F401

    from . import account, account_side, principals  # noqa: F401
    from .handlers import invoke_handlers, resource_handlers

    moto.backends.get_backend("ec2")
    resource_handlers()  # imports every handler module
    invoke_handlers()
    account.preload_service_models(HANDLER_SERVICES)


HANDLER_SERVICES = ("ec2", "iam", "sts", "kms", "s3", "logs", "fsx", "eks", "autoscaling", "ssm")
"""The services gpuforge's handlers call (`ctx.client(...)` in emulator/handlers)."""


def serve(requests: BinaryIO, answers: BinaryIO) -> None:
    """Answer requests until `("stop",)` or the end of `requests`; the account is left
    started, for the process to exit with (`main`)."""
    import gc

    gc.disable()  # a short-lived process: the collector only walks moto's module graph
    with contextlib.suppress(BaseException):  # starting the account reports it
        _preload()
    start = _receive(requests)
    if start is None:
        return
    account: Any = None
    failure = ""
    try:
        from .account import EmulatedAccount

        options = start[1]
        account = EmulatedAccount(region=options["region"], account_id=options["account_id"])
        account.start()
    except BaseException:  # noqa: BLE001 (kept, and given as the answer to every request)
        failure = traceback.format_exc()
    side: Any = None
    # No account.stop() on the way out: the process exits right after (`main`), and
    # moto's reset rebuilds every backend it touched (0.2-0.3 s) for nobody to use.
    while True:
        message = _receive(requests)
        if message is None or message[0] == "stop":
            if message is not None:
                _send(answers, ("ok", None))
            return
        if failure:
            _send(answers, ("crashed", failure))
            continue
        try:
            if message[0] == "open":
                from .account_side import InProcessSide
                from .handlers import Emulation

                side = InProcessSide(Emulation(account, account.state, message[1], message[2]))
                answer: Any = ("ok", None)
            elif message[0] == "principals":
                from .principals import create_principals

                create_principals(account, message[1])
                answer = ("ok", None)
            elif message[0] == "suffix":
                answer = ("ok", side.suffix(message[1]))
            elif message[0] == "create":
                answer = ("ok", side.create(*message[1:]))
            elif message[0] == "create_many":
                side.create_many(message[1])
                answer = ("ok", None)
            elif message[0] == "invoke":
                answer = ("ok", side.invoke(*message[1:]))
            else:
                answer = ("crashed", f"unknown request {message[0]!r}")
        except EmulationError as error:
            answer = ("refused", error.resource_type, error.name, error.aws_code, error.message)
        except BaseException:  # noqa: BLE001 (the parent raises it)
            answer = ("crashed", traceback.format_exc())
        _send(answers, answer)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything printed goes to stderr, never into the answers
    requests = sys.stdin.buffer
    with contextlib.suppress(BrokenPipeError, ConnectionError):  # the parent went first
        serve(requests, answers)
        answers.flush()
    os._exit(0)  # no interpreter teardown of moto's module graph


if __name__ == "__main__":
    main()
