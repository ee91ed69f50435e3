"""Every shipped example job runs a program that ships, or says where its program comes from."""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import ROOT

EXAMPLES = sorted((ROOT / "examples" / "jobs").glob("*.yaml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_each_example_names_a_program_that_ships_or_says_whose_it_is(example):
    text = example.read_text()
    command = yaml.safe_load(text)["command"]
    if command[0] == "-m":
        module = command[1]
        header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
        assert f"`{module}`" in header and "your own code" in header, (
            f"{example.name}: runs module {module}, which gpuforge does not ship; "
            "its header must say it is the user's own code"
        )
        return
    program = ROOT / command[0]
    assert program.is_file(), f"{example.name}: {command[0]} does not exist in this repository"
    # the training image copies examples/trainer/ to the same relative path
    assert command[0].startswith("examples/trainer/")
