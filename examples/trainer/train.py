"""Reference trainer: a tiny GPT on generated data, under torchrun, with checkpoints.

    torchrun --standalone --nproc-per-node 2 examples/trainer/train.py --steps 40
    gpuforge launch examples/jobs/tiny-gpt.yaml -e dev --local

What it shows, in a program small enough to copy:
- DDP by default, FSDP (`fully_shard`) with `--strategy fsdp`; NCCL and bf16
  autocast on GPUs, gloo and fp32 on CPU; fixed seeds, and batches that are a
  function of the step, so a resumed run continues exactly where it stopped.
- one JSON line per step on stdout from rank 0 (step, loss, tokens/s) and one per
  event (start, checkpoint, stop) from every rank.
- checkpoints to `GPUFORGE_CHECKPOINT_URI` (`s3://` or `file://`) every
  `GPUFORGE_CHECKPOINT_EVERY_STEPS` steps and at the end, shards first and a
  manifest last (see checkpoints.py); on start it resumes from the newest
  complete one.
- SIGTERM (a spot interruption notice, `kubectl delete`, Ctrl-C through gpuforge)
  stops every rank at the same step, writes a checkpoint and exits 0.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import socket
import sys
import time
from datetime import timedelta

import checkpoints
import data
import torch
import torch.distributed as dist
from model import GPTConfig, TinyGPT
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_state_dict,
    set_state_dict,
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=40, help="Train until this step.")
    p.add_argument("--batch-size", type=int, default=8, help="Sequences per rank per step.")
    p.add_argument("--seq-len", type=int, default=64)
    p.add_argument("--d-model", type=int, default=128)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--strategy", choices=("ddp", "fsdp"), default="ddp")
    p.add_argument(
        "--checkpoint-uri",
        default=os.environ.get("GPUFORGE_CHECKPOINT_URI"),
        help="s3://bucket/prefix or file:///dir (default: $GPUFORGE_CHECKPOINT_URI; none: "
        "no checkpoints).",
    )
    p.add_argument(
        "--checkpoint-every",
        type=int,
        default=int(os.environ.get("GPUFORGE_CHECKPOINT_EVERY_STEPS", "100")),
        help="Steps between checkpoints (default: $GPUFORGE_CHECKPOINT_EVERY_STEPS or 100).",
    )
    p.add_argument(
        "--keep",
        type=int,
        default=3,
        help="Checkpoints to keep (older are deleted; 0 keeps all).",
    )
    p.add_argument(
        "--data",
        default=None,
        help="Train on the *.txt files under a job's data mount: MOUNT[/SUBDIR] (the mount's "
        "directory from $GPUFORGE_DATA_<MOUNT>) or an absolute path. Default: generated data.",
    )
    p.add_argument(
        "--multipart-mb",
        type=int,
        default=checkpoints.PART_BYTES // 2**20,
        help="S3 multipart threshold and part size in MiB (S3's minimum part is 5).",
    )
    return p.parse_args(argv)


def log(**fields) -> None:
    """One JSON line on stdout, written whole in one write.

    `print` writes the text and its newline separately (two write calls under
    PYTHONUNBUFFERED, which `gpuforge launch --local` sets), so torchrun's `--tee`,
    which tails the rank's log file, could read the line before its newline and glue
    the next output of any rank onto it.
    """
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


class StopFlag:
    """Set by SIGTERM/SIGINT; every rank agrees on it at the end of each step."""

    def __init__(self) -> None:
        self.signal: int | None = None
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._set)

    def _set(self, signum, frame) -> None:
        self.signal = signum


def setup_distributed() -> tuple[int, int, int, torch.device]:
    """Join torchrun's process group (or make a group of one when run as plain python)."""
    if "RANK" not in os.environ:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        os.environ.update(
            RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
        )
    rank, local_rank = int(os.environ["RANK"]), int(os.environ["LOCAL_RANK"])
    world = int(os.environ["WORLD_SIZE"])
    if torch.cuda.is_available():
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
        backend, extra = "nccl", {"device_id": device}
    else:
        device = torch.device("cpu")
        backend, extra = "gloo", {}
    dist.init_process_group(backend, store=_store(world), rank=rank, world_size=world, **extra)
    return rank, local_rank, world, device


def _store(world: int) -> dist.Store | None:
    """torchrun's store, under a prefix per restart of the gang.

    torchrun (2.13) hands every restarted gang the same agent store, and the
    process group's keys carry no attempt number, so a restarted gang can read
    the addresses of the dead one and fail to connect. A prefix per attempt
    keeps the gangs apart.
    """
    if os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True":
        return None  # not under torchrun's agent: init_process_group uses env://
    store = dist.TCPStore(
        os.environ["MASTER_ADDR"],
        int(os.environ["MASTER_PORT"]),
        world,
        is_master=False,
        timeout=timedelta(minutes=10),
    )
    return dist.PrefixStore(f"attempt-{os.environ.get('TORCHELASTIC_RESTART_COUNT', '0')}", store)


def wrap(model: torch.nn.Module, strategy: str, device: torch.device) -> torch.nn.Module:
    if strategy == "fsdp":
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard

        mesh = init_device_mesh(device.type, (dist.get_world_size(),))
        for block in model.blocks:
            fully_shard(block, mesh=mesh)
        return fully_shard(model, mesh=mesh)
    from torch.nn.parallel import DistributedDataParallel

    return DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None
    )


