"""Pulumi component resources: the platform one environment is made of.

Each component module declares one component (`gpuforge:<module>:<Type>`):
`network`, `encryption`, `storage`, `cluster`, `gpu_pool`, `telemetry` (the GPU metrics
add-on), `runtime` (the in-cluster training runtime, through pulumi-kubernetes), `platform`. The
cluster is composed of part modules, one concern each, that declare plain
resources under the component that calls them (so their URNs are the
component's): `control_plane`, `access`, `addons`, `node_role`, `system_pool`,
`training_identity`; and `managed_node_group`, the launch template and managed node
group that the system pool and every GPU pool share. `_aws` holds small AWS
helpers (partition, policy JSON).

The facts they share with the rest of gpuforge (pool labels and taints, names,
tag keys) come from the pulumi-free `gpuforge.model`, never the other way round.
"""
