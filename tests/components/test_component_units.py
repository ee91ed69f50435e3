"""Pure helpers of the components: AMI and taint choice per accelerator, bucket names."""

from __future__ import annotations

from gpuforge.model.names import bucket_name
from gpuforge.model.pools import ami_type, autoscaler_tags, node_labels, node_taints
from gpuforge.model.spec import GpuPoolSpec


def test_ami_type_follows_the_accelerator():
    assert ami_type(GpuPoolSpec(name="a", instance_type="p5.48xlarge")) == "AL2023_x86_64_NVIDIA"
    assert ami_type(GpuPoolSpec(name="b", instance_type="g5g.xlarge")) == "AL2023_ARM_64_NVIDIA"
    assert ami_type(GpuPoolSpec(name="c", instance_type="trn1.32xlarge")) == (
        "AL2023_x86_64_NEURON"
    )


def test_neuron_pool_gets_the_neuron_taint_and_no_nvidia_label():
    pool = GpuPoolSpec(name="trn", instance_type="trn1.32xlarge")
    assert node_taints(pool)[0] == {
        "key": "aws.amazon.com/neuron",
        "value": "true",
        "effect": "NoSchedule",
    }
    assert "nvidia.com/gpu.present" not in node_labels(pool)


def test_spec_taints_and_labels_are_added():
    pool = GpuPoolSpec(
        name="l4",
        instance_type="g6.xlarge",
        labels={"team": "vision"},
        taints=[{"key": "dedicated", "value": "vision", "effect": "NoExecute"}],
    )
    taints = node_taints(pool)
    assert taints[1] == {"key": "dedicated", "value": "vision", "effect": "NoExecute"}
    tags = autoscaler_tags(pool, "gpuforge-dev")
    template = "k8s.io/cluster-autoscaler/node-template"
    assert tags[f"{template}/label/team"] == "vision"
    assert tags[f"{template}/taint/dedicated"] == "vision:NoExecute"
    assert tags[f"{template}/resources/nvidia.com/gpu"] == "1"


def test_bucket_names_are_deterministic_and_fit():
    a = bucket_name("123456789012", "us-east-1", "dev", "datasets")
    assert a == bucket_name("123456789012", "us-east-1", "dev", "datasets")
    assert a != bucket_name("210987654321", "us-east-1", "dev", "datasets")
    assert a.startswith("gpuforge-dev-datasets-") and len(a) == len("gpuforge-dev-datasets-") + 7
