"""Names, tag keys and label keys that several parts of gpuforge must agree on.

The Pulumi components create resources under these names; the policy rules
recognise resources by these tags; the job runner (and the in-cluster runtime)
address the cluster, namespace, service account and queues by them. Each is
written here once: other modules import it, and tests/test_one_place.py fails when
one of these strings is spelled out again in product code.
"""

from __future__ import annotations

import hashlib

# -- tags on AWS resources ------------------------------------------------------

TAG_PREFIX = "gpuforge.dev"
ENVIRONMENT_TAG = f"{TAG_PREFIX}/environment"
MANAGED_BY_TAG = f"{TAG_PREFIX}/managed-by"
MANAGED_BY = "gpuforge"
POOL_KEY = f"{TAG_PREFIX}/pool"
"""Names a GPU pool, under one key everywhere: the AWS tag on its node group (and launch
template and instances), the Kubernetes label on its nodes (job pods select on it), and
the annotation on a launched job."""
NODE_ROLE_KEY = f"{TAG_PREFIX}/node-role"
"""Marks the system node group and its nodes (tag and label, value `system`); never set
on GPU pools."""
BUCKET_TAG = f"{TAG_PREFIX}/bucket"
"""The logical name of a bucket (`datasets`, `checkpoints`)."""
PROTECTED_TAG = f"{TAG_PREFIX}/protected"
"""`"true"` on the resources of a protected (production) environment (spec `protected`)."""
TRAINING_ACCESS_TAG = f"{TAG_PREFIX}/training-access"
"""What training pods may do in a bucket (one of `TRAINING_ACCESS_MODES`): the policy
rules hold pod roles to it."""
READ_ONLY, READ_WRITE, NO_ACCESS = "read-only", "read-write", "none"
TRAINING_ACCESS_MODES = (READ_ONLY, READ_WRITE, NO_ACCESS)
"""The values of spec `storage.buckets[].training_access` and of `TRAINING_ACCESS_TAG`."""

# -- Kubernetes labels ----------------------------------------------------------

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
"""Kubernetes' recommended label for the tool that manages an object (value `MANAGED_BY`):
on the runtime's objects and on every job object; `status` and `cancel` select on it."""
MANAGED_LABELS = {MANAGED_BY_LABEL: MANAGED_BY}
"""Labels on every Kubernetes object gpuforge applies."""
GPU_MODEL_LABEL = f"{TAG_PREFIX}/gpu-model"
JOB_LABEL = f"{TAG_PREFIX}/job"
ENVIRONMENT_LABEL = ENVIRONMENT_TAG
"""On every object of a job: the environment that launched it. Environments can share a
cluster and a namespace; `gpuforge jobs -e ENV` lists only ENV's jobs by it."""
ACCELERATOR_LABEL = "k8s.amazonaws.com/accelerator"
"""The label cluster-autoscaler's AWS provider reads as "this node has a GPU" (value: the
GPU type, `nvidia-h100`): with it the autoscaler treats a new node as not ready until the
device plugin advertises `nvidia.com/gpu`, instead of scaling up again meanwhile.
kubernetes/autoscaler@5a0b98e45f896e98132737240ac131a519d3b33d (chart 9.59.0):
cluster-autoscaler/cloudprovider/aws/aws_cloud_provider.go:50 (`GPULabel`) and
cluster-autoscaler/cloudprovider/aws/README.md:272-286 ("Special note on GPU instances")."""
SYSTEM_NODE_ROLE = "system"

# -- cluster-autoscaler tags ----------------------------------------------------

AUTOSCALER_TAG_PREFIX = "k8s.io/cluster-autoscaler"
AUTOSCALER_ENABLED_TAG = f"{AUTOSCALER_TAG_PREFIX}/enabled"
NODE_TEMPLATE_TAG_PREFIX = f"{AUTOSCALER_TAG_PREFIX}/node-template/"
"""Auto Scaling group tags under this prefix describe a node the group would start
(`label/<key>`, `taint/<key>`, `resources/<name>`, `autoscaling-options/<option>`), so the
autoscaler can scale a group up from zero."""


def autoscaler_owner_tag(cluster_name: str) -> str:
    """The discovery tag that ties an Auto Scaling group to its cluster (value `owned`)."""
    return f"{AUTOSCALER_TAG_PREFIX}/{cluster_name}"


def autoscaler_discovery_tags(cluster_name: str) -> dict[str, str]:
    """The two tags cluster-autoscaler's auto-discovery finds a cluster's groups by; EKS
    puts them on every managed node group's Auto Scaling group."""
    return {AUTOSCALER_ENABLED_TAG: "true", autoscaler_owner_tag(cluster_name): "owned"}


def node_template_tag(kind: str, name: str) -> str:
    """A node-template tag key: `node_template_tag("label", POOL_KEY)` and so on."""
    return f"{NODE_TEMPLATE_TAG_PREFIX}{kind}/{name}"


# -- EKS -------------------------------------------------------------------------

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
"""Every EKS control-plane log type; the secure default enables all of them."""

TRAINING_SERVICE_ACCOUNT = "training"
"""Service account in the training namespace bound to the training IAM role (Pod Identity)."""

LOCAL_QUEUE = "training"
"""Kueue LocalQueue in the training namespace that jobs are submitted to."""

CLUSTER_QUEUE_PREFIX = "gpuforge"

KUEUE_QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
"""Label that submits a workload (Job, JobSet, TrainJob) to a Kueue LocalQueue (API v1beta2)."""

PRIORITIES = ("high", "normal", "low")

