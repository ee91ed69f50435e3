"""Judge burn-in results: each GPU against its model's peak, and the gang as a whole.

Pure: takes the result lines the burn-in program prints (`gpuforge.jobs.burnin`),
looks each device up in `gpuforge.jobs.gpu_peaks`, and returns one row per rank
and the problems that fail the pool, each naming the node and GPU. Nothing is
compared that has no honest reference: a CPU, a model without a published
figure, a dtype other than the figure's are reported as measured and say why
they were not compared. Across nodes the bound is the network: on an EFA pool
(`Network`) each rank must have used aws-ofi-nccl with the efa provider (its own
NCCL log lines, `burnin_network`) and reach a fraction of the instance's EFA
bandwidth; a TCP fallback fails the pool. Across nodes without EFA the busbw is
reported, not compared.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from gpuforge.jobs import burnin_network, gpu_peaks
from gpuforge.jobs.burnin import MARKER

PASS = "pass"
BELOW = "below"
FAILED = "failed"
RAN = "ran"
"""Completed and correct, with nothing to compare against (CPU, unknown model)."""
NO_EFA = "no-efa"
"""A multi-node rank on an EFA pool whose NCCL did not use aws-ofi-nccl over EFA."""


@dataclass(frozen=True)
class Thresholds:
    """Fractions of the peak a GPU must reach."""

    matmul: float = gpu_peaks.DEFAULT_MATMUL_THRESHOLD
    busbw: float = gpu_peaks.DEFAULT_BUSBW_THRESHOLD
    efa_busbw: float = burnin_network.DEFAULT_EFA_BUSBW_THRESHOLD
    """Across nodes: busbw as a fraction of the instance's EFA bandwidth."""


@dataclass(frozen=True)
class Network:
    """The pool's network across nodes: what a multi-node burn-in must have used."""

    instance_type: str
    efa_gb_per_s: float
    """The instance's EFA bandwidth in GB/s (catalog `efa_gbps` / 8); 0 without EFA."""

    @property
    def efa(self) -> bool:
        return self.efa_gb_per_s > 0


@dataclass(frozen=True)
class Row:
    """One rank (one GPU, or one CPU process) and how it measured up."""

    node: str
    node_rank: int
    local_rank: int
    rank: int
    device: str
    device_uuid: str | None
    dtype: str
    matmul_tflops: float
    matmul_peak: float | None
    matmul_fraction: float | None
    busbw_gbps: float | None
    link: str | None
    link_peak_gbps: float | None
    busbw_fraction: float | None
    correct: bool
    status: str
    """`pass`, `below` (under a threshold), `failed` (wrong all-reduce sum), `no-efa`
    (across nodes on an EFA pool, NCCL did not use EFA) or `ran`."""
    notes: tuple[str, ...]
    """Why a figure was not compared, or how it fell short."""

    @property
    def gpu(self) -> str:
        """`node <node> GPU <local rank> (<device>[, <uuid>])`: how problems name it."""
        what = self.device + (f", {self.device_uuid}" if self.device_uuid else "")
        unit = "CPU process" if self.device == "cpu" else "GPU"
        return f"node {self.node} {unit} {self.local_rank} ({what})"


@dataclass
class Verdict:
    rows: list[Row]
    world_size: int
    thresholds: Thresholds
    problems: list[str] = field(default_factory=list)
    """One line per thing that fails the pool, naming the node and GPU."""
    notes: list[str] = field(default_factory=list)
    """What was not compared, and why (no fake comparisons)."""

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    @property
    def below(self) -> list[Row]:
        return [r for r in self.rows if r.status in (BELOW, FAILED, NO_EFA)]

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "world_size": self.world_size,
            "thresholds": asdict(self.thresholds),
            "problems": self.problems,
            "notes": self.notes,
            "rows": [asdict(r) | {"gpu": r.gpu} for r in self.rows],
        }


def parse_lines(text: str) -> list[dict]:
    """The burn-in results in `text`: lines holding a JSON object with the marker key.

    Anything before the `{` is ignored, so log lines prefixed with a rank or a pod
    name (`gpuforge logs`, torchrun's `[default0]:`) parse too.
    """
    out = []
    for line in text.splitlines():
        start = line.find("{")
        if start < 0:
            continue
        try:
            obj = json.loads(line[start:])
        except ValueError:
            continue
        if isinstance(obj, dict) and MARKER in obj:
            out.append(obj)
    return out