def to_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def save_checkpoint(store, step, model, optimizer, rank, world, args, reason) -> None:
    """Gather full state dicts (a collective under FSDP); rank 0 writes them."""
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    model_sd, optim_sd = get_state_dict(model, optimizer, options=options)
    if rank == 0:
        started = time.perf_counter()
        shards = {"model.pt": to_bytes(model_sd), "optimizer.pt": to_bytes(optim_sd)}
        meta = {"world_size": world, "strategy": args.strategy, "reason": reason}
        checkpoints.save(store, step, shards, meta)
        if args.keep and not checkpoints.prune(store, args.keep):
            args.keep = 0  # warned once; the bucket's lifecycle rules are the only pruning
            log(
                event="warning",
                message="the checkpoint store refuses deletes (a team role has no "
                "s3:DeleteObject): older checkpoints are kept from now on",
            )
        seconds = round(time.perf_counter() - started, 3)
        log(event="checkpoint", rank=rank, step=step, uri=store.uri, reason=reason, seconds=seconds)
    dist.barrier()


def resume(store, model, optimizer, rank, device) -> int:
    """Load the newest complete checkpoint (rank 0 picks it, every rank reads it); its step."""
    step = 0
    if rank == 0:
        step = checkpoints.latest(store, warn=lambda m: log(event="warning", message=m)) or 0
    picked = torch.tensor([step], dtype=torch.int64, device=device)
    dist.broadcast(picked, src=0)
    step = int(picked.item())
    if step == 0:
        return 0
    _, shards = checkpoints.read(store, step)
    model_sd = torch.load(io.BytesIO(shards["model.pt"]), weights_only=True)
    optim_sd = torch.load(io.BytesIO(shards["optimizer.pt"]), weights_only=True)
    set_state_dict(
        model,
        optimizer,
        model_state_dict=model_sd,
        optim_state_dict=optim_sd,
        options=StateDictOptions(full_state_dict=True),
    )
    return step


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    stop = StopFlag()
    rank, _, world, device = setup_distributed()
    torch.manual_seed(args.seed)
    cfg = GPTConfig(data.VOCAB_SIZE, args.seq_len, args.d_model, args.layers, args.heads)
    model = wrap(TinyGPT(cfg).to(device), args.strategy, device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    checkpoints.PART_BYTES = args.multipart_mb * 2**20
    store = checkpoints.open_store(args.checkpoint_uri) if args.checkpoint_uri else None
    start = resume(store, model, optimizer, rank, device) if store is not None else 0
    folder = data.mounted_folder(args.data) if args.data else None
    tokens = data.load_tokens(folder) if folder else None
    log(
        event="start",
        rank=rank,
        pid=os.getpid(),
        world_size=world,
        device=str(device),
        strategy=args.strategy,
        restart=int(os.environ.get("TORCHELASTIC_RESTART_COUNT", "0")),
        resumed_from=start or None,
        checkpoint_uri=store.uri if store else None,
        data=str(folder) if folder else "generated",
        data_tokens=len(tokens) if tokens is not None else None,
    )
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    tokens_per_step = args.batch_size * args.seq_len * world
    saved = start
    step = start
    for step in range(start + 1, args.steps + 1):
        began = time.perf_counter()
        shape = dict(seed=args.seed, step=step, rank=rank, batch_size=args.batch_size)
        if tokens is None:
            inputs, targets = data.batch(**shape, seq_len=args.seq_len)
        else:
            inputs, targets = data.file_batch(tokens, **shape, seq_len=args.seq_len)
        with autocast:
            loss = model(inputs.to(device), targets.to(device))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        # One all-reduce per step: the mean loss and whether any rank was asked to stop.
        stats = torch.tensor([loss.item(), float(stop.signal is not None)], device=device)
        dist.all_reduce(stats)
        if rank == 0:
            seconds = time.perf_counter() - began
            log(
                step=step,
                loss=round(stats[0].item() / world, 6),
                tokens_per_s=round(tokens_per_step / seconds, 1),
            )
        stopping = stats[1].item() > 0
        due = step % args.checkpoint_every == 0 or step == args.steps or stopping
        if store is not None and due:
            reason = "stop" if stopping else "interval" if step < args.steps else "final"
            save_checkpoint(store, step, model, optimizer, rank, world, args, reason)
            saved = step
        if stopping:
            log(event="stopped", rank=rank, step=step, checkpoint=saved if store else None)
            break
    del model, optimizer  # DDP's reducer holds the process group and its last buckets
    tear_down()
    return 0


_KEPT: list = []


def tear_down() -> None:
    """Leave the process group in an order that cannot deadlock at exit.

    gloo's backend has no shutdown of its own (torch 2.13: `Backend::shutdown` is a no-op,
    torch/include/torch/csrc/distributed/c10d/Backend.hpp:529, which ProcessGroupGloo.hpp
    does not override), so its worker threads (`threads_`, ProcessGroupGloo.hpp:462) are
    joined in `~ProcessGroupGloo` (ProcessGroupGloo.hpp:302), which runs wherever the last
    Python reference to the group drops: in `destroy_process_group` when it clears
    `_world.pg_map` (torch/distributed/distributed_c10d.py:2402-2410), or during interpreter
    teardown. That thread holds the GIL while it joins; a gloo worker that is still freeing
    a finished work's tensors needs the GIL to release their Python objects, and the two
    wait for each other (gdb, issue 23). So: a barrier (every rank is past its last
    collective), the model and optimizer already dropped, the group destroyed while this
    function still holds a reference to it (no destructor runs here), then the process
    leaves with `os._exit` after flushing, so the destructor never runs at all. Every rank
    is past the barrier, so no peer waits on these sockets.
    """
    dist.barrier()
    _KEPT.append(dist.group.WORLD)
    dist.destroy_process_group()


def exit_now(code: int) -> None:
    """Flush and leave without interpreter teardown (see `tear_down`)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
