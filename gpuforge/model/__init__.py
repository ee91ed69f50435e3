"""The pulumi-free model of an environment: everything more than one part of gpuforge needs.

The spec (`spec`, read by `loader`), AWS's instance data (`catalog`), the subnet
plan, prices and costs, the stack-config mapping, and the facts the Pulumi
components, the policy rules and the job runner share: pool labels, taints and
device counts (`pools`), names and tag keys (`names`). Nothing here imports
pulumi, pulumi_aws, boto3 or moto (a test checks), so the CLI's light paths
stay instant.
"""
