"""Expected peak figures per GPU model, with their sources: what a burn-in is compared with.

Keyed by the GPU model names of the instance catalog (`gpuforge.model.catalog`,
AWS's own `GpuInfo` names: `H100`, `A100`, `L4`, ...), plus the variants a
device reports that the catalog does not distinguish (`H100 PCIe`). Every AWS
instance type with `H100`/`H200`/`A100`/`V100` carries the SXM module, so the
catalog name maps to the SXM figures.

Two figures per model, both copied by hand from NVIDIA's datasheets:

- `matmul_tflops`: DENSE tensor-core throughput in `dtype` (bf16 where the GPU has
  bf16 tensor cores; fp16 on Turing and Volta, which have none). NVIDIA's tables
  mark the sparse (2:4 structured sparsity) figure with an asterisk; where only that
  is printed, the dense figure is half of it, and `matmul_note` says so.
- `link_gbps`: the GPU-to-GPU link bandwidth in GB/s PER DIRECTION (NVLink, or the
  PCIe slot where there is none). nccl-tests' bus bandwidth is a unidirectional
  figure comparable to "the hardware peak bandwidth" (NVIDIA/nccl-tests
  doc/PERFORMANCE.md), so the datasheet's bidirectional total is halved.
  NVLink SHARP (NVLS) on H100/H200 can push measured bus bandwidth above it.

Across nodes the bound is the EFA network, not these links; a multi-node burn-in
reports its bus bandwidth without comparing it (see docs/jobs.md).

A model without a published figure (`A10G`: AWS-only, no NVIDIA datasheet) has
None, and the burn-in then reports its figure without a fraction. Nothing here is
measured; the pass thresholds are fractions of these numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_MATMUL_THRESHOLD = 0.6
"""A GPU passes when its measured matmul TFLOP/s is at least this fraction of the peak.
Large bf16 GEMMs reach roughly 60-80% of the datasheet figure on healthy parts; a
throttled, misconfigured or failing GPU falls far below. Not calibrated on a GPU here."""
DEFAULT_BUSBW_THRESHOLD = 0.5
"""A rank passes when its all-reduce bus bandwidth is at least this fraction of the link."""


@dataclass(frozen=True)
class GpuPeak:
    model: str
    """The catalog's GPU model name (or a device variant, `H100 PCIe`)."""
    dtype: str
    """The matmul dtype the figure is for: `bfloat16`, or `float16` without bf16 cores."""
    matmul_tflops: float | None
    """Dense tensor-core TFLOP/s in `dtype`; None when no datasheet publishes one."""
    matmul_note: str
    link: str
    """The GPU-to-GPU path within a node: `NVLink 4 (NVSwitch)`, `PCIe Gen4 x16`, ..."""
    link_gbps: float | None
    """GB/s per direction of `link`."""
    source: str
    """URL of the datasheet the figures come from."""


_H100 = "https://www.nvidia.com/en-us/data-center/h100/"
_H200 = "https://www.nvidia.com/en-us/data-center/h200/"
_A100 = "https://www.nvidia.com/en-us/data-center/a100/"
_L4 = "https://www.nvidia.com/en-us/data-center/l4/"
_L40S = "https://www.nvidia.com/en-us/data-center/l40s/"
_A10 = "https://www.nvidia.com/en-us/data-center/products/a10-gpu/"
_T4 = "https://www.nvidia.com/en-us/data-center/tesla-t4/"
_V100 = "https://www.nvidia.com/en-us/data-center/v100/"

