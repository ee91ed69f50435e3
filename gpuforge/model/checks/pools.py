"""GPU pools: type and offering, capacity, and what EKS and Kubernetes accept of their
names, labels, taints and tags (counting what gpuforge adds itself)."""

from __future__ import annotations

import re

from gpuforge.model import aws_limits, aws_naming, catalog, k8s_syntax
from gpuforge.model.checks._common import check_unique
from gpuforge.model.errors import SpecError
from gpuforge.model.names import NODE_TEMPLATE_TAG_PREFIX, POOL_KEY, TAG_PREFIX
from gpuforge.model.pools import autoscaler_tags, builtin_labels, builtin_taints
from gpuforge.model.resource_tags import default_tags
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec

POOL_NAME_MAX = 32
_RESERVATION_ID = re.compile(r"cr-[0-9a-f]{8}([0-9a-f]{9})?")

EKS_LABEL_KEY_MAX = 63
"""EKS node group label keys (CreateNodegroup `labels`), stricter than Kubernetes' 317."""
EKS_TAINT_KEY_MAX = 63
"""EKS node group taint keys (`Taint.key`)."""
EKS_TAINTS_MAX = 50
"""Taints per EKS node group."""


def check_pools(spec: EnvironmentSpec) -> None:
    for i, pool in enumerate(spec.gpu_pools):
        check_pool(spec, f"gpu_pools[{i}]", pool)
    check_unique("gpu_pools", [p.name for p in spec.gpu_pools], "pool")


def check_pool(spec: EnvironmentSpec, path: str, pool: GpuPoolSpec) -> None:
    _check_name(spec, path, pool)
    instance = _check_instance_type(spec, path, pool)
    if pool.min > pool.max:
        raise SpecError(
            f"{path}.min", f"min {pool.min} is greater than max {pool.max}", "min <= max"
        )
    if pool.az is not None and pool.az not in spec.zones:
        raise SpecError(
            f"{path}.az",
            f"{pool.az!r} is not one of the VPC's AZs",
            f"choose from {', '.join(spec.zones)}",
        )
    _check_offering(spec, path, pool)
    _check_efa(spec, path, pool, instance)
    _check_capacity(path, pool, instance)
    _check_labels(path, pool)
    _check_taints(path, pool)
    _check_node_group_tags(spec, path, pool)
    # training.max_gpus caps one job's GPUs, not a node's: `gpuforge launch` checks it.


def _check_name(spec: EnvironmentSpec, path: str, pool: GpuPoolSpec) -> None:
    problem = k8s_syntax.dns1123_label_problem(pool.name, POOL_NAME_MAX)
    if problem:
        raise SpecError(
            f"{path}.name",
            f"{pool.name!r} is not a valid pool name: it {problem}",
            f"lower-case letters, digits and '-', at most {POOL_NAME_MAX} characters",
        )
    for named in aws_naming.pool_resources(spec.environment, pool.name):
        if named.length > named.limit:
            room = named.limit - (named.length - len(pool.name))
            raise SpecError(
                f"{path}.name",
                f"{pool.name!r} makes the {named.kind} {named.shown} {named.length} characters "
                f"long; AWS allows {named.limit}",
                f"with environment {spec.environment!r}, pool names can be {room} characters",
            )


def _check_instance_type(spec: EnvironmentSpec, path: str, pool: GpuPoolSpec):
    instance = catalog.instance_type(pool.instance_type)
    if instance is None:
        near = catalog.similar_accelerated_types(pool.instance_type)
        raise SpecError(
            f"{path}.instance_type",
            f"unknown instance type {pool.instance_type!r}",
            f"close names: {', '.join(near)}" if near else "e.g. g6.xlarge, p5.48xlarge",
        )
    if instance.accelerator is None:
        raise SpecError(
            f"{path}.instance_type",
            f"{pool.instance_type} has no GPU or accelerator",
            "GPU pools need e.g. g6.xlarge, g5.12xlarge, p4d.24xlarge, p5.48xlarge",
        )
    return instance


