"""The GPU burn-in program: run under torchrun, one process per GPU, one JSON line per rank.

    torchrun --nproc-per-node 8 -m gpuforge.jobs.burnin [--size 8192] [--allreduce-mib 256]

Each rank measures
- matmul TFLOP/s on its own device: `iters` products of two `size` x `size` matrices,
  2·size³ FLOPs each, in bf16 (fp16 on GPUs without bf16 tensor cores, fp32 on CPU);
- all-reduce bandwidth through torch.distributed (NCCL on GPUs, gloo on CPU) of a
  `allreduce_mib` MiB float32 buffer: algorithm bandwidth algbw = bytes / time and
  bus bandwidth busbw = algbw · 2(n-1)/n, the formula of NVIDIA's nccl-tests
  (https://github.com/NVIDIA/nccl-tests/blob/master/doc/PERFORMANCE.md, "AllReduce"),
  which makes the figure comparable to the link's peak whatever the rank count;
- correctness: rank r contributes r+1, so every element of the sum must equal
  n(n+1)/2 on every rank; the ranks then agree on the outcome with a MIN all-reduce;
- which network NCCL chose: NCCL's own log (`NCCL_DEBUG=INFO`,
  `NCCL_DEBUG_SUBSYS=INIT,NET`) goes to a file per rank (`NCCL_DEBUG_FILE`), and the
  lines that name the network (`NCCL_KEEP`) go into the result as `nccl_log` and to
  stderr; `gpuforge.jobs.burnin_network` judges them (a multi-node rank on an EFA pool
  must have used aws-ofi-nccl with the efa provider).

It prints one JSON line per rank on stdout (`{"gpuforge_burnin": 1, ...}`; the
cluster logs carry it) and, with `--results DIR`, also writes `DIR/rank-<rank>.json`.
Exit 1 when the all-reduce sum is wrong on any rank.

The file imports only the standard library at the top and torch inside `main`, so
the rendered burn-in job ships this very file to the pods (a ConfigMap) and the
CLI can name it without loading torch.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

MARKER = "gpuforge_burnin"
"""Key (value: the format version) that marks a burn-in result line in a log."""
NODE_NAME_VAR = "NODE_NAME"
"""The Kubernetes node's name (downward API in the rendered pods; the hostname elsewhere)."""

NCCL_KEEP = ("Using network", "NET/OFI", "NET/Socket", "NET/Plugin", "NET/IB", "NCCL WARN")
"""What the program keeps of NCCL's log: the lines that say which network it chose
(`gpuforge.jobs.burnin_network` reads them)."""
NCCL_KEEP_MAX = 60