def judge(
    results: list[dict],
    thresholds: Thresholds | None = None,
    *,
    world_size: int | None = None,
    network: Network | None = None,
) -> Verdict:
    """Rows and problems for `results`; `world_size` is how many ranks should have reported;
    `network`: the pool's, against which a run across nodes is judged."""
    thresholds = thresholds or Thresholds()
    by_rank: dict[int, dict] = {}
    for result in results:
        by_rank.setdefault(int(result["rank"]), result)
    reported = {int(r["world_size"]) for r in by_rank.values()}
    expected = world_size or (max(reported) if reported else 0)
    verdict = Verdict(rows=[], world_size=expected, thresholds=thresholds)
    if not by_rank:
        verdict.problems.append("no rank reported a result (see the log above)")
        return verdict
    if len(reported) > 1:
        verdict.problems.append(f"ranks disagree on the world size: {sorted(reported)}")
    nodes = {r["node"] for r in by_rank.values()}
    for rank in sorted(by_rank):
        row = _row(by_rank[rank], thresholds, multi_node=len(nodes) > 1, network=network)
        verdict.rows.append(row)
        if row.status in (BELOW, FAILED, NO_EFA):
            verdict.problems.append(f"{row.gpu}: {'; '.join(row.notes)}")
    missing = sorted(set(range(expected)) - set(by_rank))
    if missing:
        verdict.problems.append(
            f"{len(missing)} of {expected} ranks reported nothing: rank "
            + ", ".join(map(str, missing))
        )
    if any(not r.get("all_ranks_correct", False) for r in by_rank.values()) and all(
        r.correct for r in verdict.rows
    ):
        verdict.problems.append("a rank that did not report saw a wrong all-reduce sum")
    verdict.notes = _notes(verdict.rows, len(nodes), network)
    return verdict


def _row(
    result: dict, thresholds: Thresholds, *, multi_node: bool, network: Network | None = None
) -> Row:
    device = str(result["device"])
    dtype = str(result["dtype"])
    peak = None if device == "cpu" else gpu_peaks.for_device(device)
    notes: list[str] = []
    status = PASS
    compared = False

    measured = float(result["matmul_tflops"])
    matmul_peak = matmul_fraction = None
    if peak is not None and peak.matmul_tflops is not None and peak.dtype == dtype:
        matmul_peak = peak.matmul_tflops
        matmul_fraction = measured / matmul_peak
        compared = True
        if matmul_fraction < thresholds.matmul:
            status = BELOW
            notes.append(
                f"matmul {measured:.1f} TFLOP/s is {matmul_fraction:.0%} of the "
                f"{matmul_peak:g} {dtype} peak (threshold {thresholds.matmul:.0%})"
            )

    busbw = result.get("busbw_gbps")
    link_peak = busbw_fraction = None
    link = peak.link if peak else None
    if busbw is not None and peak is not None and peak.link_gbps and not multi_node:
        link_peak = peak.link_gbps
        busbw_fraction = float(busbw) / link_peak
        compared = True
        if busbw_fraction < thresholds.busbw:
            status = BELOW
            notes.append(
                f"all-reduce bus bandwidth {busbw:.1f} GB/s is {busbw_fraction:.0%} of "
                f"{peak.link}'s {link_peak:g} GB/s (threshold {thresholds.busbw:.0%})"
            )

    if multi_node and network is not None and network.efa and busbw is not None:
        link = f"{network.instance_type} EFA"
        link_peak = network.efa_gb_per_s
        busbw_fraction = float(busbw) / link_peak
        compared = True
        why = burnin_network.problem(result.get("nccl_log"))
        if why is not None:
            status = NO_EFA
            notes.append(why)
        elif busbw_fraction < thresholds.efa_busbw:
            status = BELOW
            notes.append(
                f"all-reduce bus bandwidth across nodes {busbw:.1f} GB/s is "
                f"{busbw_fraction:.0%} of {link}'s {link_peak:g} GB/s "
                f"(threshold {thresholds.efa_busbw:.0%})"
            )

    correct = bool(result.get("allreduce_correct", False))
    if not correct:
        status = FAILED
        notes.insert(0, "all-reduce returned a wrong sum on this rank")
    elif not compared and status == PASS:
        status = RAN
    return Row(
        node=str(result["node"]),
        node_rank=int(result.get("node_rank", 0)),
        local_rank=int(result["local_rank"]),
        rank=int(result["rank"]),
        device=device,
        device_uuid=result.get("device_uuid"),
        dtype=dtype,
        matmul_tflops=measured,
        matmul_peak=matmul_peak,
        matmul_fraction=matmul_fraction,
        busbw_gbps=None if busbw is None else float(busbw),
        link=link,
        link_peak_gbps=link_peak,
        busbw_fraction=busbw_fraction,
        correct=correct,
        status=status,
        notes=tuple(notes),
    )


def _notes(rows: list[Row], nodes: int, network: Network | None = None) -> list[str]:
    """Why figures went uncompared: said once per reason, not once per row."""
    out: list[str] = []

    def add(line: str) -> None:
        if line not in out:
            out.append(line)

    for row in rows:
        if row.device == "cpu":
            add(
                "CPU run: there is no peak to compare with; judged only on completing and "
                "on every rank's all-reduce sum being right"
            )
            continue
        peak = gpu_peaks.for_device(row.device)
        if peak is None:
            add(f"{row.device}: no peak figure in the table (gpuforge.jobs.gpu_peaks)")
        elif peak.matmul_tflops is None:
            add(f"{row.device}: matmul not compared: {peak.matmul_note}")
        elif peak.dtype != row.dtype:
            add(f"{row.device}: matmul ran in {row.dtype}; the peak is for {peak.dtype}")
        if row.busbw_gbps is None:
            add("one rank: no all-reduce bandwidth to measure")
    if nodes > 1 and not (network is not None and network.efa):
        add(
            "bus bandwidth across nodes without EFA is bounded by the instance's TCP "
            "network, not the NVLink/PCIe figure: reported, not compared"
        )
    return out
