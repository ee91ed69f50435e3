"""`gpuforge launch --dry-run` of the 2x8 example against `torchx run --dryrun`, side by side.

Both render a 2-node x 8-GPU distributed PyTorch job for Kubernetes and send
nothing: gpuforge the prod H100 example (`examples/jobs/llama-2x8-h100.yaml`,
a Service and an Indexed Job, after the fit check), torchx its `dist.ddp`
component on the `kubernetes` scheduler (a Volcano Job). Each is run as a fresh
process, alternating, after one warm-up each; min / median / max wall time and
the ratio of medians (target: gpuforge under 0.4x torchx).

torchx goes in a throwaway venv, never the project's (it is not a dependency):

    python3 -m venv /tmp/torchx-venv
    /tmp/torchx-venv/bin/pip install torchx 'kubernetes>=33,<37'
    .venv/bin/python bench/launch_dryrun.py [-n 15] [--torchx /tmp/torchx-venv/bin/torchx]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GPUFORGE = [
    str(ROOT / ".venv" / "bin" / "gpuforge"),
    *("launch", "examples/jobs/llama-2x8-h100.yaml", "-e", "prod", "--dry-run"),
]
TORCHX_ARGS = [
    *("run", "--workspace", "", "--dryrun", "-s", "kubernetes"),
    *("-cfg", "queue=default,namespace=training"),
    *("dist.ddp", "-j", "2x8", "--gpu", "8", "--script", "train.py"),
]


def once(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr.decode()[-2000:]}")
    return elapsed


def row(name: str, times: list[float]) -> str:
    ms = [t * 1000 for t in times]
    return f"| {name} | {min(ms):.0f} | {statistics.median(ms):.0f} | {max(ms):.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="runs per command")
    parser.add_argument("--torchx", default="/tmp/torchx-venv/bin/torchx", help="torchx binary")
    args = parser.parse_args()
    have_torchx = os.access(args.torchx, os.X_OK)
    # torchx looks at its working directory for a workspace: give it an empty one
    scratch = Path(tempfile.mkdtemp(prefix="torchx-bench-"))
    torchx = [args.torchx, *TORCHX_ARGS]
    once(GPUFORGE, ROOT)
    if have_torchx:
        once(torchx, scratch)
    ours, theirs = [], []
    for _ in range(args.n):
        ours.append(once(GPUFORGE, ROOT))
        if have_torchx:
            theirs.append(once(torchx, scratch))
    print(f"| command (2 nodes x 8 GPUs, dry run) | min ms | median ms | max ms |  (n={args.n})")
    print("| --- | ---: | ---: | ---: |")
    print(row("gpuforge launch --dry-run", ours))
    if not have_torchx:
        print(f"torchx not found at {args.torchx}: see this script's docstring")
        return
    print(row("torchx run --dryrun -s kubernetes dist.ddp", theirs))
    ratio = statistics.median(ours) / statistics.median(theirs)
    print(f"\ngpuforge / torchx (medians): {ratio:.2f}x (target < 0.4x)")


if __name__ == "__main__":
    main()