GPU_DEFAULTS = {"size": 8192, "iters": 50, "allreduce_mib": 256, "allreduce_iters": 20}
CPU_DEFAULTS = {"size": 256, "iters": 5, "allreduce_mib": 4, "allreduce_iters": 5}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="gpuforge-burnin", description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, help="Matrix dimension (GPU 8192, CPU 256).")
    parser.add_argument("--iters", type=int, help="Timed matmuls (GPU 50, CPU 5).")
    parser.add_argument("--allreduce-mib", type=int, help="All-reduce buffer (GPU 256, CPU 4).")
    parser.add_argument("--allreduce-iters", type=int, help="Timed all-reduces (GPU 20, CPU 5).")
    parser.add_argument("--results", type=Path, help="Also write DIR/rank-<rank>.json.")
    args = parser.parse_args(argv)
    for name in ("size", "iters", "allreduce_mib", "allreduce_iters"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def busbw(algbw: float, ranks: int) -> float:
    """nccl-tests' all-reduce bus bandwidth: algbw · 2(n-1)/n (0 for a single rank)."""
    return algbw * 2 * (ranks - 1) / ranks


def nccl_log_file() -> Path:
    """Turn NCCL's logging on into a file of this rank's own (before NCCL initializes)."""
    os.environ.setdefault("NCCL_DEBUG", "INFO")
    os.environ.setdefault("NCCL_DEBUG_SUBSYS", "INIT,NET")
    rank = os.environ.get("RANK", "0")
    path = Path(tempfile.gettempdir()) / f"gpuforge-burnin-nccl-{os.getpid()}-rank{rank}.log"
    os.environ["NCCL_DEBUG_FILE"] = str(path)
    return path


def nccl_lines(path: Path) -> list[str]:
    """The lines of NCCL's log that name its network (at most NCCL_KEEP_MAX)."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return []
    kept = [line for line in text.splitlines() if any(k in line for k in NCCL_KEEP)]
    return kept[:NCCL_KEEP_MAX]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch
    import torch.distributed as dist

    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    gpu = torch.cuda.is_available()
    if gpu:
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
        major, _ = torch.cuda.get_device_capability(device)
        dtype = torch.bfloat16 if major >= 8 else torch.float16  # bf16 tensor cores: sm_80+
        name = torch.cuda.get_device_name(device)
        uuid = str(getattr(torch.cuda.get_device_properties(device), "uuid", "")) or None
    else:
        device, dtype, name, uuid = torch.device("cpu"), torch.float32, "cpu", None
    defaults = GPU_DEFAULTS if gpu else CPU_DEFAULTS
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)

    nccl_log = nccl_log_file() if gpu else None
    dist.init_process_group("nccl" if gpu else "gloo")
    rank, world = dist.get_rank(), dist.get_world_size()

    def sync() -> None:
        if gpu:
            torch.cuda.synchronize(device)

    # -- matmul ---------------------------------------------------------------------
    gen = torch.Generator(device=device).manual_seed(rank)
    a = torch.randn(args.size, args.size, device=device, dtype=dtype, generator=gen)
    b = torch.randn(args.size, args.size, device=device, dtype=dtype, generator=gen)
    for _ in range(2):  # warm-up: kernel selection, clocks
        torch.mm(a, b)
    sync()
    start = time.perf_counter()
    for _ in range(args.iters):
        torch.mm(a, b)
    sync()
    matmul_s = time.perf_counter() - start
    tflops = 2 * args.size**3 * args.iters / matmul_s / 1e12
    del a, b

    # -- all-reduce: correctness, then bandwidth ---------------------------------------
    count = args.allreduce_mib * 2**20 // 4
    buf = torch.full((count,), float(rank + 1), device=device, dtype=torch.float32)
    dist.all_reduce(buf)
    sum_ok = bool(torch.all(buf == world * (world + 1) / 2).item())
    agree = torch.tensor([1 if sum_ok else 0], device=device, dtype=torch.int32)
    dist.all_reduce(agree, op=dist.ReduceOp.MIN)
    all_ok = bool(agree.item())
    dist.all_reduce(buf)  # warm-up at full size
    sync()
    dist.barrier()
    start = time.perf_counter()
    for _ in range(args.allreduce_iters):
        dist.all_reduce(buf)
    sync()
    allreduce_s = (time.perf_counter() - start) / args.allreduce_iters
    algbw = count * 4 / allreduce_s / 1e9

    result = {
        MARKER: 1,
        "node": os.environ.get(NODE_NAME_VAR) or socket.gethostname(),
        "node_rank": int(os.environ.get("GROUP_RANK", "0")),
        "local_rank": local_rank,
        "rank": rank,
        "world_size": world,
        "device": name,
        "device_uuid": uuid,
        "backend": dist.get_backend(),
        "dtype": str(dtype).removeprefix("torch."),
        "matmul_size": args.size,
        "matmul_tflops": round(tflops, 4),
        "allreduce_bytes": count * 4,
        "allreduce_seconds": allreduce_s,
        "algbw_gbps": round(algbw, 4),
        "busbw_gbps": round(busbw(algbw, world), 4) if world > 1 else None,
        "allreduce_correct": sum_ok,
        "all_ranks_correct": all_ok,
        "nccl_log": None if nccl_log is None else nccl_lines(nccl_log),
    }
    for kept in result["nccl_log"] or []:
        sys.stderr.write(f"[rank {rank}] {kept}\n")
    line = json.dumps(result)
    sys.stdout.write(line + "\n")  # one write: the ranks share stdout
    sys.stdout.flush()
    if args.results is not None:
        args.results.mkdir(parents=True, exist_ok=True)
        (args.results / f"rank-{rank}.json").write_text(line + "\n")
    dist.destroy_process_group()
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
