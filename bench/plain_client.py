"""The baseline for `launch` and `cancel`: the plain Python kubernetes client, nothing else.

    plain_client.py create KUBECONFIG MANIFESTS.yaml NAMESPACE
    plain_client.py delete KUBECONFIG NAME NAMESPACE

`create` sends the manifests `gpuforge launch` sends for the same job (rendered by
bench/run_all.py, the job's name already in them) with `kubernetes.utils.create_from_yaml`;
`delete` deletes the Job (background propagation) and its headless Service. Both load
the same kubeconfig (TLS with the emulated API's CA, its bearer token) as gpuforge.
"""

from __future__ import annotations

import sys

import yaml
from kubernetes import client, config, utils


def main(argv: list[str]) -> int:
    action, kubeconfig = argv[0], argv[1]
    api = config.new_client_from_config(config_file=kubeconfig)
    if action == "create":
        with open(argv[2], encoding="utf-8") as f:
            docs = [d for d in yaml.safe_load_all(f) if d]
        utils.create_from_yaml(api, yaml_objects=docs, namespace=argv[3])
        return 0
    name, namespace = argv[2], argv[3]
    client.BatchV1Api(api).delete_namespaced_job(name, namespace, propagation_policy="Background")
    client.CoreV1Api(api).delete_namespaced_service(name, namespace)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
