"""Regenerate the generated parts of docs/jobs.md from the job model.

Between the BEGIN/END markers: the job spec fields (from `JobSpec`, as
stacks/README.md is from `EnvironmentSpec`), the backends (from the registry), the
`GPUFORGE_*` variables (from `gpuforge.jobs.contract`) and the node reserve (from
`gpuforge.model.node_reserve`, for every GPU pool of the shipped stacks).
`tests/test_docs.py` fails when it is stale.

    .venv/bin/python scripts/gen_job_docs.py
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from gpuforge.jobs import backends, contract
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import node_reserve as nr
from gpuforge.model.loader import load_env

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "jobs.md"
BEGIN, END = "<!-- BEGIN JOB REFERENCE -->", "<!-- END JOB REFERENCE -->"


def _spec_docs():
    spec = importlib.util.spec_from_file_location(
        "gen_spec_docs", ROOT / "scripts/gen_spec_docs.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fields() -> str:
    head = "| field | type | default | meaning |\n| --- | --- | --- | --- |\n"
    return head + "\n".join(_spec_docs().rows(JobSpec)) + "\n"


def backend_table() -> str:
    rows = ["| backend | status object | what it creates |", "| --- | --- | --- |"]
    for name in backends.names():
        backend = backends.get(name)
        doc = _first_line(backend)
        rows.append(
            f"| `{name}` | `{backend.primary.api_version}` {backend.primary.kind} | {doc} |"
        )
    return "\n".join(rows) + "\n"


def _first_line(backend) -> str:
    module = importlib.import_module(type(backend).__module__)
    return (module.__doc__ or "").strip().splitlines()[0].split(": ", 1)[-1]


def variables() -> str:
    rows = ["| variable | meaning |", "| --- | --- |"]
    rows += [f"| `{name}` | {meaning} |" for name, meaning in contract.MEANING.items()]
    return "\n".join(rows) + "\n"


SHIPPED_STACKS = ("dev", "staging", "prod")


def reserve() -> str:
    rows = [
        "| GPU pool | vCPU, nominal memory | capacity memory | kube-reserved (max pods) "
        "| eviction | DaemonSets | a pod gets at most | default full-node request |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for env in SHIPPED_STACKS:
        _, spec = load_env(env)
        for pool in spec.gpu_pools:
            r = nr.node_reserve(pool)
            rows.append(
                f"| {env}/{pool.name} ({r.instance_type}) | {r.vcpus}, {r.nominal_memory_mib} MiB "
                f"| {r.capacity_memory_mib} MiB | {r.kube_reserved_cpu_milli}m, "
                f"{r.kube_reserved_memory_mib} MiB ({r.max_pods}) | {r.eviction_memory_mib} MiB "
                f"| {len(r.daemonsets)}: {r.daemonset_cpu_milli}m, {r.daemonset_memory_mib} MiB "
                f"| {r.free_cpu_milli}m, {r.free_memory_mib} MiB "
                f"| {r.default_cpu_milli}m, {r.default_memory_mib} MiB |"
            )
    return "\n".join(rows) + "\n"


def generated() -> str:
    return (
        "\n### Job spec fields\n\n"
        + fields()
        + "\n### Backends\n\n"
        + backend_table()
        + "\n### Variables every rank gets\n\n"
        + variables()
        + "\n### What a node keeps for itself\n\n"
        + reserve()
    )


def updated(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + generated() + text[end:]


def main() -> None:
    DOC.write_text(updated(DOC.read_text()))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
