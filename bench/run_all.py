"""`make bench`: re-measure every figure README.md and bench/README.md quote, in one run.

Writes bench/results/latest.json (the figures, the method of each, the machine, the
commit) and then bench/tables.py rewrites the tables in both READMEs from it, so a
quoted figure is always the last measurement (tests/test_bench_tables.py checks).

Every figure is whole processes timed by bench/harness.py (wall, CPU, peak RSS from
`os.wait4`), commands of a pair interleaved A B B A ..., medians and the median of the
run-by-run ratios. Sections (each can be skipped with --skip NAME):

- plan: `gpuforge plan -e prod -o json`, cold, this tree against --before (a checkout of
  an earlier commit with its own .venv), n runs each.
- scaling: prod with 1, 4, 16, 32 GPU pools, one cold plan per fresh process (3 per N,
  median), this tree and --before; ms per extra AWS resource from 1 to 32 pools.
- launch / cancel: `gpuforge launch examples/jobs/tiny-gpt.yaml -e dev --kubeconfig K`
  and `gpuforge cancel` against the plain kubernetes client creating and deleting the
  same manifests (bench/plain_client.py), both over TLS to one emulated API served by
  `gpuforge emulate k8s -e dev --no-controllers` in its own process.
- help / dry_run: `gpuforge --help` and `launch --dry-run` of the 2x8 example against
  torchx (`--torchx`, a throwaway venv: see bench/README.md) where it is installed.
- local: `gpuforge launch --local --nproc 2` against plain torchrun of the same trainer.
- trainer_exit: N 2-rank torchrun runs of the reference trainer, hangs counted.

    .venv/bin/python bench/run_all.py [--before PATH] [-n 5] [--quick] [--skip local]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import Case, interleave, process_env, ratio, run_once  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "latest.json"
GPUFORGE = ROOT / ".venv" / "bin" / "gpuforge"
PYTHON = ROOT / ".venv" / "bin" / "python"
SECTIONS = ("plan", "scaling", "launch", "help", "local", "trainer_exit")


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    with contextlib.suppress(ValueError, OSError):
        mem = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": mem,
        "python": platform.python_version(),
        "load_at_start": [round(x, 1) for x in os.getloadavg()],
    }


def commit(tree: Path) -> str:
    out = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return out.stdout.strip() or "unknown"


# -- plan ---------------------------------------------------------------------------


def plan(before: Path | None, n: int) -> dict:
    argv = ["plan", "-e", "prod", "-o", "json"]
    after = Case("after", [str(GPUFORGE), *argv], ROOT)
    cases = [after]
    if before:
        cases.append(Case("before", [str(before / ".venv/bin/gpuforge"), *argv], before))
    interleave(cases, n)
    out = {c.label: c.summary() for c in cases}
    if before:
        out["ratio_wall"] = ratio(cases[0], cases[1], "wall")
        out["ratio_cpu"] = ratio(cases[0], cases[1], "cpu")
        out["before_commit"] = commit(before)
    out["after_memory"] = plan_memory(ROOT)
    return out


MEMORY_CHILD = r"""
import contextlib, io, json, resource, sys
from gpuforge.cli.main import cli
sys.argv = ["gpuforge", "plan", "-e", "prod", "-o", "json"]
with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
    cli.main(prog_name="gpuforge")
try:
    from gpuforge.emulator import worker
    worker_mib = worker.last_peak_mib or 0.0
except ImportError:
    worker_mib = 0.0
own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"plan_mib": round(own, 1), "worker_mib": round(worker_mib, 1)}))
"""


def plan_memory(tree: Path) -> dict:
    """Peak resident memory of the plan's process and of its worker, each (a run's
    rusage gives only the largest of the two; together they are what a plan holds)."""
    proc = subprocess.run(
        [str(tree / ".venv/bin/python"), "-c", MEMORY_CHILD],
        capture_output=True,
        text=True,
        check=True,
        cwd=tree,
        env=process_env(),
    )
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    found["total_mib"] = round(found["plan_mib"] + found["worker_mib"], 1)
    return found


SCALING_CHILD = r"""
import json, sys, time, yaml
from gpuforge.model.loader import spec_from_data
try:
    from gpuforge.planning import plan
except ImportError:  # before issue 17's layout
    from gpuforge.cli.planning import plan
n = int(sys.argv[1])
data = yaml.safe_load(open("stacks/prod.yaml"))
pools = []
for i in range(n):
    if i % 4 == 0:
        pools.append(dict(name=f"h100-{i}", instance_type="p5.48xlarge", capacity="on-demand",
                          min=0, max=2, efa=True, az="us-east-1a"))
    else:
        pools.append(dict(name=f"l40s-{i}", instance_type="g6e.12xlarge", min=0, max=2))
