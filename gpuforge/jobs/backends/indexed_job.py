"""`indexed-job`: a headless Service and an Indexed Job, nothing beyond Kubernetes itself.

- `completions = parallelism = nodes`, one pod per node; a pod's rank is its
  completion index. With the Service as `subdomain`, pod `<job>-<rank>` resolves as
  `<job>-<rank>.<job>.<namespace>.svc`; torchrun's c10d rendezvous runs on rank 0's name.
- The gang fails together: `backoffLimit: 0` and a pod failure policy that fails the
  Job on any non-zero exit, which stops every pod at once. Restarts happen inside the
  gang: torchrun `--max-restarts` restarts every rank's workers together (resume from
  the last checkpoint). A pod lost to a node drain or preemption (`DisruptionTarget`)
  is recreated without counting as a failure and rejoins the rendezvous.
  (`backoffLimitPerIndex` was the alternative; it restarts one pod while the others
  sit in a broken NCCL communicator, which is the hang this avoids.)
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
        job_spec = pod.indexed_job_spec(fit, template)
        job_spec["ttlSecondsAfterFinished"] = pod.TTL_SECONDS_AFTER_FINISHED
        return [service, pod.workload(self.primary, fit, job_spec)]


BACKEND = IndexedJobBackend()
