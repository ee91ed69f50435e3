"""The emulated cluster's nodes, kube-scheduler and cluster-autoscaler, from the plan.

`Scheduler(api, spec, hold_at_zero=False)` keeps v1 Node objects for the environment's
node groups (the system pool at its `min`, each GPU pool at its current size, zero by
default) and, on each `step()`, acts on every Pending pod without `spec.nodeName` (pods
with `spec.schedulingGates` wait, as kube-scheduler leaves them):

- a node fits (taints tolerated, nodeSelector and required node affinity matched,
  requests within allocatable less the DaemonSets and the pods already bound): the pod
  is bound (`spec.nodeName`, `PodScheduled` True, phase Running) with a `Scheduled` event;
- none fits: `FailedScheduling` in kube-scheduler's shape, "0/N nodes are available:
  <count> <reason>, ...." (kubernetes pkg/scheduler/framework/types.go `FitError.Error`,
  reasons sorted; filters in the default order TaintToleration, NodeAffinity,
  NodeResourcesFit, the first failing one per node), then the autoscaler:
  - a pool below its max whose template node would take the pod: `TriggeredScaleUp`
    "pod triggered scale-up: [{<group> 0->1 (max: N)}]" (kubernetes/autoscaler
    cluster-autoscaler/processors/status/eventing_scale_up_processor.go, `ScaleUpInfo.
    String` "{%v %v->%v (max: %v)}" in processors/nodegroupset) and the node joins,
    unless `hold_at_zero` (the demo's "waiting for scale-up");
  - no template takes it: `NotTriggerScaleUp` "pod didn't trigger scale-up (it wouldn't
    fit if a new node is added): 1 Insufficient cpu" (same file, `ReasonsMessage`), and
    no scale-up.

The template is the real node (capacity from the catalog, allocatable from
`gpuforge.model.node_reserve`), not cluster-autoscaler's AWS template that takes
allocatable = capacity: the emulator answers what the node will, so a job that only the
template would take shows here as never fitting. DaemonSet pods are not stored: their
requests are counted against each node. Not modelled: preemption (the "preemption: ..."
tail of the message), pod affinity, topology spread, volumes, scale-down.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from gpuforge.emulator.k8s_serving import timestamp
from gpuforge.jobs import resources
from gpuforge.model import catalog, node_reserve, pools
from gpuforge.model.spec import EnvironmentSpec, GpuPoolSpec

NODE = resources.NODE
SYSTEM_POOL = "system"
AUTOSCALER = "cluster-autoscaler"
SCHEDULER = "default-scheduler"


@dataclass(frozen=True)
class Template:
    """One node group: what each of its nodes looks like and how far it may grow."""

    pool: str
    group: str
    """The node group's name as the autoscaler prints it."""
    labels: dict[str, str]
    taints: list[dict[str, str]]
    capacity: dict[str, int]
    """Resource -> amount (cpu in millicores, memory in MiB, the rest whole units)."""
    allocatable: dict[str, int]
    daemonsets: dict[str, int]
    """What the node's DaemonSets request (counted as used on every node)."""
    min: int
    max: int
    instance_type: str


def _gpu_template(spec: EnvironmentSpec, pool: GpuPoolSpec) -> Template:
    r = node_reserve.node_reserve(pool)
    shape = pools.node_shape(pool)
    devices = {shape.accelerator_resource: shape.accelerators}
    if shape.efa_devices:
        devices[pools.EFA] = shape.efa_devices
    common = {"pods": r.max_pods, **devices}
    return Template(
        pool=pool.name,
        group=f"{spec.cluster_name}-{pool.name}",
        labels=_base_labels(spec, pool.instance_type, pool.name) | pools.node_labels(pool),
        taints=pools.node_taints(pool),
        capacity={"cpu": r.capacity_cpu_milli, "memory": r.capacity_memory_mib, **common},
        allocatable={"cpu": r.allocatable_cpu_milli, "memory": r.allocatable_memory_mib, **common},
        daemonsets={
            "cpu": r.daemonset_cpu_milli,
            "memory": r.daemonset_memory_mib,
            "pods": len(r.daemonsets),
        },  # fmt: skip
        min=pool.min,
        max=pool.max,
        instance_type=pool.instance_type,
    )