data["gpu_pools"] = pools
data["cost"] = {}
data["training"]["max_gpus"] = 64
spec = spec_from_data(data, "bench")
t = time.perf_counter()
report = plan(spec)
print(json.dumps({"cold": time.perf_counter() - t, "resources": len(report.cloud_resources)}))
"""

POOLS = (1, 4, 16, 32)


def scaling(before: Path | None, repeats: int) -> dict:
    trees = {"after": ROOT, **({"before": before} if before else {})}
    runs: dict[tuple[str, int], list[dict]] = {(label, n): [] for label in trees for n in POOLS}

    def one(tree: Path, n: int) -> dict:
        proc = subprocess.run(
            [str(tree / ".venv/bin/python"), "-c", SCALING_CHILD, str(n)],
            capture_output=True,
            text=True,
            check=True,
            cwd=tree,
            env=process_env(),
        )
        return json.loads(proc.stdout.strip().splitlines()[-1])

    for tree in trees.values():  # warm-up: bytecode written, page cache filled
        one(tree, POOLS[0])
    # interleaved, as the plan figures are: each round runs every tree at every size
    for _ in range(repeats):
        for n in POOLS:
            for label, tree in trees.items():
                runs[(label, n)].append(one(tree, n))
    out: dict = {}
    for label in trees:
        rows = []
        for n in POOLS:
            cold = statistics.median(r["cold"] for r in runs[(label, n)])
            resources = runs[(label, n)][0]["resources"]
            rows.append({"pools": n, "resources": resources, "cold_s": round(cold, 3)})
        extra = rows[-1]["resources"] - rows[0]["resources"]
        per = (rows[-1]["cold_s"] - rows[0]["cold_s"]) / extra * 1000
        out[label] = {"rows": rows, "ms_per_extra_resource": round(per, 2)}
    return out


# -- launch and cancel ----------------------------------------------------------------


def _serve(tmp: Path) -> tuple[subprocess.Popen, Path]:
    kubeconfig = tmp / "kubeconfig"
    server = subprocess.Popen(
        [str(GPUFORGE), "emulate", "k8s", "-e", "dev", "--no-controllers"]
        + ["--kubeconfig", str(kubeconfig)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    for line in server.stderr:  # it prints the kubeconfig line once it serves
        if line.startswith("kubeconfig:"):
            return server, kubeconfig
    raise SystemExit("error: the emulated Kubernetes API did not start")


def _manifests(name: str, path: Path) -> str:
    code = (
        "import sys, yaml\n"
        "from gpuforge.jobs import backends\n"
        "from gpuforge.jobs.fit import check_fit\n"
        "from gpuforge.jobs.spec import load_job\n"
        "from gpuforge.model.loader import load_env\n"
        "_, env = load_env('dev')\n"
        f"fit = check_fit(load_job('examples/jobs/tiny-gpt.yaml', ['name={name}']), env)\n"
        f"open({str(path)!r}, 'w').write(yaml.safe_dump_all(backends.render(fit)))\n"
        "print(fit.namespace)\n"
    )
    out = subprocess.run([str(PYTHON), "-c", code], cwd=ROOT, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(out.stderr)
    return out.stdout.strip()


def launch(n: int) -> dict:
    job = str(ROOT / "examples" / "jobs" / "tiny-gpt.yaml")
    client = str(ROOT / "bench" / "plain_client.py")
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        server, kubeconfig = _serve(tmp)
        try:
            cases = {
                k: Case(k, [])
                for k in ("gpuforge launch", "plain create", "gpuforge cancel", "plain delete")
            }
            for i in range(n + 1):  # the first round warms the file cache, not counted
                ours, theirs = f"gf-{i:03d}", f"kc-{i:03d}"
                manifests = tmp / f"{theirs}.yaml"
                namespace = _manifests(theirs, manifests)
                kc = ["--kubeconfig", str(kubeconfig)]
                steps = [
                    (
                        "gpuforge launch",
                        [str(GPUFORGE), "launch", job, "-e", "dev", "--set", f"name={ours}", *kc],
                    ),
                    ("plain create", [str(PYTHON), client, "create", str(kubeconfig)]),
                    ("gpuforge cancel", [str(GPUFORGE), "cancel", ours, "-e", "dev", *kc]),
                    ("plain delete", [str(PYTHON), client, "delete", str(kubeconfig)]),
                ]
                steps[1][1].extend([str(manifests), namespace])
                steps[3][1].extend([theirs, namespace])
                pairs = [steps[:2], steps[2:]]
                for pair in pairs:
                    for label, argv in pair if i % 2 == 0 else reversed(pair):
                        run = run_once(argv, ROOT)
                        if run.rc != 0:
                            raise SystemExit(f"error: {label} exited {run.rc}: {argv}")
                        if i:
                            cases[label].runs.append(run)
        finally:
            server.terminate()
            server.wait(10)
    out = {label: case.summary() for label, case in cases.items()}
    out["launch_ratio_wall"] = ratio(cases["gpuforge launch"], cases["plain create"])
    out["cancel_ratio_wall"] = ratio(cases["gpuforge cancel"], cases["plain delete"])
    return out


# -- light paths and local runs --------------------------------------------------------


# `-cfg queue=default`: TorchX's kubernetes scheduler refuses to render without a Volcano
# queue (without it the run exited 1 before rendering, and that error path was timed).
TORCHX_DRYRUN = ["run", "--dryrun", "-s", "kubernetes", "-cfg", "queue=default", "--workspace", ""]
TORCHX_DRYRUN += ["dist.ddp", "-j", "2x8", "--gpu", "8", "--script", "train.py"]


def help_and_dry_run(torchx: Path | None, n: int) -> dict:
    out: dict = {}
    ours = Case("gpuforge --help", [str(GPUFORGE), "--help"], ROOT)
    cases = [ours]
    if torchx:
        cases.append(Case("torchx --help", [str(torchx), "--help"], ROOT))
    interleave(cases, n)
    out["help"] = {c.label: c.summary() for c in cases}
    if torchx:
        out["help"]["ratio_wall"] = ratio(cases[0], cases[1])
    example = str(ROOT / "examples" / "jobs" / "llama-2x8-h100.yaml")
    ours = Case("gpuforge launch --dry-run", [str(GPUFORGE), "launch", example, "-e", "prod"])
    ours.argv.append("--dry-run")
    ours.cwd = ROOT
    cases = [ours]
    if torchx:
        cases.append(Case("torchx run --dryrun", [str(torchx), *TORCHX_DRYRUN], ROOT))
    interleave(cases, n)
    out["dry_run"] = {c.label: c.summary() for c in cases}
    if torchx:
        out["dry_run"]["ratio_wall"] = ratio(cases[0], cases[1])
    return out


def local(n: int) -> dict:
    trainer = str(ROOT / "examples" / "trainer" / "train.py")
    with tempfile.TemporaryDirectory() as tmp_name:
        job = Path(tmp_name) / "bench.yaml"
        job.write_text(
            f"name: bench\nimage: trainer:bench\npool: l4\ncommand: [{trainer}, --steps, '20']\n",
            encoding="utf-8",
        )
        env = {"OMP_NUM_THREADS": "1"}
        torchrun = [str(PYTHON), "-m", "torch.distributed.run", "--standalone"]
        torchrun += ["--nproc-per-node", "2", trainer, "--steps", "20"]
        cases = [
            Case("torchrun", torchrun, ROOT, env),
            Case(
                "gpuforge launch --local",
                [str(GPUFORGE), "launch", str(job), "-e", "dev", "--local", "--nproc", "2"],
                ROOT,
                env,
            ),
        ]
        interleave(cases, n)
    out = {c.label: c.summary() for c in cases}
    out["ratio_wall"] = ratio(cases[1], cases[0])
    return out


def trainer_exit(n: int) -> dict:
    proc = subprocess.run(
        [str(PYTHON), str(ROOT / "bench" / "trainer_exit.py"), "-n", str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", type=Path, help="a checkout of an earlier commit with .venv")
    parser.add_argument("-n", type=int, default=5, help="runs per command (plan, launch)")
    parser.add_argument("--torchx", type=Path, default=Path("/tmp/torchx-venv/bin/torchx"))
    parser.add_argument("--skip", action="append", default=[], choices=SECTIONS)
    parser.add_argument("--trainer-runs", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="fewer runs: n=3, 1 per pool size")
    args = parser.parse_args()
    n = 3 if args.quick else args.n
    torchx = args.torchx if args.torchx and args.torchx.is_file() else None
    started = time.time()
    results: dict = {
        "date": dt.date.today().isoformat(),
        "host": socket.gethostname(),
        "machine": machine(),
        "commit": commit(ROOT),
        "n": n,
        "torchx": str(torchx) if torchx else None,
    }
    if RESULTS.exists():  # sections skipped this time keep their last figures, marked so
        previous = json.loads(RESULTS.read_text(encoding="utf-8"))
        for key in SECTIONS:
            if key in args.skip and key in previous:
                results[key] = {**previous[key], "from": previous.get("date")}
    if "plan" not in args.skip:
        results["plan"] = plan(args.before, n)
    if "scaling" not in args.skip:
        results["scaling"] = scaling(args.before, 1 if args.quick else 3)
    if "launch" not in args.skip:
        results["launch"] = launch(n * 2)
    if "help" not in args.skip:
        results["help"] = help_and_dry_run(torchx, n * 3)
    if "local" not in args.skip:
        results["local"] = local(n)
    if "trainer_exit" not in args.skip:
        results["trainer_exit"] = trainer_exit(args.trainer_runs)
    results["machine"]["load_at_end"] = [round(x, 1) for x in os.getloadavg()]
    results["seconds"] = round(time.time() - started)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    subprocess.run([str(PYTHON), str(ROOT / "bench" / "tables.py")], check=True)
    print(f"wrote {RESULTS.relative_to(ROOT)} and the tables in README.md, bench/README.md")


if __name__ == "__main__":
    main()
