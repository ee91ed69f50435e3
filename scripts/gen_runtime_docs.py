"""Regenerate the tables of docs/runtime.md that repeat code.

Between the CHARTS markers: one row per chart in `gpuforge.model.helm_charts.CHARTS`
(version, where it is installed from, where the version was read), the
cluster-autoscaler image tag by EKS minor, the Kueue API version, and the DaemonSets
on a GPU node with their requests (`node_reserve.DAEMONSETS`). Between the
AUTOSCALING markers: each `autoscaling` spec setting with its default (from the spec
model) and its effect (the expander's tiers from `cluster_autoscaler.EXPANDER_TIERS`).
`tests/test_docs.py` fails when either is stale, or when a setting has no effect here.

    .venv/bin/python scripts/gen_runtime_docs.py
"""

from __future__ import annotations

from pathlib import Path

from gpuforge.model import cluster_autoscaler, kueue, node_reserve
from gpuforge.model.helm_charts import CHARTS
from gpuforge.model.spec import AutoscalingSpec

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "runtime.md"
BEGIN, END = "<!-- BEGIN CHARTS -->", "<!-- END CHARTS -->"
AUTOSCALING_BEGIN, AUTOSCALING_END = "<!-- BEGIN AUTOSCALING -->", "<!-- END AUTOSCALING -->"

_TIER_WORDS = {
    "reserved": "capacity block or reservation",
    "on-demand": "on-demand",
    "spot": "spot",
}
EFFECTS = {
    "enabled": "install cluster-autoscaler on the system nodes "
    "(without it, pools stay at their min)",
    "gpu_scale_down_delay_minutes": "`--scale-down-unneeded-time`, and the per-group "
    "`autoscaling-options/scaledownunneededtime` tag on every GPU pool's group",
    "expander": "with `priority`, pools tried in this order: "
    + ", ".join(
        f"{_TIER_WORDS[tier]} ({priority})"
        for tier, priority in cluster_autoscaler.EXPANDER_TIERS.items()
    )
    + ", anything else (1); each pool's group named exactly",
    "balance_similar_node_groups": "scale-ups spread over pools of the same shape",
}
"""What each `autoscaling` setting does; a setting missing here fails the docs test."""


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


def _markdown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return f"`{value}`" if isinstance(value, str) else str(value)


def autoscaling_table() -> str:
    rows = ["| setting | default | effect |", "| --- | --- | --- |"]
    for name, field in AutoscalingSpec.model_fields.items():
        rows.append(f"| `{name}` | {_markdown(field.default)} | {EFFECTS[name]} |")
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


def _between(text: str, begin: str, end: str, body: str) -> str:
    start, stop = text.index(begin) + len(begin), text.index(end)
    return text[:start] + "\n" + body + text[stop:]


def updated(text: str) -> str:
    text = _between(text, BEGIN, END, generated())
    return _between(text, AUTOSCALING_BEGIN, AUTOSCALING_END, "\n" + autoscaling_table() + "\n")


def main() -> None:
    DOC.write_text(updated(DOC.read_text()))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
