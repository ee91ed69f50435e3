"""The controllers of the emulated cluster, run by one loop.

kmock stores objects and runs nothing. `Controllers` runs, one pass after another,
the controllers a cluster with this environment's runtime runs, each a module of
`gpuforge.emulator.controllers` named for its job and each with a `step()`:

1. `trainer_controller` (where the runtime installs Kubeflow Trainer): TrainJob ->
   JobSet;
2. `kueue_admission` (where the environment queues through Kueue): a Workload per
   queued Job, JobSet or TrainJob, admitted by the runtime's queues and quota, the job
   then unsuspended;
3. `jobset_controller` (where the runtime installs JobSet): child Jobs, the headless
   Service, failure policy and restarts;
4. `job_controller`: pods for Indexed Jobs, failures, completion, TTL after finishing;
5. `garbage_collector`: dependents go with their owners (foreground, background,
   orphan);
6. the `extra` steppers given (the scheduler, once plugged in). Without one, the
   `scale_from_zero` stand-in plays a cluster whose GPU pools sit at zero nodes.

`gpuforge emulate k8s` runs it on a thread; tests call `step()` or `settle()`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from gpuforge.emulator.controllers.garbage_collector import GarbageCollector
from gpuforge.emulator.controllers.job_controller import JobController
from gpuforge.emulator.controllers.jobset_controller import JobSetController
from gpuforge.emulator.controllers.kueue_admission import KueueAdmission
from gpuforge.emulator.controllers.scale_from_zero import ScaleFromZero
from gpuforge.emulator.controllers.store import Clock, Store, utc_now
from gpuforge.emulator.controllers.trainer_controller import TrainerController
from gpuforge.model import helm_charts, training_runtimes
from gpuforge.model.spec import EnvironmentSpec


class Stepper(Protocol):
    def step(self) -> int: ...


def installed_backends(spec: EnvironmentSpec | None) -> set[str]:
    """The job backends whose controllers this environment's runtime installs (all of
    them for an emulated cluster started without an environment)."""
    if spec is None:
        return {"indexed-job", "jobset", "trainjob"}
    return set(helm_charts.backends_installed(spec))


class Controllers:
    """The emulated cluster's controllers, stepped in order (see the module docstring).

    :param api: the `EmulatedKubernetes` they watch.
    :param spec: the environment whose runtime the cluster runs (its queues, quota and
        installed backends); None: every backend's controller and no Kueue.
    :param extra: more steppers, run after the controllers (e.g. the scheduler); when
        given, they replace the scale-from-zero stand-in.
    """

    def __init__(
        self,
        api: Any,
        spec: EnvironmentSpec | None = None,
        *,
        extra: Sequence[Stepper] | None = None,
        clock: Clock = utc_now,
        interval_s: float = 0.3,
    ) -> None:
        self.api = api
        self.spec = spec
        self.store = Store(api, clock)
        self.interval_s = interval_s
        backends = installed_backends(spec)
        steppers: list[Stepper] = []
        if "trainjob" in backends:
            for runtime in [training_runtimes.torch_distributed()]:
                api.put(runtime)
            steppers.append(TrainerController(self.store))
        if spec is not None and spec.training.queueing == "kueue":
            steppers.append(KueueAdmission(self.store, spec))
        if "jobset" in backends or "trainjob" in backends:
            steppers.append(JobSetController(self.store))
        steppers += [JobController(self.store), GarbageCollector(self.store)]
        steppers += list(extra) if extra is not None else [ScaleFromZero(self.store)]
        self.steppers = steppers
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def step(self) -> int:
        """One pass of every controller; how many changes they made."""
        with self._lock:
            return sum(s.step() for s in self.steppers)

    def settle(self, rounds: int = 20) -> int:
        """Step until a pass changes nothing (at most `rounds` passes); total changes."""
        total = 0
        for _ in range(rounds):
            changed = self.step()
            total += changed
            if not changed:
                break
        return total

    def add(self, steppers: Iterable[Stepper]) -> None:
        with self._lock:
            self.steppers.extend(steppers)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="k8s-controllers", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.step()
            except Exception as exc:  # a controller's error must not end the loop
                import sys

                print(f"emulated controllers: {exc!r}", file=sys.stderr)
