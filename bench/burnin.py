"""The burn-in's figures on this machine: `gpuforge validate-pool POOL -e ENV --local`, N runs.

    .venv/bin/python bench/burnin.py [--pool l4 -e dev] [-n 5] [--nproc 2] [-- extra args]

Prints a Markdown table: per rank, the median matmul TFLOP/s and all-reduce bus
bandwidth over the runs with their min-max, the expected peak and the median
fraction of it (a dash where there is no peak: on CPU), and the wall time of a
whole run (torch start-up included). Run it on a GPU machine to record GPU
figures; on a CPU machine it records the gloo smoke figures only.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", default="l4")
    parser.add_argument("-e", "--env", default="dev")
    parser.add_argument("-n", type=int, default=5)
    parser.add_argument("--nproc", type=int)
    parser.add_argument("extra", nargs="*", help="more validate-pool arguments, after --")
    args = parser.parse_args()
    argv = [sys.executable, "-m", "gpuforge.cli", "validate-pool", args.pool, "-e", args.env]
    argv += ["--local", "-o", "json", *args.extra]
    if args.nproc:
        argv += ["--nproc", str(args.nproc)]

    walls, docs = [], []
    for _ in range(args.n):
        start = time.perf_counter()
        run = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - start)
        if run.returncode not in (0, 1):
            sys.exit(f"validate-pool failed ({run.returncode}):\n{run.stderr}")
        docs.append(json.loads(run.stdout))

    first = docs[0]["rows"]
    print(
        f"{args.n} runs of `{' '.join(argv[3:])}`; wall per run median "
        f"{statistics.median(walls):.2f} s (min {min(walls):.2f}, max {max(walls):.2f})\n"
    )
    print(
        "| rank | device | dtype | TFLOP/s median (min-max) | peak | fraction "
        "| busbw GB/s median (min-max) | link peak | fraction |"
    )
    print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for i, row in enumerate(first):
        series = [d["rows"][i] for d in docs]
        print(
            f"| {row['rank']} | {row['device']} | {row['dtype']} "
            f"| {_spread([r['matmul_tflops'] for r in series])} | {_num(row['matmul_peak'])} "
            f"| {_frac([r['matmul_fraction'] for r in series])} "
            f"| {_spread([r['busbw_gbps'] for r in series])} | {_num(row['link_peak_gbps'])} "
            f"| {_frac([r['busbw_fraction'] for r in series])} |"
        )
    print()
    for note in docs[0]["notes"]:
        print(f"note: {note}")
    return 0


def _spread(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "-"
    return f"{statistics.median(got):.3g} ({min(got):.3g}-{max(got):.3g})"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:g}"


def _frac(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    return f"{statistics.median(got):.0%}" if got else "-"


if __name__ == "__main__":
    sys.exit(main())
