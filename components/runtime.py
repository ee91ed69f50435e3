"""The in-cluster training runtime: what makes a new EKS cluster ready for training jobs.

`TrainingRuntime` declares, through its own Kubernetes provider (never the ambient
kubeconfig), built from the cluster's endpoint and CA with an `aws eks get-token`
exec credential (nothing written to disk):

- the training namespace (Pod Security `restricted` enforced, pinned) and the `training`
  service account that the training role's Pod Identity association binds;
- NetworkPolicies: default deny, then the job's peers, DNS, the VPC endpoints and S3
  (`gpuforge.model.network_policy`);
- a ResourceQuota on `requests.nvidia.com/gpu` (`training.max_gpus`) and a LimitRange;
- PriorityClasses `gpuforge-high|normal|low` (`gpuforge.model.names`);
- the NVIDIA device plugin on the NVIDIA pools' nodes only (tolerating their taints),
  and the EFA device plugin on the EFA pools' nodes;
- with `training.queueing: kueue`: Kueue, one ResourceFlavor per GPU pool, the
  environment's ClusterQueue (each flavor's quota = the pool's max nodes x what one
  node offers) and the LocalQueue jobs are submitted to;
- with `autoscaling.enabled`: cluster-autoscaler on the system nodes, discovering this
  cluster's groups, with the priority expander naming each pool's Auto Scaling group
  (its AWS role is `autoscaler.ClusterAutoscalerIdentity`, in the `aws` layer).

Every object and chart value comes from the pulumi-free model (pure, shared with the
policy rules and the plan): `gpuforge.model.training_namespace`, `helm_charts` (chart
versions are pinned there, in `CHARTS`), `kueue`, `cluster_autoscaler` and `kubeconfig`. Charts are
`helm.v3.Release`s: Helm installs them in the cluster, and `pulumi preview` (and
`gpuforge plan`) see the chart, its version and values without rendering it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from gpuforge.components import _aws, data_volumes
from gpuforge.model import (
    helm_charts,
    kueue,
    names,
    network_policy,
    provider_kubeconfig,
    team_queues,
    teams,
    training_namespace,
)
from gpuforge.model.names import (
    BUCKETS_CONFIGMAP,
    PRIORITY_CLASSES,
    TRAINING_SERVICE_ACCOUNT,
    bucket_name,
)
from gpuforge.model.spec import EnvironmentSpec


@dataclass
class TrainingRuntimeArgs:
    """Inputs of `TrainingRuntime`."""

    spec: EnvironmentSpec
    """The environment (pools, training section, region, cluster name)."""

    cluster_name: pulumi.Input[str]
    """EKS cluster name (the exec credential asks for a token for it)."""

    endpoint: pulumi.Input[str]
    """HTTPS endpoint of the Kubernetes API server."""

    certificate_authority: pulumi.Input[str]
    """Base64 PEM of the cluster CA."""

    autoscaling_groups: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Auto Scaling group name by GPU pool (the cluster-autoscaler's expander names them)."""

    data_volumes: dict[str, pulumi.Input[dict]] = field(default_factory=dict)
    """FSx file system `{id, dns_name, mount_name}` by name (`DataFilesystems.volumes`), for
    the statically provisioned PersistentVolumes (`components.data_volumes`)."""


