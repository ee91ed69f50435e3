"""The rank output the fault tests read: every record arrives whole, or the test says so.

torchrun's `--tee` tails each rank's log file and copies what it reads, line by line,
to its own stdout. A line it reads before the rank has written the newline is copied
without one, and the next output of any rank lands on the same line.
"""

from __future__ import annotations

import importlib.util
import io
import json
import sys

import pytest

from tests.local.launcher import TRAINER, parse_records


def test_records_are_read_per_rank_in_order():
    lines = ['[rank0]: {"event": "start"}', "[rank1]: warning", '[rank1]: {"step": 1}', "done"]
    assert parse_records(lines) == [(0, {"event": "start"}), (1, {"step": 1})]


@pytest.mark.parametrize(
    "line",
    [
        '[rank0]: {"step": 7, "loss": 1.5}[rank1]: {"event": "start"}',  # two records glued
        '[rank1]: a warning without its newline[rank0]: {"step": 7}',  # glued after text
        '[rank0]: {"step": 7, "lo',  # cut short
    ],
)
def test_a_record_that_is_not_whole_is_an_error_naming_its_line(line):
    with pytest.raises(AssertionError, match=r"output line 2 .*") as caught:
        parse_records(["[rank0]: {}", line])
    assert repr(line) in str(caught.value)


class _Writes(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def write(self, text: str) -> int:
        self.calls.append(text)
        return super().write(text)


def test_the_trainer_writes_each_record_whole_in_one_write(monkeypatch):
    """`print` writes the text and the newline in two calls: the gap the tail read into."""
    monkeypatch.syspath_prepend(str(TRAINER.parent))  # its sibling modules, as a script
    before = set(sys.modules)
    spec = importlib.util.spec_from_file_location("train", TRAINER)
    train = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(train)
    finally:  # `model`, `data`, `checkpoints`: names too common to leave behind
        for name in ("checkpoints", "data", "model"):
            if name not in before:
                sys.modules.pop(name, None)
    out = _Writes()
    monkeypatch.setattr("sys.stdout", out)
    train.log(step=3, loss=0.5)
    assert out.calls == [json.dumps({"step": 3, "loss": 0.5}) + "\n"]
