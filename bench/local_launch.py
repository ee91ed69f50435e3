"""Launcher overhead: `gpuforge launch --local --nproc 2` against plain torchrun, one run.

Both start the reference trainer (examples/trainer/train.py, 20 steps, default model,
no checkpoints) as 2 CPU processes with gloo; runs alternate so machine load hits
both alike. The figure is the ratio of median wall times (target: under 1.3x).

    .venv/bin/python bench/local_launch.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRAINER = ROOT / "examples" / "trainer" / "train.py"
ARGS = [str(TRAINER), "--steps", "20"]


def _time(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, capture_output=True, timeout=300)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    repeats = parser.parse_args().repeats
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp)
        (project / "stacks").mkdir()
        (project / "stacks" / "dev.yaml").write_text((ROOT / "stacks" / "dev.yaml").read_text())
        job = project / "bench.yaml"
        job.write_text(f"name: bench\nimage: trainer:1\npool: l4\ncommand: {ARGS}\n")
        gpuforge = [sys.executable, "-m", "gpuforge.cli", "launch", str(job), "-e", "dev"]
        gpuforge += ["--local", "--nproc", "2"]
        torchrun = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
        torchrun += ["--nproc-per-node", "2", *ARGS]
        _time(torchrun, project, env)  # warm the page cache for torch
        timings: dict[str, list[float]] = {"torchrun": [], "gpuforge": []}
        for _ in range(repeats):
            timings["torchrun"].append(_time(torchrun, project, env))
            timings["gpuforge"].append(_time(gpuforge, project, env))
    plain, ours = (statistics.median(timings[k]) for k in ("torchrun", "gpuforge"))
    print(f"{'command':<44} {'median s':>9} {'min s':>7} {'max s':>7}")
    rows = [
        ("torchrun --standalone --nproc-per-node 2", "torchrun"),
        ("gpuforge launch --local --nproc 2", "gpuforge"),
    ]
    for label, key in rows:
        t = timings[key]
        print(f"{label:<44} {statistics.median(t):>9.2f} {min(t):>7.2f} {max(t):>7.2f}")
    runs = f"{repeats} runs each, alternating; {os.cpu_count()} CPUs"
    print(f"ratio (median): {ours / plain:.2f}x   ({runs})")


if __name__ == "__main__":
    main()