def _check_offering(spec: EnvironmentSpec, path: str, pool: GpuPoolSpec) -> None:
    """The pool's type must be sold in its AZ, or in at least one of the VPC's AZs."""
    zones = [pool.az] if pool.az is not None else spec.zones
    known = [catalog.offered_in(spec.region, z, pool.instance_type) for z in zones]
    if None in known or any(known):
        return  # unknown to the catalog, or offered somewhere the pool may launch
    offering = catalog.offering_zones(spec.region, pool.instance_type)
    where = f"{', '.join(offering)} offer it" if offering else f"no AZ of {spec.region} offers it"
    if pool.az is not None:
        raise SpecError(
            f"{path}.az",
            f"{pool.instance_type} is not offered in {pool.az}",
            f"{where}" + (": pin the pool there" if offering else ": choose another type"),
        )
    raise SpecError(
        f"{path}.instance_type",
        f"{pool.instance_type} is not offered in any of the VPC's AZs ({', '.join(zones)})",
        f"{where}" + (": add one to network.azs" if offering else ": choose another type"),
    )


def _check_efa(spec: EnvironmentSpec, path: str, pool: GpuPoolSpec, instance) -> None:
    if not pool.efa:
        return
    if not instance.efa:
        efa_types = [t for t in catalog.accelerated_types() if catalog.instance_type(t).efa]
        near = catalog.close_names(pool.instance_type, efa_types) or efa_types[:4]
        raise SpecError(
            f"{path}.efa",
            f"{pool.instance_type} does not support EFA",
            f"EFA types include {', '.join(near)}",
        )
    if pool.az is None:
        raise SpecError(
            f"{path}.az",
            "an EFA pool must sit in a single AZ",
            f"set az: to one of {', '.join(spec.zones)}",
        )


def _check_capacity(path: str, pool: GpuPoolSpec, instance) -> None:
    if instance.usage_classes and pool.capacity not in instance.usage_classes:
        raise SpecError(
            f"{path}.capacity",
            f"AWS does not sell {pool.instance_type} as {pool.capacity}",
            f"available: {', '.join(instance.usage_classes)}",
        )
    rid = pool.capacity_reservation_id
    if pool.capacity == "capacity-block" and rid is None:
        raise SpecError(
            f"{path}.capacity_reservation_id",
            "a capacity-block pool needs the reservation id of the block",
            "copy the cr-... id from the EC2 console or `aws ec2 describe-capacity-reservations`",
        )
    if rid is None:
        return
    if pool.capacity == "spot":
        raise SpecError(
            f"{path}.capacity_reservation_id",
            "spot capacity cannot use a capacity reservation",
            "use capacity: on-demand or capacity-block",
        )
    if not _RESERVATION_ID.fullmatch(rid):
        raise SpecError(
            f"{path}.capacity_reservation_id",
            f"{rid!r} is not a capacity reservation id",
            "it looks like cr-0123456789abcdef0",
        )
    if pool.az is None:
        raise SpecError(
            f"{path}.az",
            "a capacity reservation lives in one AZ",
            "set az: to the reservation's AZ",
        )


def _check_labels(path: str, pool: GpuPoolSpec) -> None:
    builtin = builtin_labels(pool)
    for key, value in pool.labels.items():
        where = f"{path}.labels.{key}"
        problem = k8s_syntax.label_key_problem(key)
        if problem:
            raise SpecError(where, f"not a valid Kubernetes label key: {problem}",
                            "keys like team or example.com/team")  # fmt: skip
        if len(key) > EKS_LABEL_KEY_MAX:
            raise SpecError(
                where,
                f"the label key is {len(key)} characters; EKS node groups allow "
                f"{EKS_LABEL_KEY_MAX} (prefix included)",
                "use a shorter prefix or name",
            )
        if key.startswith(f"{TAG_PREFIX}/"):
            raise SpecError(
                where,
                f"{TAG_PREFIX}/ labels are gpuforge's own (it sets "
                f"{', '.join(k for k in builtin if k.startswith(TAG_PREFIX))})",
                "use your own prefix, e.g. example.com/tier",
            )
        problem = k8s_syntax.kubelet_refused_label_problem(key)
        if problem:
            raise SpecError(where, problem, "use your own prefix, e.g. example.com/role")
        if key in builtin:
            raise SpecError(where, f"gpuforge sets {key} on the pool's nodes itself", "remove it")
        problem = k8s_syntax.label_value_problem(value)
        if problem:
            raise SpecError(where, f"not a valid Kubernetes label value: {problem}",
                            "e.g. training, a100, team-a")  # fmt: skip
        if not value:
            raise SpecError(where, "EKS node group labels need a value (1-63 characters)",
                            'e.g. "true"')  # fmt: skip