JOB_BACKENDS = ("indexed-job", "jobset", "trainjob")
"""The job backends (`backend:` of a job spec); an environment offers some of them
(`training.backends`), and its runtime installs their controllers."""
DEFAULT_JOB_BACKEND = "indexed-job"
"""Job priorities; each is a cluster PriorityClass named by `priority_class`."""

BUCKETS_CONFIGMAP = "gpuforge-buckets"
"""ConfigMap in the training namespace: logical bucket name -> physical bucket name.

Job pods read their checkpoint bucket from it (the physical name carries a hash of
the AWS account, which a dry run does not know); the training runtime writes it.
"""

PRIORITY_CLASSES = {level: f"gpuforge-{level}" for level in PRIORITIES}
"""PriorityClass name by level (`priority_class`); the runtime creates them, jobs name one."""

DEFAULT_PRIORITY = "normal"
"""The level a job gets when it names none."""

CLUSTER_AUTOSCALER_NAMESPACE = "kube-system"
CLUSTER_AUTOSCALER_SERVICE_ACCOUNT = "cluster-autoscaler"
"""Service account of cluster-autoscaler, bound to its IAM role through EKS Pod Identity."""


def cluster_name(environment: str) -> str:
    """The EKS cluster (and Pulumi platform component) name of an environment."""
    return f"gpuforge-{environment}"


def cluster_queue(environment: str) -> str:
    """The Kueue ClusterQueue of an environment."""
    return f"{CLUSTER_QUEUE_PREFIX}-{environment}"


def resource_flavor(pool: str) -> str:
    """The Kueue ResourceFlavor of a GPU pool."""
    return f"pool-{pool}"


def priority_class(priority: str) -> str:
    """The PriorityClass of a job priority (`high`, `normal`, `low`)."""
    return PRIORITY_CLASSES[priority]


def secrets_alias(environment: str) -> str:
    """The KMS alias of the key that encrypts the environment's Pulumi secrets."""
    return f"alias/gpuforge-{environment}-pulumi-secrets"


# -- S3 ---------------------------------------------------------------------------

BUCKET_SUFFIX_LENGTH = 7

ACCESS_LOGS_BUCKET = "access-logs"
"""Logical name of the bucket that receives the data buckets' S3 server access logs.

Reserved: a `storage.buckets` entry may not use it.
"""


def bucket_name(account: str, region: str, environment: str, bucket: str) -> str:
    """The physical name of logical bucket `bucket`: `gpuforge-<env>-<bucket>-<suffix>`.

    `<suffix>` is the first 7 hex digits of sha256(`<account>/<region>/<env>/<bucket>`):
    stable across runs and stacks (no random state to lose) and unique per account
    and region (S3 names are global).
    """
    digest = hashlib.sha256(f"{account}/{region}/{environment}/{bucket}".encode()).hexdigest()
    return f"{bucket_prefix(environment, bucket)}{digest[:BUCKET_SUFFIX_LENGTH]}"


def bucket_prefix(environment: str, bucket: str) -> str:
    """Everything of a bucket's physical name before the hash suffix."""
    return f"gpuforge-{environment}-{bucket}-"


def bucket_name_length(environment: str, bucket: str) -> int:
    """Length of the physical bucket name (what S3's 63-character limit applies to)."""
    return len(bucket_prefix(environment, bucket)) + BUCKET_SUFFIX_LENGTH


# -- teams ------------------------------------------------------------------------

DEFAULT_TEAM = "default"
"""The team of an environment without `teams:` (namespace `training.namespace`, the
environment's ClusterQueue); shown in `jobs` and `status`."""
TEAM_LABEL = f"{TAG_PREFIX}/team"
"""Names a job's team: on its objects (`jobs --all-teams` reads it) and on a team's
namespace."""


def cohort(environment: str) -> str:
    """The Kueue cohort of an environment's team ClusterQueues."""
    return f"{CLUSTER_QUEUE_PREFIX}-{environment}"


def team_cluster_queue(environment: str, team: str) -> str:
    """The Kueue ClusterQueue of a team."""
    return f"{CLUSTER_QUEUE_PREFIX}-{environment}-{team}"


# -- shared file systems (storage.filesystems) -------------------------------------

FSX_CSI_DRIVER = "fsx.csi.aws.com"
"""The FSx for Lustre CSI driver's name (a PersistentVolume's `csi.driver`).
kubernetes-sigs/aws-fsx-csi-driver@5b227125add708cd0b87c76abe1a4c074e71dfc5:
examples/kubernetes/static_provisioning/specs/pv.yaml:15."""
S3_CSI_DRIVER = "s3.csi.aws.com"
"""The Mountpoint for S3 CSI driver's name.
awslabs/mountpoint-s3-csi-driver@57c6bedb46e2c1281883b80dad4d5d54b438b0de:
examples/kubernetes/static_provisioning/static_provisioning.yaml:19."""
FILESYSTEM_TAG = f"{TAG_PREFIX}/filesystem"
"""The `storage.filesystems[].name` of an FSx file system, its security group and links."""


def data_volume_name(environment: str, filesystem: str, team: str | None = None) -> str:
    """The cluster-scoped PersistentVolume of a file system (one per team with teams)."""
    return (
        f"gpuforge-{environment}-{team}-{filesystem}"
        if team
        else (f"gpuforge-{environment}-{filesystem}")
    )


def data_claim_name(filesystem: str) -> str:
    """The PersistentVolumeClaim (in the training namespace, or each team's) jobs mount a
    file system by."""
    return f"data-{filesystem}"


DATASETS_BUCKET = "datasets"
"""The logical name of the bucket jobs read their training data from: an input every job
shares, so pods never write it (GF-IAM-007), whatever its `training_access` says."""
