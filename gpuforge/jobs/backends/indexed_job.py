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

from gpuforge.jobs import contract, pod
from gpuforge.jobs.fit import check_fit
from gpuforge.jobs.spec import JobSpec
from gpuforge.model import names
from gpuforge.model.spec import EnvironmentSpec


class IndexedJobBackend:
    name = "indexed-job"
    primary = ("batch/v1", "Job", "jobs")
    priority_settable = True

    def render(self, job: JobSpec, env: EnvironmentSpec) -> list[dict]:
        fit = check_fit(job, env, priority_settable=self.priority_settable)
        rendezvous = pod.rendezvous_endpoint(job, env, rank0_pod=f"{job.name}-0")
        command = pod.gang_command(job, fit, rendezvous)
        spec = pod.pod_spec(job, env, fit, command, rendezvous)
        spec["subdomain"] = job.name
        service = {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": pod.metadata(job, fit, job.name),
            "spec": {
                "clusterIP": "None",
                "publishNotReadyAddresses": True,
                "selector": {names.JOB_LABEL: job.name},
                "ports": [{"name": "rendezvous", "port": contract.RENDEZVOUS_PORT}],
            },
        }
        template = {"metadata": {"labels": pod.labels(job, fit)}, "spec": spec}
        job_spec = pod.indexed_job_spec(job, fit, template)
        job_spec["ttlSecondsAfterFinished"] = pod.TTL_SECONDS_AFTER_FINISHED
        return [service, pod.workload(self.primary, job, fit, job_spec)]


BACKEND = IndexedJobBackend()
