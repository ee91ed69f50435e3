"""Regenerate the tag and label table in docs/contracts.md from the names and the pool model.

The table between the BEGIN/END markers lists every tag, label and taint gpuforge sets,
with the key (and, where gpuforge fixes it, the value) taken from `gpuforge.model.names`
and `gpuforge.model.pools`; `tests/test_docs.py` fails when it is stale.

    .venv/bin/python scripts/gen_contract_docs.py
"""

from __future__ import annotations

from pathlib import Path

from gpuforge.model import cluster_autoscaler, names, pools
from gpuforge.model.spec import GpuPoolSpec

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "contracts.md"
BEGIN, END = "<!-- BEGIN TAG TABLE -->", "<!-- END TAG TABLE -->"

NVIDIA_EXAMPLE = GpuPoolSpec(name="example", instance_type="p5.48xlarge")
NEURON_EXAMPLE = GpuPoolSpec(name="example", instance_type="trn1.32xlarge")


def _code(value: str) -> str:
    return f"`{value}`"


def _taint(pool: GpuPoolSpec) -> str:
    (taint,) = pools.builtin_taints(pool)
    return f"`{taint['key']}={taint['value']}:{taint['effect']}`"


def _template_kinds() -> str:
    """The kinds of node-template tag gpuforge writes (`label/…`, `taint/…`, ...)."""
    keys = [*pools.autoscaler_tags(NVIDIA_EXAMPLE, "c"), cluster_autoscaler.SCALE_DOWN_OPTION]
    prefix = names.NODE_TEMPLATE_TAG_PREFIX
    kinds = sorted({k.removeprefix(prefix).split("/")[0] for k in keys if k.startswith(prefix)})
    return ", ".join(f"`{kind}/…`" for kind in kinds)


ALL_TAGGED = "every AWS resource that takes tags"


def rows() -> list[tuple[str, str, str, str]]:
    """(key, kind, on what, value) for every tag, label and taint gpuforge sets."""
    access = " \\| ".join(_code(mode) for mode in names.TRAINING_ACCESS_MODES)
    discovery = names.autoscaler_discovery_tags("<cluster>")
    enabled, owner = discovery
    nvidia_present = pools.builtin_labels(NVIDIA_EXAMPLE)[pools.NVIDIA_PRESENT_LABEL]
    tag, label = "AWS tag", "label"
    return [
        (_code(names.ENVIRONMENT_TAG), tag, ALL_TAGGED, "the environment"),
        (_code(names.MANAGED_BY_TAG), tag, ALL_TAGGED, _code(names.MANAGED_BY)),
        (_code(names.PROTECTED_TAG), tag, f"{ALL_TAGGED}, when `protected: true`", '`"true"`'),
        (
            _code(names.POOL_KEY),
            tag,
            "a GPU pool's node group, launch template and instances",
            "the pool name",
        ),
        (_code(names.NODE_ROLE_KEY), tag, "the system node group", _code(names.SYSTEM_NODE_ROLE)),
        (_code(names.BUCKET_TAG), tag, "every bucket", "its logical name"),
        (_code(names.TRAINING_ACCESS_TAG), tag, "every bucket", access),
        (
            _code(enabled),
            tag,
            "GPU node groups (EKS puts it on every node group's Auto Scaling group)",
            f'`"{discovery[enabled]}"`',
        ),
        (_code(owner), tag, "the same", _code(discovery[owner])),
        (
            _code(f"{names.NODE_TEMPLATE_TAG_PREFIX}…"),
            tag,
            "GPU pools' Auto Scaling groups (and their node groups, but for "
            "`autoscaling-options/…`): one per node label, taint, device and option "
            f"({_template_kinds()})",
            "what a node of the group would have",
        ),
        (_code(names.POOL_KEY), label, "GPU nodes; every object of a job", "the pool name"),
        (_code(names.GPU_MODEL_LABEL), label, "GPU nodes", "the accelerator model (`H100`, …)"),
        (_code(pools.NVIDIA_PRESENT_LABEL), label, "NVIDIA GPU nodes", f'`"{nvidia_present}"`'),
        (
            _code(names.ACCELERATOR_LABEL),
            label,
            "NVIDIA GPU nodes (cluster-autoscaler's AWS GPU label)",
            f"the GPU type ({_code(pools.autoscaler_gpu_type(NVIDIA_EXAMPLE))}, …)",
        ),
        (
            _code(names.NODE_ROLE_KEY),
            label,
            "system nodes (the runtime's controllers select on it)",
            _code(names.SYSTEM_NODE_ROLE),
        ),
        (
            _code(names.MANAGED_BY_LABEL),
            label,
            "the training runtime's objects and every object of a job",
            _code(names.MANAGED_BY),
        ),
        (_code(names.JOB_LABEL), label, "every object of a job", "the job name"),
        (
            _code(names.KUEUE_QUEUE_LABEL),
            label,
            "a job's workload, when the environment queues",
            "the LocalQueue",
        ),
        (_taint(NVIDIA_EXAMPLE), "taint", "NVIDIA GPU nodes", ""),
        (_taint(NEURON_EXAMPLE), "taint", "AWS Neuron nodes", ""),
    ]


def table() -> str:
    lines = ["| key | kind | on | value |", "| --- | --- | --- | --- |"]
    lines += [f"| {key} | {kind} | {on} | {value} |" for key, kind, on, value in rows()]
    return "\n".join(lines) + "\n"


def updated(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + table() + text[end:]


def main() -> None:
    DOC.write_text(updated(DOC.read_text()))
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
