"""The package list: everything under `gpuforge/`, plus the brief's folders mapped into it.

pyproject.toml cannot say both "find the subpackages of gpuforge/" and "map these
outside folders in", so this file joins the two: `find_packages` for what sits at the
path of its import name, and the keys of `[tool.setuptools.package-dir]` for the rest.
"""

import tomllib
from pathlib import Path

from setuptools import find_packages, setup

PYPROJECT = tomllib.loads(Path(__file__).with_name("pyproject.toml").read_text())
MAPPED = PYPROJECT["tool"]["setuptools"]["package-dir"]

setup(packages=find_packages(include=["gpuforge", "gpuforge.*"]) + sorted(MAPPED))
