"""Training data: sums written out, `12+7=19;`, as characters, made here or read from a mount.

No download and no files: batch `step` of rank `rank` is a pure function of
(seed, step, rank), so a run resumed at step N sees exactly the batches an
uninterrupted run would have seen, and no data-loader state needs saving.
Part of each line (the sum) is predictable from the rest, so the loss falls
well below the uniform level, ln(vocabulary size).
"""

from __future__ import annotations

import os
from pathlib import Path

import torch

VOCAB = "0123456789+=;"
VOCAB_SIZE = len(VOCAB)


def _line(gen: torch.Generator) -> list[int]:
    a, b = (int(x) for x in torch.randint(0, 100, (2,), generator=gen))
    return [VOCAB.index(ch) for ch in f"{a}+{b}={a + b};"]


def batch(
    *, seed: int, step: int, rank: int, batch_size: int, seq_len: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs and next-token targets, each `batch_size x seq_len` token ids."""
    gen = torch.Generator().manual_seed(seed * 1_000_003 + step * 7919 + rank)
    rows = []
    for _ in range(batch_size):
        tokens: list[int] = []
        while len(tokens) < seq_len + 1:
            tokens += _line(gen)
        rows.append(tokens[: seq_len + 1])
    data = torch.tensor(rows, dtype=torch.long)
    return data[:, :-1], data[:, 1:]


# -- data read from a job's `data:` mount -------------------------------------------------


def mounted_folder(spec: str) -> Path:
    """`MOUNT[/SUBDIR]` -> $GPUFORGE_DATA_<MOUNT>/SUBDIR (an absolute path is used as is)."""
    if spec.startswith("/"):
        return Path(spec)
    mount, _, sub = spec.partition("/")
    var = "GPUFORGE_DATA_" + mount.upper().replace("-", "_")
    base = os.environ.get(var)
    if not base:
        raise SystemExit(f"--data {spec}: ${var} is not set (is {mount} in the job's data:?)")
    return Path(base) / sub if sub else Path(base)


def load_tokens(folder: Path) -> torch.Tensor:
    """Every vocabulary character of the *.txt files under `folder`, in path order."""
    files = sorted(Path(folder).rglob("*.txt"))
    text = "".join(f.read_text(errors="ignore") for f in files)
    ids = [VOCAB.index(ch) for ch in text if ch in VOCAB]
    if len(ids) < 2:
        raise SystemExit(f"no training text (*.txt of {VOCAB!r}) under {folder}")
    return torch.tensor(ids, dtype=torch.long)


def write_sample(folder: Path, lines: int, seed: int = 0) -> Path:
    """A text file of `lines` sums under `folder` (what a dataset bucket might hold)."""
    gen = torch.Generator().manual_seed(seed)
    text = "".join("".join(VOCAB[i] for i in _line(gen)) for _ in range(lines))
    path = Path(folder) / "sums.txt"
    path.write_text(text)
    return path


def file_batch(
    tokens: torch.Tensor, *, seed: int, step: int, rank: int, batch_size: int, seq_len: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Windows of the token stream at offsets drawn from (seed, step, rank), like `batch`."""
    span = seq_len + 1
    if len(tokens) < span:
        tokens = tokens.repeat(span // len(tokens) + 1)
    gen = torch.Generator().manual_seed(seed * 1_000_003 + step * 7919 + rank)
    starts = torch.randint(0, len(tokens) - span + 1, (batch_size,), generator=gen)
    data = torch.stack([tokens[int(s) : int(s) + span] for s in starts])
    return data[:, :-1], data[:, 1:]
