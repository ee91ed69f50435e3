"""How the offline plan of prod grows with the number of GPU pools (1, 4, 16, 32).

Method: take stacks/prod.yaml, replace its GPU pools with N pools (every
fourth an EFA p5.48xlarge pool in us-east-1a with a placement group, the
rest g6e.12xlarge pools across the AZs), and for each N run, in a fresh
Python process (three processes per N; medians reported), `gpuforge.planning.plan`
twice: the first run is cold (imports, moto's EC2 backend, everything that
`gpuforge plan` pays), the second warm
(a new emulated account in the same process, as in the test suite). Reports
the number of AWS resources, wall seconds for each run, and the marginal
milliseconds per extra resource between N=1 and N=32.

    .venv/bin/python bench/plan_scaling.py
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POOLS = (1, 4, 16, 32)
REPEATS = 3

CHILD = r"""
import json, sys, time, yaml
from gpuforge.model.loader import spec_from_data
from gpuforge.planning import plan
n = {n}
data = yaml.safe_load(open({root!r} + "/stacks/prod.yaml"))
pools = []
for i in range(n):
    if i % 4 == 0:
        pools.append(dict(name=f"h100-{{i}}", instance_type="p5.48xlarge", capacity="on-demand",
                          min=0, max=2, efa=True, az="us-east-1a"))
    else:
        pools.append(dict(name=f"l40s-{{i}}", instance_type="g6e.12xlarge", min=0, max=2))
data["gpu_pools"] = pools
data["cost"] = {{}}
data["training"]["max_gpus"] = 64
spec = spec_from_data(data, "bench")
out = {{}}
for run in ("cold", "warm"):
    t = time.perf_counter()
    report = plan(spec)
    out[run] = time.perf_counter() - t
out["resources"] = len(report.cloud_resources)
out["findings"] = len(report.findings)
print(json.dumps(out))
"""


def main() -> None:
    rows = []
    for n in POOLS:
        code = CHILD.format(root=str(ROOT), n=n)
        runs = []
        for _ in range(REPEATS):
            proc = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
            )
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        median = {k: statistics.median(r[k] for r in runs) for k in ("cold", "warm")}
        rows.append((n, {**runs[0], **median}))
    print("| GPU pools | AWS resources | cold plan s | warm plan s |")
    print("| ---: | ---: | ---: | ---: |")
    for n, r in rows:
        print(f"| {n} | {r['resources']} | {r['cold']:.2f} | {r['warm']:.2f} |")
    (n1, a), (n32, b) = rows[0], rows[-1]
    extra = b["resources"] - a["resources"]
    for run in ("cold", "warm"):
        ms = (b[run] - a[run]) / extra * 1000
        print(f"\n{run}: {ms:.1f} ms per extra resource ({n1} -> {n32} pools, +{extra} resources)")


if __name__ == "__main__":
    main()
