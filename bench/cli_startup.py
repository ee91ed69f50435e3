"""How long the light CLI paths take, end to end, as a user runs them.

Method: run each command N times as a fresh process (the console script in
.venv/bin), after one warm-up run so the OS file cache is warm, and report
min / median / max wall time. Also report Python's own start-up
(`python -c pass`) as the floor.

    .venv/bin/python bench/cli_startup.py [-n 15]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GPUFORGE = str(ROOT / ".venv" / "bin" / "gpuforge")

CASES = {
    "python -c pass (floor)": [sys.executable, "-c", "pass"],
    "gpuforge --help": [GPUFORGE, "--help"],
    "gpuforge --version": [GPUFORGE, "--version"],
    "gpuforge render --all --check": [GPUFORGE, "render", "--all", "--check"],
    "gpuforge validate -e prod": [GPUFORGE, "validate", "-e", "prod"],
    "gpuforge validate -e prod -o json": [GPUFORGE, "validate", "-e", "prod", "-o", "json"],
}


def measure(cmd: list[str], n: int) -> list[float]:
    subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="runs per command")
    args = parser.parse_args()
    print(f"| command | min ms | median ms | max ms |  (n={args.n})")
    print("| --- | ---: | ---: | ---: |")
    for name, cmd in CASES.items():
        t = measure(cmd, args.n)
        print(
            f"| `{name}` | {min(t) * 1000:.0f} | {statistics.median(t) * 1000:.0f} "
            f"| {max(t) * 1000:.0f} |"
        )


if __name__ == "__main__":
    main()
