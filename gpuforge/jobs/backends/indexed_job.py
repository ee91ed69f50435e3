"""`indexed-job`: a headless Service and an Indexed Job, nothing beyond Kubernetes itself.

- `completions = parallelism = nodes`, one pod per node; a pod's rank is its
  completion index. With the Service as `subdomain`, pod `<job>-<rank>` resolves as
  `<job>-<rank>.<job>.<namespace>.svc`; torchrun's c10d rendezvous runs on rank 0's name.
- The gang restarts together, whoever fails, rank 0 included: torchrun restarts
  nothing inside a pod (`pod.GANG_WORKER_RESTARTS`), so any pod's loss (a failure, a
  preemption, a drain) ends every rank, and the Job controller recreates every failed
  index: the whole gang starts again from the last checkpoint. `backoffLimit` counts
  failed pods, `nodes` per gang failure (`pod.gang_backoff_limit`), so the Job fails
  after `max_restarts` restarts. No pod failure policy (a `DisruptionTarget` loss
  counts like any other); `podReplacementPolicy: Failed` keeps rank 0's new pod from
  sharing its name with the old one. (The earlier `Ignore` rule for
  `DisruptionTarget` recreated only the lost pod: rank 0's loss took torchrun's store
  with it and the Job failed. `backoffLimitPerIndex` restarts one index alone.)
"""

from __future__ import annotations

from gpuforge.jobs import contract, pod, resources
from gpuforge.jobs.fit import Fit
from gpuforge.model import names


class IndexedJobBackend:
    name = "indexed-job"
    primary = resources.BATCH_JOB
    priority_settable = True

    def render(self, fit: Fit) -> list[dict]:
        rendezvous = pod.rendezvous_endpoint(fit, rank0_pod=f"{fit.name}-0")
        command = pod.gang_command(fit, rendezvous)
        spec = pod.pod_spec(fit, command, rendezvous)
        spec["subdomain"] = fit.name
        service = {
            "apiVersion": resources.SERVICE.api_version,
            "kind": resources.SERVICE.kind,
            "metadata": pod.metadata(fit, fit.name),
            "spec": {
                "clusterIP": "None",
                "publishNotReadyAddresses": True,
                "selector": {names.JOB_LABEL: fit.name},
                "ports": [{"name": "rendezvous", "port": contract.RENDEZVOUS_PORT}],
            },
        }
        template = {"metadata": {"labels": pod.labels(fit)}, "spec": spec}
        job_spec = pod.restarting_job_spec(fit, template)
        job_spec["ttlSecondsAfterFinished"] = pod.TTL_SECONDS_AFTER_FINISHED
        return [service, pod.workload(self.primary, fit, job_spec)]


BACKEND = IndexedJobBackend()
