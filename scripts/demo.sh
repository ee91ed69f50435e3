#!/usr/bin/env bash
# `make demo`: the platform and the main job, offline, on the embedded emulated cloud.
#   1. every stack file is current with its spec; prod's spec checks out;
#   2. prod is built in an emulated AWS account (moto behind Pulumi's mocks) and judged
#      by the policy rules;
#   3. the 2-node x 8-GPU H100 job is checked against prod and rendered (dry run), then
#      launched onto an emulated Kubernetes API, listed, explained and cancelled;
#   4. the reference trainer runs here (torchrun, 2 CPU processes) for 40 steps with its
#      checkpoints in the emulated account's checkpoints bucket (moto on 127.0.0.1).
set -euo pipefail
cd "$(dirname "$0")/.."
gf=.venv/bin/gpuforge
job=examples/jobs/llama-2x8-h100.yaml
if [[ -t 2 ]]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain" >&2; }

step "gpuforge render --all --check"
$gf render --all --check
step "gpuforge validate -e prod"
$gf validate -e prod
step "gpuforge plan -e prod   (the whole platform in an emulated AWS account)"
$gf plan -e prod
step "gpuforge launch $job -e prod --dry-run   (summary; the manifests go to stdout)"
$gf launch "$job" -e prod --dry-run > /dev/null

step "gpuforge emulate k8s -e prod   (an emulated Kubernetes API on 127.0.0.1, GPU pools at zero)"
work=$(mktemp -d)
kubeconfig="$work/emulated.kubeconfig"
$gf emulate k8s -e prod --kubeconfig "$kubeconfig" 2> "$work/emulate.log" &
emulator=$!
trap 'kill "$emulator" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 600); do [[ -s "$kubeconfig" ]] && break; sleep 0.1; done
[[ -s "$kubeconfig" ]] || { cat "$work/emulate.log" >&2; exit 1; }
k=(--kubeconfig "$kubeconfig")

step "gpuforge launch $job -e prod"
$gf launch "$job" -e prod "${k[@]}"
sleep 1  # the emulated Kueue, Job controller, scheduler and autoscaler take a turn
step "gpuforge jobs -e prod"
$gf jobs -e prod "${k[@]}"
step "gpuforge status llama-8b-pretrain -e prod"
$gf status llama-8b-pretrain -e prod "${k[@]}"
step "kubectl get jobs,pods -n training   (kubectl against the same emulated API)"
KUBECONFIG="$kubeconfig" .venv/bin/kubectl get jobs,pods -n training
step "gpuforge cancel llama-8b-pretrain -e prod"
$gf cancel llama-8b-pretrain -e prod "${k[@]}"

step "the reference trainer here: gpuforge launch examples/jobs/tiny-gpt.yaml -e dev --local"
# S3 of an emulated AWS account on 127.0.0.1 (moto), with dev's buckets under their real names;
# with AWS_ENDPOINT_URL set, `s3://{checkpoints}/tiny-gpt` resolves to that bucket.
.venv/bin/python scripts/emulated_s3.py dev "$work/aws.env" 2> "$work/s3.log" &
s3=$!
trap 'kill "$emulator" "$s3" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 600); do [[ -s "$work/aws.env" ]] && break; sleep 0.1; done
[[ -s "$work/aws.env" ]] || { cat "$work/s3.log" >&2; exit 1; }
(
  # shellcheck disable=SC1091
  source "$work/aws.env"
  # one stream, so the exit line comes after the ranks' last lines
  $gf launch examples/jobs/tiny-gpt.yaml -e dev --local --nproc 2 2>&1 | tail -n 5
  step "checkpoints in the emulated account's bucket"
  .venv/bin/python - <<'PY'
import boto3
from gpuforge.model import names
from gpuforge.model.loader import load_env

_, spec = load_env("dev")
bucket = names.bucket_name(spec.expected_account, spec.region, "dev", "checkpoints")
items = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix="tiny-gpt/")["Contents"]
for item in items:
    written = item["LastModified"].strftime("%Y-%m-%d %H:%M:%S")
    print(f"{written}  s3://{bucket}/{item['Key']}  {item['Size']:,} bytes")
PY
)
