"""Training data the trainer makes itself: sums written out, `12+7=19;`, as characters.

No download and no files: batch `step` of rank `rank` is a pure function of
(seed, step, rank), so a run resumed at step N sees exactly the batches an
uninterrupted run would have seen, and no data-loader state needs saving.
Part of each line (the sum) is predictable from the rest, so the loss falls
well below the uniform level, ln(vocabulary size).
"""

from __future__ import annotations

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
