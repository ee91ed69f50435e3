"""The reference trainer: run `train.py` as a script (torchrun examples/trainer/train.py).

It ships inside gpuforge as `gpuforge.reference_trainer` only as data, for
`gpuforge image render --out DIR`; nothing imports this package.
"""
