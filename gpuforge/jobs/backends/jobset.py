"""`jobset`: one JobSet (`jobset.x-k8s.io/v1alpha2`) holding the same Indexed Job.

Field names from kubernetes-sigs/jobset v0.12.0 (f22e565),
`api/jobset/v1alpha2/jobset_types.go`. JobSet makes the headless Service itself
(`network.subdomain`, default the JobSet's name) and names pods
`<jobset>-<replicatedJob>-<jobIndex>-<podIndex>`, so rank 0 is
`<name>-node-0-0.<name>.<namespace>.svc`. One replicated job, `node`, with
`completions = parallelism = nodes`: a pod's rank is its completion index.
The gang restarts together, whoever fails, rank 0 included: the child Job fails on
any pod's loss (`pod.GANG_FAILURE_POLICY`: `DisruptionTarget` or a non-zero exit), and
JobSet's `failurePolicy` recreates every child Job, up to `max_restarts` times
(`maxRestarts`; no rule, so every failure takes the default `RestartJobSet`,
`jobset_types.go:490-494`). `BlockingRecreate` (`:505-508`) deletes every old Job and
pod before it creates the new ones, so rank 0's new pod never meets the old one.
"""

from __future__ import annotations

from gpuforge.jobs import pod, resources
from gpuforge.jobs.fit import Fit

REPLICATED_JOB = "node"


class JobSetBackend:
    name = "jobset"
    primary = resources.JOBSET
    priority_settable = True

    def render(self, fit: Fit) -> list[dict]:
        job = fit.job
        rank0_pod = f"{job.name}-{REPLICATED_JOB}-0-0"
        rendezvous = pod.rendezvous_endpoint(fit, rank0_pod=rank0_pod)
        command = pod.gang_command(fit, rendezvous)
        template = {
            "metadata": {"labels": pod.labels(fit)},
            "spec": pod.pod_spec(fit, command, rendezvous),
        }
        spec: dict = {
            "replicatedJobs": [
                {
                    "name": REPLICATED_JOB,
                    "replicas": 1,
                    "template": {
                        "metadata": {"labels": pod.labels(fit)},
                        "spec": pod.indexed_job_spec(fit, template),
                    },
                }
            ],
            "network": {
                "enableDNSHostnames": True,
                "subdomain": job.name,
                "publishNotReadyAddresses": True,
            },
            "successPolicy": {"operator": "All"},
            "failurePolicy": {
                "maxRestarts": job.max_restarts,
                "restartStrategy": "BlockingRecreate",
            },
            "ttlSecondsAfterFinished": pod.TTL_SECONDS_AFTER_FINISHED,
        }
        return [pod.workload(self.primary, fit, spec)]


BACKEND = JobSetBackend()
