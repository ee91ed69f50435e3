"""Training jobs: the job spec, the fit check against an environment, and pure manifest rendering.

Nothing in this package talks to a cluster or imports pulumi, boto3, moto or the
kubernetes client; `gpuforge.jobs.cluster` (the one module that does) is imported
only when a job is actually sent.
"""
