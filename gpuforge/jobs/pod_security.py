"""What makes every job pod pass Pod Security `restricted`: user, contexts, writable dirs.

Every pod gpuforge renders (all backends, the burn-in) runs as `RUN_AS_USER`:`RUN_AS_GROUP`
(the user `gpuforge image render`'s Dockerfile creates, `USER` there), with `fsGroup`,
no privilege escalation, every capability dropped, the runtime's default seccomp profile
and a read-only root file system. What a training process must write gets an emptyDir:
`/tmp`, the caches PyTorch, Triton, Inductor and CUDA write (`CACHE_ENV` points them
there) and `/outputs`; the memory-backed `/dev/shm` stays (`gpuforge.jobs.pod`).

The checks these satisfy, at pod-security-admission v0.35.0
(kubernetes/pod-security-admission@10e6c1c6e18a2981bab6b401583650caf6b10164):
policy/check_runAsNonRoot.go, check_runAsUser.go (runAsUser != 0),
check_allowPrivilegeEscalation.go, check_capabilities_restricted.go (drop ALL),
check_seccompProfile_restricted.go (RuntimeDefault or Localhost), and
check_restrictedVolumes.go (emptyDir, configMap, projected: all allowed). The read-only
root and the high UID are not PSA's; they are checkov's CKV_K8S_22 and CKV_K8S_40
(UID >= 10000, "to avoid host conflict").

EFA and NCCL need no capability in the training pod. The EFA device plugin (itself
privileged, in kube-system: aws/eks-charts@5239609242f3430be50fb0b714a24d3ef2b47983
:stable/aws-efa-k8s-device-plugin/README.md:26) hands `/dev/infiniband/uverbs*` to the pod
through the device plugin API, not a hostPath or a privileged container. What EFA does
need is an unlimited memlock rlimit (libfabric's EFA provider registers its buffers;
with 64 KiB it fails "Libfabric error: (-12) Cannot allocate memory",
awslabs/awsome-distributed-ai#647). Pod Security has no say on rlimits and Kubernetes has
no field for them: the container gets what the node's runtime gives it. amazon-eks-ami
(awslabs/amazon-eks-ami@81fec2e895854f599974fe4d3d72f61c0a9aaffa
:nodeadm/internal/containerd/base-runtime-spec.json:159-165) sets only RLIMIT_NOFILE, so
RLIMIT_MEMLOCK is containerd's own; nodeadm's `containerd.baseRuntimeSpec` sets it
(nodeadm/doc/examples.md:198-215), and an EFA pool's launch template does
(`gpuforge.model.nodeadm`). `IPC_LOCK` would also lift the limit, but `restricted`
allows adding only NET_BIND_SERVICE (check_capabilities_restricted.go) and a non-root
process has no effective capabilities anyway, so gpuforge does not add it: the default
stays restricted. docs/security.md says the same.
"""

from __future__ import annotations

RUN_AS_USER = 10001
"""The training user's UID: not root, and >= 10000 (checkov CKV_K8S_40)."""
RUN_AS_GROUP = 10001
"""The training user's primary GID, also the pod's `fsGroup` (emptyDirs are group-writable)."""
USER_NAME = "trainer"
"""The name the training image gives `RUN_AS_USER`."""

POD_SECURITY = {
    "runAsNonRoot": True,
    "runAsUser": RUN_AS_USER,
    "runAsGroup": RUN_AS_GROUP,
    "fsGroup": RUN_AS_GROUP,
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""The pod's `securityContext`."""

CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "privileged": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": RUN_AS_USER,
    "runAsGroup": RUN_AS_GROUP,
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""Every container's `securityContext` (repeating the pod's user: checkov reads containers)."""

TMP_DIR = "/tmp"
CACHE_DIR = "/var/cache/gpuforge"
OUTPUT_DIR = "/outputs"
WRITABLE_DIRS = {"tmp": TMP_DIR, "cache": CACHE_DIR, "outputs": OUTPUT_DIR}
"""emptyDir volume name -> where it is mounted: what a pod may write besides /dev/shm."""

CACHE_ENV = {
    # torch/hub.py (torch 2.13.0, in .venv): `$TORCH_HOME`, default `$XDG_CACHE_HOME/torch`.
    "XDG_CACHE_HOME": CACHE_DIR,
    "TORCH_HOME": f"{CACHE_DIR}/torch",
    # torch/_inductor/runtime/cache_dir_utils.py: `cache_dir()` reads TORCHINDUCTOR_CACHE_DIR
    # (default `<tempdir>/torchinductor_<user>`); `triton_cache_dir()` reads TRITON_CACHE_DIR.
    "TORCHINDUCTOR_CACHE_DIR": f"{CACHE_DIR}/inductor",
    "TRITON_CACHE_DIR": f"{CACHE_DIR}/triton",
    # torch/utils/cpp_extension.py `_get_build_directory`: TORCH_EXTENSIONS_DIR.
    "TORCH_EXTENSIONS_DIR": f"{CACHE_DIR}/torch_extensions",
    # CUDA's JIT cache (default ~/.nv/ComputeCache; CUDA C Programming Guide, "CUDA
    # Environment Variables").
    "CUDA_CACHE_PATH": f"{CACHE_DIR}/nv",
    # Anything else that writes under $HOME (read-only in the image) writes here.
    "HOME": f"{TMP_DIR}/home",
}
"""Where PyTorch, Triton, Inductor and CUDA write their caches: under the cache emptyDir."""


def writable_volumes() -> list[dict]:
    """The emptyDirs a pod writes to (disk-backed; /dev/shm is the memory-backed one)."""
    return [{"name": name, "emptyDir": {}} for name in WRITABLE_DIRS]


def writable_mounts() -> list[dict]:
    return [{"name": name, "mountPath": path} for name, path in WRITABLE_DIRS.items()]
