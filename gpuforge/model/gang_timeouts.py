"""How long a gang waits for its last node: one scale-from-zero figure, and what follows from it.

A multi-node job on a GPU pool at zero nodes gets its nodes one by one, minutes apart:
cluster-autoscaler asks the Auto Scaling group for them, and each boots, joins, starts
its device plugins and pulls the training image in its own time. Every wait of the
gang is derived from one figure, so none of them gives up while a node is still on
its way:

- `NODE_PROVISION_SECONDS`: cluster-autoscaler's `--max-node-provision-time`, 15 min
  (kubernetes/autoscaler@5a0b98e4:cluster-autoscaler/config/flags/flags.go:129;
  FAQ.md:1082). A node not registered by then is given up by the autoscaler itself, so
  no later node is worth waiting for.
- `IMAGE_PULL_SECONDS`: gpuforge's margin for what happens after the node registers
  (the NVIDIA and EFA device plugins advertising their resources, and pulling a
  training image of 10-20 GB), 5 min.

`SCALE_FROM_ZERO_SECONDS`, their sum (20 min), is how much later than the first pod
the last pod of a gang may start. It sets torchrun's rendezvous `join_timeout` and the
wait for rank 0's DNS name (`gpuforge.jobs.pod`), and Kueue's `waitForPodsReady`
timeout, recovery timeout and longest requeue backoff (`gpuforge.model.kueue`).
Pure data.
"""

from __future__ import annotations

NODE_PROVISION_SECONDS = 15 * 60
IMAGE_PULL_SECONDS = 5 * 60
SCALE_FROM_ZERO_SECONDS = NODE_PROVISION_SECONDS + IMAGE_PULL_SECONDS

RENDEZVOUS_JOIN_SECONDS = SCALE_FROM_ZERO_SECONDS
"""torchrun's `join_timeout` (its default is 600 s,
torch 2.13 `distributed/elastic/rendezvous/dynamic_rendezvous.py:144`): the first agent
to join waits this long for the last one."""
DNS_WAIT_SECONDS = SCALE_FROM_ZERO_SECONDS
"""How long a pod waits for rank 0's name to resolve: rank 0's node may be the last to
come (a Pending pod has no IP, so no DNS record)."""
PODS_READY_SECONDS = SCALE_FROM_ZERO_SECONDS
"""Kueue's `waitForPodsReady.timeout` (and `recoveryTimeout`): from admission (or a
pod's loss) until every pod is Ready, before Kueue evicts and requeues the job."""
REQUEUE_BACKOFF_BASE_SECONDS = 60
"""Kueue's default first requeue delay (then doubling)."""
REQUEUE_BACKOFF_MAX_SECONDS = SCALE_FROM_ZERO_SECONDS
"""The longest requeue delay: no longer than one more scale-from-zero wait (Kueue's
default is 3600 s)."""