def _check_taints(path: str, pool: GpuPoolSpec) -> None:
    builtin = {t["key"]: t for t in builtin_taints(pool)}
    total = len(builtin) + len(pool.taints)
    if total > EKS_TAINTS_MAX:
        raise SpecError(
            f"{path}.taints",
            f"{len(pool.taints)} taints plus gpuforge's {len(builtin)} make {total}; "
            f"EKS allows {EKS_TAINTS_MAX} per node group",
            "remove taints",
        )
    seen: dict[str, int] = {}
    for j, taint in enumerate(pool.taints):
        where = f"{path}.taints[{j}]"
        problem = k8s_syntax.taint_key_problem(taint.key)
        if problem:
            raise SpecError(f"{where}.key", f"{taint.key!r} is not a valid taint key: {problem}",
                            "same syntax as label keys, e.g. dedicated")  # fmt: skip
        if len(taint.key) > EKS_TAINT_KEY_MAX:
            raise SpecError(
                f"{where}.key",
                f"the taint key is {len(taint.key)} characters; EKS allows {EKS_TAINT_KEY_MAX}",
                "use a shorter key",
            )
        if taint.key in builtin:
            b = builtin[taint.key]
            raise SpecError(
                f"{where}.key",
                f"{taint.key} is gpuforge's built-in taint "
                f"({b['key']}={b['value']}:{b['effect']}) on every node of the pool",
                "remove it: jobs that request the device already tolerate it",
            )
        if taint.key in seen:
            raise SpecError(
                f"{where}.key",
                f"taint key {taint.key} appears twice (first in taints[{seen[taint.key]}])",
                "one taint per key: the autoscaler's node template holds one per key",
            )
        seen[taint.key] = j
        problem = k8s_syntax.taint_value_problem(taint.value)
        if problem:
            raise SpecError(f"{where}.value", f"not a valid taint value: {problem}",
                            "label-value syntax, e.g. training")  # fmt: skip


def node_group_tags(spec: EnvironmentSpec, pool: GpuPoolSpec) -> dict[str, str]:
    """Every tag a pool's EKS node group carries: the environment's default tags, the
    pool tag, and the cluster-autoscaler discovery and node-template tags."""
    return {
        **default_tags(spec),
        POOL_KEY: pool.name,
        **autoscaler_tags(pool, spec.cluster_name),
    }


def _check_node_group_tags(spec: EnvironmentSpec, path: str, pool: GpuPoolSpec) -> None:
    tags = node_group_tags(spec, pool)
    template = NODE_TEMPLATE_TAG_PREFIX
    for key, value in tags.items():
        problem = aws_limits.tag_problem(key, value)
        if problem:
            field = path
            if key.startswith(f"{template}label/"):
                field = f"{path}.labels.{key.removeprefix(f'{template}label/')}"
            elif key.startswith(f"{template}taint/"):
                taint = key.removeprefix(f"{template}taint/")
                j = next((j for j, t in enumerate(pool.taints) if t.key == taint), None)
                field = f"{path}.taints[{j}].key" if j is not None else path
            raise SpecError(
                field,
                f"gives the node group the tag {key!r}, but {problem}",
                "cluster-autoscaler reads labels and taints from such tags: shorten the key",
            )
    if len(tags) > aws_limits.MAX_TAGS:
        templates = sum(1 for k in tags if k.startswith(template))
        env_tags = len(tags) - templates - 3  # pool tag and 2 autoscaler discovery tags
        raise SpecError(
            path,
            f"the node group of pool {pool.name} would carry {len(tags)} tags "
            f"({env_tags} environment tags, 1 pool tag, 2 autoscaler discovery tags and "
            f"{templates} node-template tags, one per label, taint and device); AWS allows "
            f"{aws_limits.MAX_TAGS}",
            f"remove {len(tags) - aws_limits.MAX_TAGS} labels, taints or tags",
        )