def _system_template(spec: EnvironmentSpec) -> Template:
    system = spec.cluster.system_pool
    inst = catalog.instance_type(system.instance_type)
    vcpus, memory = (inst.vcpus, inst.memory_mib) if inst else (2, 8192)
    cap_mem = memory - node_reserve.vm_overhead_mib(memory)
    cpu = vcpus * 1000 - node_reserve.kube_reserved_cpu_milli(vcpus)
    mem = (
        cap_mem
        - node_reserve.kube_reserved_memory_mib(system.instance_type)
        - node_reserve.EVICTION_HARD_MEMORY_MIB
    )
    pods = node_reserve.max_pods(system.instance_type)
    return Template(
        pool=SYSTEM_POOL,
        group=f"{spec.cluster_name}-{SYSTEM_POOL}",
        labels=_base_labels(spec, system.instance_type, SYSTEM_POOL),
        taints=[],
        capacity={"cpu": vcpus * 1000, "memory": cap_mem, "pods": pods},
        allocatable={"cpu": cpu, "memory": mem, "pods": pods},
        daemonsets={},
        min=system.min,
        max=system.max,
        instance_type=system.instance_type,
    )


def _base_labels(spec: EnvironmentSpec, instance_type: str, group: str) -> dict[str, str]:
    inst = catalog.instance_type(instance_type)
    return {
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "arm64" if inst and inst.arch == "arm64" else "amd64",
        "node.kubernetes.io/instance-type": instance_type,
        "topology.kubernetes.io/region": spec.region,
        "eks.amazonaws.com/nodegroup": f"{spec.cluster_name}-{group}",
    }


def templates(spec: EnvironmentSpec) -> list[Template]:
    """The environment's node groups, system pool first."""
    return [_system_template(spec)] + [_gpu_template(spec, p) for p in spec.gpu_pools]


# -- pods ---------------------------------------------------------------------------