PEAKS: dict[str, GpuPeak] = {
    p.model: p
    for p in (
        GpuPeak(
            "H100",
            "bfloat16",
            989.5,
            "H100 SXM (p5): datasheet 1,979 TFLOPS BF16 'with sparsity'; dense is half",
            "NVLink 4 (NVSwitch)",
            450.0,
            _H100,
        ),
        GpuPeak(
            "H100 PCIe",
            "bfloat16",
            756.5,
            "H100 PCIe: datasheet 1,513 TFLOPS BF16 'with sparsity'; dense is half",
            "PCIe Gen5 x16",
            64.0,
            _H100,
        ),
        GpuPeak(
            "H200",
            "bfloat16",
            989.5,
            "H200 SXM (p5e, p5en): datasheet 1,979 TFLOPS BF16 'with sparsity'; dense is half",
            "NVLink 4 (NVSwitch)",
            450.0,
            _H200,
        ),
        GpuPeak(
            "A100",
            "bfloat16",
            312.0,
            "A100 SXM4 (p4d, p4de): datasheet BF16 Tensor Core 312 dense, 624 sparse",
            "NVLink 3 (NVSwitch)",
            300.0,
            _A100,
        ),
        GpuPeak(
            "V100",
            "float16",
            125.0,
            "V100 SXM2 (p3dn): 125 TFLOPS tensor (fp16, dense; Volta has no bf16 and no sparsity)",
            "NVLink 2",
            150.0,
            _V100,
        ),
        GpuPeak(
            "L40S",
            "bfloat16",
            362.05,
            "L40S: datasheet BF16 Tensor 362.05 dense, 733 sparse",
            "PCIe Gen4 x16",
            32.0,
            _L40S,
        ),
        GpuPeak(
            "L4",
            "bfloat16",
            121.0,
            "L4: datasheet 242 TFLOPS BF16 'with sparsity'; dense is half (a 72 W part that "
            "clocks down under sustained load)",
            "PCIe Gen4 x16",
            32.0,
            _L4,
        ),
        GpuPeak(
            "A10G",
            "bfloat16",
            None,
            "A10G (g5) is an AWS-only part without an NVIDIA datasheet; the A10's 125 TFLOPS "
            "does not apply (the A10G has fewer tensor-core FLOPs)",
            "PCIe Gen4 x16",
            32.0,
            _A10,
        ),
        GpuPeak(
            "T4",
            "float16",
            65.0,
            "T4: datasheet mixed precision (FP16/FP32) 65 TFLOPS, dense (Turing has no bf16)",
            "PCIe Gen3 x16",
            16.0,
            _T4,
        ),
    )
}

# Device names as torch.cuda.get_device_name() reports them -> the table's key. Checked in
# order: the PCIe H100 before the SXM one ("NVIDIA H100 80GB HBM3" is the SXM module).
_DEVICE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"\bH100\b.*\bPCIe\b", "H100 PCIe"),
    (r"\bH100\b", "H100"),
    (r"\bH200\b", "H200"),
    (r"\bA100\b", "A100"),
    (r"\bV100\b", "V100"),
    (r"\bL40S\b", "L40S"),
    (r"\bL4\b", "L4"),
    (r"\bA10G\b", "A10G"),
    (r"\bT4\b", "T4"),
)


def for_model(model: str) -> GpuPeak | None:
    """The entry for a catalog GPU model name, or None when the table has none."""
    return PEAKS.get(model)


def for_device(device_name: str) -> GpuPeak | None:
    """The entry for a device name as CUDA reports it (`NVIDIA H100 80GB HBM3`), or None."""
    for pattern, model in _DEVICE_PATTERNS:
        if re.search(pattern, device_name, re.IGNORECASE):
            return PEAKS[model]
    return None


def markdown_table() -> str:
    """The table as docs/jobs.md shows it (a test keeps the two the same)."""
    lines = [
        "| model | matmul dtype | dense TFLOP/s | what the datasheet prints | link "
        "| GB/s per direction | source |",
        "| --- | --- | ---: | --- | --- | ---: | --- |",
    ]
    for p in PEAKS.values():
        tflops = "-" if p.matmul_tflops is None else f"{p.matmul_tflops:g}"
        link = "-" if p.link_gbps is None else f"{p.link_gbps:g}"
        lines.append(
            f"| {p.model} | {p.dtype} | {tflops} | {p.matmul_note} | {p.link} | {link} "
            f"| {p.source} |"
        )
    return "\n".join(lines) + "\n"
