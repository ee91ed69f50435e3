"""Training jobs: the job spec, the fit check, manifest rendering, and the cluster they run on.

A launch is `check_fit(job, env)` -> `Fit` -> `backends.render(fit)` ->
`submit(fit, manifests)`. The spec, fit check and backends are pure: they never
import pulumi, boto3, moto or the kubernetes client, so `gpuforge launch --dry-run`
stays instant. The modules that talk to a cluster (`kube_client` with
`eks_access` and `kubeconfig`; `submit`, `listing`, `describe`, `job_logs`,
`cancel`) are imported only when a job is sent or read.
"""
