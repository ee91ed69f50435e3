"""The Kubeflow Trainer runtime a TrainJob references, as Trainer's chart ships it.

Trainer v2.3.0's chart (kubeflow/trainer@658725b) creates the `torch-distributed`
ClusterTrainingRuntime only with `runtimes.torchDistributed.enabled` (or
`runtimes.defaultEnabled`), both false by default
(`charts/kubeflow-trainer/values.yaml:193,227`;
`templates/runtimes/_runtimes.tpl:63`). gpuforge's runtime turns it on
(`helm_charts.trainer_values`), and the emulated cluster serves this object, so both
read the runtime from here. Pure data.
"""

from __future__ import annotations

from typing import Any

TRAINER_API = "trainer.kubeflow.org/v1alpha1"
CLUSTER_TRAINING_RUNTIME_KIND = "ClusterTrainingRuntime"
TORCH_DISTRIBUTED = "torch-distributed"
ANCESTOR_LABEL = "trainer.kubeflow.org/trainjob-ancestor-step"
TRAINER_ANCESTOR = "trainer"
NODE = "node"
"""Trainer's name for the trainer replicated job and its container (`constants.Node`)."""
RUNTIME_IMAGE = "pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime"


def torch_distributed() -> dict[str, Any]:
    """`charts/kubeflow-trainer/files/runtimes/torch-distributed.yaml` at v2.3.0, rendered
    with the chart's default labels (`runtimes.commonLabels`)."""
    return {
        "apiVersion": TRAINER_API,
        "kind": CLUSTER_TRAINING_RUNTIME_KIND,
        "metadata": {
            "name": TORCH_DISTRIBUTED,
            "labels": {
                "trainer.kubeflow.org/framework": "torch",
                "trainer.kubeflow.org/webhook-validation": "disabled",
            },
        },
        "spec": {
            "mlPolicy": {"numNodes": 1, "torch": {}},
            "template": {
                "spec": {
                    "replicatedJobs": [
                        {
                            "name": NODE,
                            "template": {
                                "metadata": {"labels": {ANCESTOR_LABEL: TRAINER_ANCESTOR}},
                                "spec": {
                                    "template": {
                                        "spec": {
                                            "containers": [
                                                {
                                                    "name": NODE,
                                                    "image": RUNTIME_IMAGE,
                                                }
                                            ]
                                        }
                                    }
                                },
                            },
                        }
                    ]
                }
            },
        },
    }