class TrainingRuntime(pulumi.ComponentResource):
    """Namespace, quota, priorities, device plugins and queues for training jobs."""

    namespace: str
    """The training namespace."""
    service_account: str
    """The service account training pods run as (bound to the training role)."""
    charts: dict[str, str]
    """Pinned chart version by release name."""

    def __init__(
        self, name: str, args: TrainingRuntimeArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("gpuforge:runtime:TrainingRuntime", name, None, opts)
        spec = args.spec
        kubeconfig = pulumi.Output.all(
            args.cluster_name, args.endpoint, args.certificate_authority
        ).apply(lambda v: json.dumps(provider_kubeconfig.kubeconfig(v[0], v[1], v[2], spec.region)))
        provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=kubeconfig,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self._opts = pulumi.ResourceOptions(parent=self, provider=provider)
        ns = spec.training.namespace
        namespaces = [self._namespace(name, spec, team) for team in teams.teams(spec)]
        for pc in training_namespace.priority_classes():
            k8s.scheduling.v1.PriorityClass(
                f"{name}-priority-{pc['name'].rsplit('-', 1)[-1]}",
                metadata=_meta(pc["name"]),
                value=pc["value"],
                global_default=pc["globalDefault"],
                preemption_policy=pc["preemptionPolicy"],
                description=pc["description"],
                opts=self._opts,
            )
        groups = pulumi.Output.all(**args.autoscaling_groups) if args.autoscaling_groups else {}
        releases = {
            chart.release: self._release(
                name,
                chart,
                pulumi.Output.from_input(groups).apply(
                    lambda g, chart=chart: helm_charts.chart_values(spec, chart, dict(g or {}))
                ),
            )
            for chart in helm_charts.charts_for(spec)
        }
        if "kueue" in releases:
            self._queues(name, spec, after=[releases["kueue"], *namespaces])
        # each namespace's data claims (the training one, or every team's)
        in_ns = pulumi.ResourceOptions.merge(
            self._opts, pulumi.ResourceOptions(depends_on=namespaces)
        )
        data_volumes.declare(self, name, spec, args.data_volumes, self._opts, in_ns)

        self.namespace = ns
        self.team_namespaces = {t.name: t.namespace for t in teams.teams(spec)}
        self.service_account = TRAINING_SERVICE_ACCOUNT
        self.charts = {c.release: c.version for c in helm_charts.charts_for(spec)}
        self.priority_classes = dict(PRIORITY_CLASSES)
        self.register_outputs(
            {"namespace": self.namespace, "service_account": self.service_account}
        )

    def _namespace(
        self, name: str, spec: EnvironmentSpec, team: teams.Team
    ) -> k8s.core.v1.Namespace:
        """A team's namespace and what is in it: the service account its role binds, the GPU
        quota, the LimitRange and the buckets ConfigMap. The default team's objects keep
        today's names (`<name>-namespace`, ...); a team's are `<name>-<team>-namespace`, ..."""
        ns = team.namespace
        prefix = name if team.is_default else f"{name}-{team.name}"
        labels = training_namespace.namespace_labels()
        hard = training_namespace.resource_quota(spec)
        if team.spec is not None:
            labels = teams.namespace_labels(team, labels)
            hard = teams.resource_quota(spec, team.spec)
        namespace = k8s.core.v1.Namespace(
            f"{prefix}-namespace",
            metadata={"name": ns, "labels": labels},
            opts=self._opts,
        )
        in_ns = pulumi.ResourceOptions.merge(
            self._opts, pulumi.ResourceOptions(depends_on=[namespace])
        )
        k8s.core.v1.ServiceAccount(
            f"{prefix}-service-account",
            metadata=_meta(team.service_account, ns),
            # Pod Identity brings its own token (a projected volume the agent's webhook adds);
            # the Kubernetes API token is not needed (issue 20, checkov CKV_K8S_38).
            automount_service_account_token=False,
            opts=in_ns,
        )
        k8s.core.v1.ResourceQuota(
            f"{prefix}-gpu-quota",
            metadata=_meta(training_namespace.GPU_QUOTA_NAME, ns),
            spec={"hard": hard},
            opts=in_ns,
        )
        k8s.core.v1.LimitRange(
            f"{prefix}-limits",
            metadata=_meta(training_namespace.LIMIT_RANGE_NAME, ns),
            spec={"limits": training_namespace.limit_range(spec)},
            opts=in_ns,
        )
        # Job pods find their buckets here: the physical names carry a hash of the
        # account, which a job spec (and `launch --dry-run`) cannot know.
        k8s.core.v1.ConfigMap(
            f"{prefix}-buckets",
            metadata=_meta(BUCKETS_CONFIGMAP, ns),
            data=_aws.account_id(self).apply(
                lambda account: {
                    bucket.name: bucket_name(account, spec.region, spec.environment, bucket.name)
                    for bucket in spec.storage.buckets
                }
            ),
            opts=in_ns,
        )
        self._network_policies(prefix, spec, ns, in_ns)
        return namespace

    def _release(self, name: str, chart: helm_charts.Chart, values: dict) -> k8s.helm.v3.Release:
        return k8s.helm.v3.Release(
            f"{name}-{chart.release}",
            name=chart.release,
            chart=chart.chart,
            version=chart.version,
            repository_opts=(
                k8s.helm.v3.RepositoryOptsArgs(repo=chart.repository) if chart.repository else None
            ),
            namespace=chart.namespace,
            create_namespace=chart.namespace != "kube-system",
            values=values,
            atomic=True,
            opts=self._opts,
        )

    def _queues(self, name: str, spec: EnvironmentSpec, after: list[pulumi.Resource]) -> None:
        opts = pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(depends_on=after))
        flavors = []
        for pool in spec.gpu_pools:
            flavor = kueue.resource_flavor(pool)
            flavors.append(
                k8s.apiextensions.CustomResource(
                    f"{name}-flavor-{pool.name}",
                    api_version=kueue.KUEUE_API,
                    kind="ResourceFlavor",
                    metadata=_meta(flavor["name"]),
                    spec=flavor["spec"],
                    opts=opts,
                )
            )
        cluster_queues = {}
        for queue in team_queues.cluster_queues(spec):
            team = queue["name"].removeprefix(names.cluster_queue(spec.environment))
            cluster_queues[queue["name"]] = k8s.apiextensions.CustomResource(
                f"{name}{team}-cluster-queue",
                api_version=kueue.KUEUE_API,
                kind="ClusterQueue",
                metadata=_meta(queue["name"]),
                spec=queue["spec"],
                opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=flavors)),
            )
        for team in teams.teams(spec):
            local = team_queues.local_queue(spec, team)
            prefix = name if team.is_default else f"{name}-{team.name}"
            k8s.apiextensions.CustomResource(
                f"{prefix}-local-queue",
                api_version=kueue.KUEUE_API,
                kind="LocalQueue",
                metadata=_meta(local["name"], local["namespace"]),
                spec=local["spec"],
                opts=pulumi.ResourceOptions.merge(
                    opts,
                    pulumi.ResourceOptions(depends_on=[cluster_queues[team.cluster_queue]]),
                ),
            )

    def _network_policies(
        self, name: str, spec: EnvironmentSpec, ns: str, opts: pulumi.ResourceOptions
    ) -> None:
        """Default deny plus the allowances of `gpuforge.model.network_policy`; S3 by the CIDRs
        of the region's S3 prefix list (NetworkPolicy cannot name a prefix list)."""
        from pulumi_aws import ec2

        s3 = ec2.get_prefix_list_output(
            name=f"com.amazonaws.{spec.region}.s3", opts=pulumi.InvokeOutputOptions(parent=self)
        ).cidr_blocks
        policies = s3.apply(
            lambda cidrs: network_policy.network_policies(
                ns,
                vpc_cidr=spec.network.cidr,
                s3_cidrs=sorted(cidrs or []),
                internet_egress=spec.training.internet_egress,
            )
        )
        for policy_name in network_policy.policy_names(spec.training.internet_egress):
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol-{policy_name}",
                metadata=_meta(policy_name, ns),
                spec=policies.apply(
                    lambda ps, n=policy_name: next(p for p in ps if p["metadata"]["name"] == n)[
                        "spec"
                    ]
                ),
                opts=opts,
            )


