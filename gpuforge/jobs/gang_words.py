"""A job's size in words: "1 node x 1 GPU", "2 nodes x 8 GPUs"."""

from __future__ import annotations


def gang_words(nodes: int | None, gpus_per_node: int | None, unit: str = "GPU") -> str:
    """`nodes` x `gpus_per_node` with each count's noun in the right number ('?' if unknown)."""
    return f"{_count(nodes, 'node')} x {_count(gpus_per_node, unit)}"


def _count(n: int | None, noun: str) -> str:
    if n is None:
        return f"? {noun}s"
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