def _quantity(value: Any, resource: str) -> int:
    """A quantity as cpu millicores, memory MiB (rounded up) or whole units."""
    text = str(value)
    if resource == "cpu":
        return int(text[:-1]) if text.endswith("m") else int(float(text) * 1000)
    if resource in ("memory", "ephemeral-storage"):
        units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 1024**2, "k": 1000 / 2**20,
                 "M": 10**6 / 2**20, "G": 10**9 / 2**20, "T": 10**12 / 2**20}  # fmt: skip
        for suffix, factor in units.items():
            if text.endswith(suffix):
                return -(-int(float(text[: -len(suffix)]) * factor * 1024) // 1024)
        return -(-int(float(text)) // 2**20)
    return int(float(text))


def pod_requests(pod: dict) -> dict[str, int]:
    """What the pod asks the scheduler for: the sum of its containers' requests (a limit
    stands in for an unset request, as the API server defaults it), at least the largest
    init container's."""
    spec = pod.get("spec") or {}

    def of(container: dict) -> dict[str, int]:
        res = container.get("resources") or {}
        merged = {**(res.get("limits") or {}), **(res.get("requests") or {})}
        return {k: _quantity(v, k) for k, v in merged.items()}

    total: Counter[str] = Counter()
    for container in spec.get("containers") or []:
        total.update(of(container))
    for init in spec.get("initContainers") or []:
        for key, value in of(init).items():
            total[key] = max(total[key], value)
    return dict(total)


def _tolerates(tolerations: list[dict], taint: dict) -> bool:
    for tol in tolerations:
        if tol.get("effect") and tol["effect"] != taint["effect"]:
            continue
        if tol.get("operator") == "Exists":
            if not tol.get("key") or tol["key"] == taint["key"]:
                return True
        elif tol.get("key") == taint["key"] and tol.get("value", "") == taint.get("value", ""):
            return True
    return False


def _expression(expr: dict, labels: dict[str, str]) -> bool:
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
    if op == "In":
        return labels.get(key) in values
    if op == "NotIn":
        return labels.get(key) not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels:
        try:
            have, want = int(labels[key]), int(values[0])
        except (ValueError, IndexError):
            return False
        return have > want if op == "Gt" else have < want
    return False


def _matches_node(pod: dict, labels: dict[str, str]) -> bool:
    spec = pod.get("spec") or {}
    if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        return True
    return any(
        all(_expression(e, labels) for e in term.get("matchExpressions") or []) for term in terms
    )


def unfit_reasons(pod: dict, template: Template, used: dict[str, int]) -> list[str]:
    """kube-scheduler's reasons that one node refuses the pod, [] when it fits.

    Filter order and messages of the default plugins: TaintToleration ("node(s) had
    untolerated taint(s)", kubernetes pkg/scheduler/framework/plugins/tainttoleration/
    taint_toleration.go `Filter`; older releases printed the taint), NodeAffinity
    ("node(s) didn't match Pod's node affinity/selector"), NodeResourcesFit
    ("Insufficient <resource>", "Too many pods").
    """
    tolerations = (pod.get("spec") or {}).get("tolerations") or []
    for taint in template.taints:
        if taint["effect"] in ("NoSchedule", "NoExecute") and not _tolerates(tolerations, taint):
            return ["node(s) had untolerated taint(s)"]
    if not _matches_node(pod, template.labels):
        return ["node(s) didn't match Pod's node affinity/selector"]
    reasons = []
    if used.get("pods", 0) + 1 > template.allocatable.get("pods", 110):
        reasons.append("Too many pods")
    for resource, amount in sorted(pod_requests(pod).items()):
        if amount and amount > template.allocatable.get(resource, 0) - used.get(resource, 0):
            reasons.append(f"Insufficient {resource}")
    return reasons


RESOLVABLE = ("Insufficient ", "Too many pods")
"""NodeResourcesFit's reasons: preemption could free them (the others it cannot)."""


def _histogram(reasons: list[str]) -> str:
    return ", ".join(sorted(f"{n} {reason}" for reason, n in Counter(reasons).items()))


NO_NODES = "no nodes available to schedule pods"
"""kube-scheduler's `ErrNoNodesAvailable`: what it says before any filter when the cluster
has no node."""


def fit_message(reasons_by_node: dict[str, list[str]]) -> str:
    """kube-scheduler's FitError text, "0/N nodes are available: <histogram>." (reasons
    counted and sorted, kubernetes pkg/scheduler/framework/types.go `FitError.Error`),
    then DefaultPreemption's PostFilter message for a pod with no victims to preempt
    ("preemption: 0/N nodes are available: ...", as `kubectl describe pod` shows it).
    With no node at all: "no nodes available to schedule pods" (`ErrNoNodesAvailable`)."""
    nodes = len(reasons_by_node)
    if nodes == 0:
        return NO_NODES
    flat = [r for rs in reasons_by_node.values() for r in rs]
    preemption = [
        "No preemption victims found for incoming pod"
        if any(r.startswith(RESOLVABLE) for r in rs)
        else "Preemption is not helpful for scheduling"
        for rs in reasons_by_node.values()
    ]
    return (
        f"0/{nodes} nodes are available: {_histogram(flat)}. "
        f"preemption: 0/{nodes} nodes are available: {_histogram(preemption)}."
    )


def missing_claim(pod: dict, claims: dict[str, dict]) -> str | None:
    """VolumeBinding's PreFilter: the reason no node can take a pod whose claim is not in
    its namespace, or not bound (kubernetes pkg/scheduler/framework/plugins/volumebinding
    `PreFilter`: the claim lister's `persistentvolumeclaim "<name>" not found`, and "pod
    has unbound immediate PersistentVolumeClaims"); None when every claim is bound.
    `claims` are the pod's namespace's, by name."""
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        name = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        if not name:
            continue
        claim = claims.get(name)
        if claim is None:
            return f'persistentvolumeclaim "{name}" not found'
        if (claim.get("status") or {}).get("phase") != "Bound":
            return "pod has unbound immediate PersistentVolumeClaims"
    return None


def prefilter_message(reason: str, nodes: int) -> str:
    """`FitError.Error` for a PreFilter refusal: its message alone (every node carries
    the same status, so no histogram), then DefaultPreemption's, which no victim helps."""
    if nodes == 0:
        return NO_NODES
    return (
        f"0/{nodes} nodes are available: {reason}. "
        f"preemption: 0/{nodes} nodes are available: {nodes} Preemption is not helpful for "
        "scheduling."
    )


# -- the scheduler and autoscaler ---------------------------------------------------


class Scheduler:
    """kube-scheduler and cluster-autoscaler for the emulated cluster (module docstring)."""

    def __init__(
        self,
        api: Any,
        spec: EnvironmentSpec,
        hold_at_zero: bool = False,
        sizes: dict[str, int] | None = None,
    ) -> None:
        self.api = api
        self.spec = spec
        self.hold_at_zero = hold_at_zero
        self.templates = {t.pool: t for t in templates(spec)}
        self.sizes = {name: t.min for name, t in self.templates.items()} | (sizes or {})
        """Each group's current size; a GPU pool starts at its min (zero by default)."""
        self.targets = dict(self.sizes)
        """Each group's size after the scale-ups asked for (above `sizes` while held)."""
        self._noted: set[tuple[str, str, str, str]] = set()
        self._triggered: set[tuple[str, str]] = set()
        self._serial = 0

    # -- state ---------------------------------------------------------------------

    def _node_name(self, pool: str, index: int) -> str:
        group = list(self.templates).index(pool)
        return f"ip-10-{group}-{index // 250}-{index % 250 + 4}.{self.spec.region}.compute.internal"

    def _node(self, pool: str, index: int) -> dict:
        t = self.templates[pool]
        name = self._node_name(pool, index)

        def quantities(amounts: dict[str, int]) -> dict[str, str]:
            out = {}
            for key, value in amounts.items():
                out[key] = (
                    f"{value}m" if key == "cpu" else f"{value}Mi" if key == "memory" else str(value)
                )
            return out

        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": name,
                "labels": {**t.labels, "kubernetes.io/hostname": name},
                "creationTimestamp": timestamp(),
            },
            "spec": {"taints": t.taints} if t.taints else {},
            "status": {
                "capacity": quantities(t.capacity),
                "allocatable": quantities(t.allocatable),
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                    }  # fmt: skip
                ],
                "nodeInfo": {"kubeletVersion": f"v{self.spec.cluster.version}.0-eks"},
            },
        }

    def _ensure_nodes(self) -> int:
        """Create the Node objects of each group's current size; how many were created."""
        have = {n["metadata"]["name"] for n in self.nodes()}
        made = 0
        for pool, size in self.sizes.items():
            for index in range(size):
                if self._node_name(pool, index) not in have:
                    self.api.put(self._node(pool, index))
                    made += 1
        return made

    def nodes(self) -> list[dict]:
        """The stored Node objects."""
        return self._objects(NODE, None)

    def report_condition(
        self, node: str, kind: str, status: str, reason: str = "", message: str = ""
    ) -> dict:
        """Set one condition of a stored node, as the kubelet or the EKS node monitoring
        agent does (e.g. `AcceleratedHardwareReady=False`, reason `NvidiaXID79Error`: the
        agent's types and reasons, gpuforge/model/node_health.py); the others stay."""
        (found,) = [n for n in self.nodes() if n["metadata"]["name"] == node]
        status_doc = found.get("status") or {}
        kept = [c for c in status_doc.get("conditions") or [] if c.get("type") != kind]
        cond = {"type": kind, "status": status, "reason": reason, "message": message}
        cond.update(lastTransitionTime=timestamp(), lastHeartbeatTime=timestamp())
        updated = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {"name": node},
            "status": {"conditions": [*kept, cond]},
        }
        self.api.put(updated)
        return cond

    def _objects(self, resource: resources.Resource, namespace: str | None) -> list[dict]:
        def read() -> list[dict]:
            return [
                obj.raw
                for (res, ns, _), obj in list(self.api.emulator.objects.items())
                if (res.group or "", res.version, res.plural)
                == (resource.group, resource.version, resource.plural)
                and (namespace is None or ns == namespace)
                and not obj.deleted
            ]

        return self.api.call(read)

    def _event(self, pod: dict, reason: str, message: str, kind: str, component: str) -> int:
        meta = pod["metadata"]
        key = (meta.get("namespace", ""), meta["name"], reason, message)
        if key in self._noted:
            return 0
        self._noted.add(key)
        self._serial += 1
        self.api.put(
            {
                "apiVersion": "v1",
                "kind": "Event",
                "metadata": {
                    "name": f"{meta['name']}.{reason.lower()}.{self._serial}",
                    "namespace": meta.get("namespace", "default"),
                },
                "involvedObject": {
                    "kind": "Pod",
                    "name": meta["name"],
                    "namespace": meta.get("namespace", "default"),
                },  # fmt: skip
                "reason": reason,
                "message": message,
                "type": kind,
                "source": {"component": component},
                "reportingComponent": component,
                "count": 1,
                "firstTimestamp": timestamp(),
                "lastTimestamp": timestamp(),
            }
        )
        return 1

    # -- one pass ------------------------------------------------------------------

    def step(self) -> int:
        """Bind, refuse or scale for every pending pod once; the number of changes."""
        changes = self._ensure_nodes()
        nodes = self.nodes()
        pods = self._objects(resources.POD, None)
        used: dict[str, Counter] = {}
        for node in nodes:
            pool = self._pool_of(node)
            used[node["metadata"]["name"]] = Counter(
                self.templates[pool].daemonsets if pool else {}
            )
        pending = []
        for pod in pods:
            spec = pod.get("spec") or {}
            bound = spec.get("nodeName")
            if bound:
                if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                    used.setdefault(bound, Counter()).update({**pod_requests(pod), "pods": 1})
            elif (pod.get("status") or {}).get("phase", "Pending") == "Pending" and not spec.get(
                "schedulingGates"
            ):
                pending.append(pod)
        unschedulable = []
        claims: dict[str, dict[str, dict]] = {}
        for claim in self._objects(resources.PERSISTENT_VOLUME_CLAIM, None) if pending else []:
            meta = claim["metadata"]
            claims.setdefault(meta.get("namespace", ""), {})[meta["name"]] = claim
        for pod in pending:
            namespace = pod["metadata"].get("namespace", "")
            refused = missing_claim(pod, claims.get(namespace, {}))
            if refused:  # no node and no new node helps: the autoscaler skips it too
                changes += self._unschedulable(pod, prefilter_message(refused, len(nodes)))
                continue
            reasons_by_node = {}
            for node in nodes:
                pool = self._pool_of(node)
                if pool is None:
                    continue
                name = node["metadata"]["name"]
                reasons = unfit_reasons(pod, self.templates[pool], used[name])
                if not reasons:
                    self._bind(pod, name)
                    used[name].update({**pod_requests(pod), "pods": 1})
                    changes += 1
                    break
                reasons_by_node[name] = reasons
            else:
                message = fit_message(reasons_by_node)
                changes += self._unschedulable(pod, message)
                unschedulable.append(pod)
        return changes + self._scale_up(unschedulable)

    def _pool_of(self, node: dict) -> str | None:
        labels = node["metadata"].get("labels") or {}
        pool = labels.get(pools.POOL_KEY)
        if pool in self.templates:
            return pool
        if labels.get("eks.amazonaws.com/nodegroup") == self.templates[SYSTEM_POOL].labels.get(
            "eks.amazonaws.com/nodegroup"
        ):
            return SYSTEM_POOL
        return None

    def _bind(self, pod: dict, node: str) -> None:
        meta = pod["metadata"]
        status = dict(pod.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        status.update(
            phase="Running",
            conditions=[*conditions, {"type": "PodScheduled", "status": "True"}],
        )
        self.api.put({**pod, "spec": {**pod.get("spec", {}), "nodeName": node}, "status": status})
        self._event(
            pod,
            "Scheduled",
            f"Successfully assigned {meta.get('namespace', 'default')}/{meta['name']} to {node}",
            "Normal",
            SCHEDULER,
        )

    def _unschedulable(self, pod: dict, message: str) -> int:
        status = dict(pod.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c.get("type") != "PodScheduled"]
        cond = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": message}  # fmt: skip
        if cond in ((pod.get("status") or {}).get("conditions") or []):
            return self._event(pod, "FailedScheduling", message, "Warning", SCHEDULER)
        status.update(phase="Pending", conditions=[*conditions, cond])
        self.api.put({**pod, "status": status})
        self._event(pod, "FailedScheduling", message, "Warning", SCHEDULER)
        return 1

    def _scale_up(self, pods: list[dict]) -> int:
        """cluster-autoscaler: one new node per pod that a group's template takes."""
        plan: dict[str, list[dict]] = {}
        refused: dict[int, Counter] = {}
        for pod in pods:
            reasons: Counter[str] = Counter()
            chosen = None
            for pool, t in self.templates.items():
                why = unfit_reasons(pod, t, Counter(t.daemonsets))
                if why:
                    reasons.update(why)
                    continue
                if self.targets[pool] + len(plan.get(pool, [])) >= t.max:
                    reasons["max node group size reached"] += 1
                    continue
                if self._waiting(pod):
                    chosen = "waiting"
                    break
                chosen = pool
                break
            if chosen == "waiting":
                continue
            if chosen is None:
                refused[id(pod)] = reasons
                continue
            plan.setdefault(chosen, []).append(pod)
        changes = 0
        for pod in pods:
            if id(pod) in refused:
                message = "pod didn't trigger scale-up (it wouldn't fit if a new node is added)"
                detail = _histogram(list(refused[id(pod)].elements()))
                changes += self._event(
                    pod, "NotTriggerScaleUp", f"{message}: {detail}" if detail else message,
                    "Normal", AUTOSCALER,
                )  # fmt: skip
        if not plan:
            return changes
        infos = []
        for pool, wanting in plan.items():
            t = self.templates[pool]
            before = self.targets[pool]
            self.targets[pool] = before + len(wanting)
            infos.append(f"{{{t.group} {before}->{self.targets[pool]} (max: {t.max})}}")
        text = f"pod triggered scale-up: [{' '.join(infos)}]"
        for wanting in plan.values():
            for pod in wanting:
                self._triggered.add(self._key(pod))
                changes += self._event(pod, "TriggeredScaleUp", text, "Normal", AUTOSCALER)
        if not self.hold_at_zero:
            self.sizes = dict(self.targets)
            changes += self._ensure_nodes()
        return changes

    @staticmethod
    def _key(pod: dict) -> tuple[str, str]:
        return (pod["metadata"].get("namespace", ""), pod["metadata"]["name"])

    def _waiting(self, pod: dict) -> bool:
        """Whether a scale-up was already asked for this pod (it waits for its node)."""
        return self._key(pod) in self._triggered
