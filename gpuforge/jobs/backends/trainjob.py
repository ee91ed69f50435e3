"""`trainjob`: a Kubeflow Trainer v2 TrainJob (`trainer.kubeflow.org/v1alpha1`).

Field names from kubeflow/trainer v2.3.0 (658725b),
`pkg/apis/trainer/v1alpha1/trainjob_types.go`. The job runs on the
`torch-distributed` ClusterTrainingRuntime that Trainer ships
(`charts/kubeflow-trainer/files/runtimes/torch-distributed.yaml`: one replicated job
and container, both named `node`). Trainer's torch plugin sets torchrun's `PET_NNODES`,
`PET_NPROC_PER_NODE`, `PET_NODE_RANK` (the completion index) and `PET_MASTER_ADDR`
(`<name>-node-0-0.<name>`, rank 0), so the command is `torchrun --max-restarts=N ...`
and the rendezvous is Trainer's static one on rank 0. Placement (node selector,
tolerations, service account, /dev/shm, labels) goes in `runtimePatches`, the
only place v2.3 allows it. What it cannot say: a PriorityClass (an explicit
`priority:` is refused) and a TTL after finishing (the runtime's).

Restarts: a TrainJob cannot set its JobSet's `failurePolicy` nor its Job's
`backoffLimit` (`JobSetSpecPatch` holds only `replicatedJobs`, `JobSpecPatch` only the
pod template: `trainjob_types.go:336-365`), and the chart's runtime sets neither. So
the Job keeps Kubernetes' default `backoffLimit: 6` (kubernetes/api@v0.35.0:
batch/v1/types.go:350): a lost pod (rank 0's too, whose loss ends every other agent
with the store) is recreated, the whole gang with it, until 7 pods have failed;
torchrun's `--max-restarts` restarts workers inside the pods. Rendezvous is torchrun's
static one (Trainer's `PET_MASTER_ADDR`), whose wait for every node is its `timeout`
(600 s by default, torch 2.13 `static_tcp_rendezvous.py:28,121`): set to a scale
from zero (`gang_timeouts.RENDEZVOUS_JOIN_SECONDS`).
"""

from __future__ import annotations

from gpuforge.jobs import pod, resources
from gpuforge.jobs.fit import Fit
from gpuforge.model import gang_timeouts, names, training_runtimes

RUNTIME = training_runtimes.TORCH_DISTRIBUTED
NODE = training_runtimes.NODE
"""Trainer's name for the trainer replicated job and its container (constants.Node)."""
PATCH_MANAGER = "gpuforge.dev/launch"


class TrainJobBackend:
    name = "trainjob"
    primary = resources.TRAINJOB
    priority_settable = False

    def render(self, fit: Fit) -> list[dict]:
        job, pool = fit.job, fit.pool
        argv = [
            "torchrun",
            f"--max-restarts={job.max_restarts}",
            f"--rdzv-conf=timeout={gang_timeouts.RENDEZVOUS_JOIN_SECONDS}",
            f"--shutdown-timeout={pod.SHUTDOWN_TIMEOUT_SECONDS}",
            *job.argv,
        ]
        labels = {"labels": pod.labels(fit)}
        pod_patch = {
            "metadata": labels,
            "spec": {
                "serviceAccountName": names.TRAINING_SERVICE_ACCOUNT,
                "nodeSelector": pod.node_selector(pool),
                "tolerations": pod.tolerations(pool),
                "securityContext": pod.POD_SECURITY,
                "volumes": [*pod.volumes(fit), *pod.data_volumes(fit)],
                "containers": [
                    {
                        "name": NODE,
                        "volumeMounts": [*pod.volume_mounts(), *pod.data_volume_mounts(fit)],
                        "securityContext": pod.CONTAINER_SECURITY,
                    }
                ],
            },
        }
        spec: dict = {
            "runtimeRef": {
                "name": RUNTIME,
                "apiGroup": "trainer.kubeflow.org",
                "kind": "ClusterTrainingRuntime",
            },
            "trainer": {
                "image": job.image,
                "command": pod.wait_for_dns("$PET_MASTER_ADDR", argv),
                "env": pod.env(fit, rendezvous=None),
                "numNodes": job.nodes,
                "numProcPerNode": fit.gpus_per_node,
                "resourcesPerNode": pod.resources(fit),
            },
            "runtimePatches": [
                {
                    "manager": PATCH_MANAGER,
                    "trainingRuntimeSpec": {
                        "template": {
                            "metadata": labels,
                            "spec": {
                                "replicatedJobs": [
                                    {
                                        "name": NODE,
                                        "template": {
                                            "metadata": labels,
                                            "spec": {"template": pod_patch},
                                        },
                                    }
                                ]
                            },
                        }
                    },
                }
            ],
            "activeDeadlineSeconds": job.timeout_seconds,
        }
        return [pod.workload(self.primary, fit, spec)]


BACKEND = TrainJobBackend()
