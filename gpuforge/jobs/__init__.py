"""Training jobs: the job spec, the fit check, manifest rendering, and the cluster they run on.

The spec, fit check and backends are pure: they never import pulumi, boto3, moto or
the kubernetes client, so `gpuforge launch --dry-run` stays instant. `kube`
(building an API client) and `cluster` (submit, describe, logs, cancel) are the
modules that talk to a cluster; they are imported only when a job is sent.
"""
