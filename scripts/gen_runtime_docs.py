"""Regenerate the pinned-chart table of docs/runtime.md from `gpuforge.model.helm_charts`.

Between the BEGIN/END markers: one row per chart in `CHARTS` (version, where it is
installed from, where the version was read) and the cluster-autoscaler image tag by
EKS minor, and the Kueue API version. `tests/test_docs.py` fails when it is stale.

    .venv/bin/python scripts/gen_runtime_docs.py
"""

from __future__ import annotations

from pathlib import Path

from gpuforge.model import cluster_autoscaler, kueue, node_reserve
from gpuforge.model.helm_charts import CHARTS

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "runtime.md"
BEGIN, END = "<!-- BEGIN CHARTS -->", "<!-- END CHARTS -->"


def chart_table() -> str:
    rows = [
        "| chart | version | namespace | repository | version read from |",
        "| --- | --- | --- | --- | --- |",
    ]
    for chart in CHARTS.values():
        where = chart.repository or chart.chart
        rows.append(
            f"| {chart.release} | {chart.version} | {chart.namespace} | {where} | {chart.source} |"
        )
    return "\n".join(rows) + "\n"


def image_table() -> str:
    rows = ["| EKS version | cluster-autoscaler image tag |", "| --- | --- |"]
    rows += [f"| {eks} | {tag} |" for eks, tag in cluster_autoscaler.IMAGE_TAGS.items()]
    return "\n".join(rows) + "\n"


def daemonset_table() -> str:
    rows = [
        "| DaemonSet | installed by | runs on | CPU request | memory request | read from |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for d in node_reserve.DAEMONSETS:
        rows.append(
            f"| `{d.name}` | {d.installed_by} | {d.runs_on} | {d.cpu_milli}m "
            f"| {d.memory_mib} MiB | {d.source} |"
        )
    return "\n".join(rows) + "\n"


def generated() -> str:
    images = (
        "cluster-autoscaler's image tag follows the cluster's EKS minor "
        "(`cluster_autoscaler.IMAGE_TAGS`; a minor not listed gets `v<minor>.0`, one newer "
        "than all listed the newest tag):\n"
    )
    api = (
        f"Kueue objects use `{kueue.KUEUE_API}` (`gpuforge.model.kueue.KUEUE_API`, the "
        "version the pinned Kueue serves; the job runner and the emulated API use the same).\n"
    )
    daemonsets = (
        "What runs on every GPU node, and what each requests (`gpuforge.model.node_reserve."
        "DAEMONSETS`, the inventory the job check and the emulated cluster subtract from a "
        "node's allocatable; `runs on`: all nodes, NVIDIA or Neuron nodes, EFA nodes):\n"
    )
    return f"\n{chart_table()}\n{images}\n{image_table()}\n{api}\n{daemonsets}\n{daemonset_table()}"


def updated(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + generated() + text[end:]


def main() -> None:
    DOC.write_text(updated(DOC.read_text()))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