def _meta(name: str, namespace: str | None = None) -> dict:
    meta: dict = {"name": name, "labels": dict(names.MANAGED_LABELS)}
    if namespace is not None:
        meta["namespace"] = namespace
    return meta


def runtime_for_cluster(spec: EnvironmentSpec) -> TrainingRuntime:
    """The runtime alone, for a cluster another stack made (the `runtime` layer).

    The cluster (`spec.cluster_name`, the name every layer derives the same way) is
    read through the EKS API (`aws:eks/getCluster`): endpoint and CA, nothing else.
    """
    from pulumi_aws import eks

    found = eks.get_cluster_output(name=spec.cluster_name)
    return TrainingRuntime(
        spec.cluster_name,
        TrainingRuntimeArgs(
            spec=spec,
            cluster_name=found.name,
            endpoint=found.endpoint,
            certificate_authority=found.certificate_authorities.apply(
                lambda cas: cas[0].data if cas else None
            ),
            autoscaling_groups={p.name: _pool_group(spec, p.name) for p in spec.gpu_pools},
        ),
    )


def _pool_group(spec: EnvironmentSpec, pool: str) -> pulumi.Output[str]:
    """The Auto Scaling group of a pool, found by the tags the `aws` layer put on it."""
    from pulumi_aws import autoscaling

    from gpuforge.model.names import POOL_KEY, node_template_tag

    found = autoscaling.get_ami_ids_output(
        filters=[
            {"name": "tag:eks:cluster-name", "values": [spec.cluster_name]},
            {"name": f"tag:{node_template_tag('label', POOL_KEY)}", "values": [pool]},
        ]
    )
    return found.names.apply(lambda names: names[0] if names else None)
