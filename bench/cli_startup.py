"""How long the CLI takes, end to end, as a user runs it; optionally against another tree.

Method: each command runs as a fresh process through a tree's console script
(`<tree>/.venv/bin/gpuforge`, with the tree as the working directory), once to warm
the OS file cache and then N times; min / median / max wall time. Every process is
cold for Python (imports, moto's backends); `plan -e prod` is the whole offline plan.
`python -c pass` is the floor.

With `--before PATH` (a checkout of an earlier commit with its own .venv), both trees
run each command the same number of times, interleaved (before, after, after, before,
...) so that drift on a shared machine lands on both, and one table shows both.

    .venv/bin/python bench/cli_startup.py [-n 15] [--plan-n 5] [--before /tmp/gf-before]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name -> arguments after `gpuforge`
CASES = {
    "gpuforge --help": ["--help"],
    "gpuforge --version": ["--version"],
    "gpuforge render --all --check": ["render", "--all", "--check"],
    "gpuforge validate -e prod": ["validate", "-e", "prod"],
    "gpuforge validate -e prod -o json": ["validate", "-e", "prod", "-o", "json"],
    "gpuforge plan -e prod (cold)": ["plan", "-e", "prod"],
}
SLOW = {"gpuforge plan -e prod (cold)"}


class Tree:
    """A checkout whose console script runs with the checkout as the working directory."""

    def __init__(self, label: str, root: Path):
        self.label, self.root = label, root.resolve()
        self.script = self.root / ".venv" / "bin" / "gpuforge"
        if not self.script.is_file():
            raise SystemExit(f"error: {self.script}: no console script (make the tree's .venv)")
        self.exit_codes: dict[str, set[int]] = {}

    def run(self, name: str, args: list[str]) -> float:
        start = time.perf_counter()
        proc = subprocess.run([self.script, *args], cwd=self.root, capture_output=True)
        elapsed = time.perf_counter() - start
        self.exit_codes.setdefault(name, set()).add(proc.returncode)
        return elapsed


def measure(trees: list[Tree], name: str, args: list[str], n: int) -> dict[str, list[float]]:
    for tree in trees:
        tree.run(name, args)  # warm the file cache
    times: dict[str, list[float]] = {tree.label: [] for tree in trees}
    for i in range(n):
        for tree in trees if i % 2 == 0 else reversed(trees):
            times[tree.label].append(tree.run(name, args))
    return times


def floor(n: int) -> list[float]:
    times = []
    for _ in range(n + 1):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return times[1:]


def _ms(t: list[float]) -> str:
    return f"{statistics.median(t) * 1000:.0f}"


def _range(t: list[float]) -> str:
    return f"{min(t) * 1000:.0f}–{max(t) * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="runs per light command and tree")
    parser.add_argument("--plan-n", type=int, default=5, help="runs of plan per tree")
    parser.add_argument("--before", type=Path, help="an earlier checkout to compare with")
    args = parser.parse_args()

    after = Tree("after", ROOT)
    trees = [Tree("before", args.before), after] if args.before else [after]
    results = {
        name: measure(trees, name, argv, args.plan_n if name in SLOW else args.n)
        for name, argv in CASES.items()
    }
    base = floor(args.n)

    if args.before:
        print(
            "| command | n | before median ms | after median ms | change "
            "| before min–max | after min–max |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        print(f"| `python -c pass (floor)` | {args.n} | | {_ms(base)} | | | {_range(base)} |")
        for name, t in results.items():
            b, a = statistics.median(t["before"]), statistics.median(t["after"])
            print(
                f"| `{name}` | {len(t['after'])} | {_ms(t['before'])} | {_ms(t['after'])} "
                f"| {(a - b) / b * 100:+.0f} % | {_range(t['before'])} | {_range(t['after'])} |"
            )
    else:
        print(f"| command | min ms | median ms | max ms |  (n={args.n}, plan n={args.plan_n})")
        print("| --- | ---: | ---: | ---: |")
        rows = {"python -c pass (floor)": base} | {k: v["after"] for k, v in results.items()}
        for name, t in rows.items():
            print(f"| `{name}` | {min(t) * 1000:.0f} | {_ms(t)} | {max(t) * 1000:.0f} |")
    for tree in trees:
        failed = {name: sorted(codes) for name, codes in tree.exit_codes.items() if codes != {0}}
        if failed:
            print(f"note: in {tree.label} ({tree.root}) these exited non-zero: {failed}")


if __name__ == "__main__":
    main()
