"""Pulumi component resources: the platform one environment is made of.

Each module declares one component (`gpuforge:<module>:<Type>`). The facts they
share with the rest of gpuforge (pool labels and taints, names, tag keys) come
from the pulumi-free `gpuforge.model`, never the other way round.
"""
