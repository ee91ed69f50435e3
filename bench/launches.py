"""Launches per second against the emulated Kubernetes API (`gpuforge.emulator.kubernetes`).

Method: one `EmulatedKubernetes` on 127.0.0.1 in this process; each launch is a
full `gpuforge.jobs.submit.submit` of the 2-node example job
(`examples/jobs/llama-2x8-h100.yaml`, renamed per launch, rendered by the
indexed-job backend: a headless Service and an Indexed Job): check the name is
free, create both objects. N launches one after another, three rounds; then
`list_jobs` over all of them and `cancel` of each. Prints a Markdown table.

    .venv/bin/python bench/launches.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from gpuforge.emulator.kubernetes import EmulatedKubernetes
from gpuforge.jobs import backends
from gpuforge.jobs.cancel import cancel
from gpuforge.jobs.fit import check_fit
from gpuforge.jobs.listing import list_jobs
from gpuforge.jobs.spec import load_job
from gpuforge.jobs.submit import submit
from gpuforge.model.loader import load_env

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "jobs" / "llama-2x8-h100.yaml"


def main(n: int = 50) -> None:
    _, spec = load_env(str(ROOT / "stacks" / "prod.yaml"))
    rows = []
    rates, list_ms, cancel_rates = [], [], []
    for round_ in range(3):  # a fresh API each round: kmock scans every stored object per request
        with EmulatedKubernetes() as api, tempfile.TemporaryDirectory() as tmp:
            config = str(api.write_kubeconfig(Path(tmp) / "kubeconfig"))
            ns = f"bench{round_}"
            env = spec.model_copy(
                update={"training": spec.training.model_copy(update={"namespace": ns})}
            )
            jobs = [load_job(EXAMPLE, [f"name=job-{i}"]) for i in range(n)]
            fits = [check_fit(job, env) for job in jobs]  # not timed
            rendered = [(fit, backends.render(fit)) for fit in fits]
            start = time.perf_counter()
            for fit, manifests in rendered:
                submit(fit, manifests, kubeconfig=config, say=lambda _line: None)
            rates.append(n / (time.perf_counter() - start))
            start = time.perf_counter()
            listed = list_jobs(env, kubeconfig=config)
            list_ms.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            for record in listed:
                cancel(env, record.name, kubeconfig=config)
            cancel_rates.append(len(listed) / (time.perf_counter() - start))
    rows.append(
        (
            "launch (submit: 2 objects)",
            f"{min(rates):.1f}",
            f"{statistics.median(rates):.1f}",
            f"{max(rates):.1f}",
        )
    )
    print(f"N={n} launches per round, 3 rounds\n")
    print("| operation | min /s | median /s | max /s |\n| --- | ---: | ---: | ---: |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(
        f"\n`list_jobs` over {n} jobs: median {statistics.median(list_ms):.0f} ms; "
        f"cancel: median {statistics.median(cancel_rates):.1f} jobs/s"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50)
