"""Does the reference trainer always exit? N plain-torchrun runs of 2 CPU ranks (gloo).

Each run is `torchrun --standalone --nproc-per-node 2 examples/trainer/train.py
--steps 5` under a timeout; a run that does not end within it counts as a hang (its
process group is killed). Prints runs, exits 0, hangs, other failures and the
median wall time of the runs that ended.

    .venv/bin/python bench/trainer_exit.py [-n 30] [--timeout 60] [--trainer PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINER = ROOT / "examples" / "trainer" / "train.py"


def one(trainer: Path, timeout: float) -> tuple[str, float]:
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    cmd += ["--nproc-per-node", "2", str(trainer), "--steps", "5"]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    try:
        rc = proc.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "hang", time.perf_counter() - started
    return ("ok" if rc == 0 else f"rc={rc}"), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=30)
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--trainer", type=Path, default=TRAINER)
    args = parser.parse_args()
    outcomes, walls = [], []
    for _ in range(args.n):
        outcome, wall = one(args.trainer, args.timeout)
        outcomes.append(outcome)
        if outcome != "hang":
            walls.append(wall)
    result = {
        "runs": args.n,
        "ok": outcomes.count("ok"),
        "hangs": outcomes.count("hang"),
        "failed": sum(1 for o in outcomes if o not in ("ok", "hang")),
        "median_s": round(statistics.median(walls), 2) if walls else None,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
