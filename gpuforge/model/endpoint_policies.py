"""Which VPC interface endpoints take an endpoint policy, and which S3 actions are data plane.

The network component writes a policy on exactly these endpoints; GF-VPC-010 holds every
interface endpoint of these services to one. Pure: no pulumi.
"""

from __future__ import annotations

from gpuforge.model.spec import ENDPOINTS

# Interface endpoints whose service documents VPC endpoint policies (each service's own
# PrivateLink page has "endpoint policy" examples; the VPC guide says a service without
# support allows full access whatever the policy, "Control access to VPC endpoints using
# endpoint policies", docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html):
# - ecr.api, ecr.dkr: docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
#   ("Create an endpoint policy for your Amazon ECR VPC endpoints");
# - sts: docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_sts_vpce.html;
# - logs: docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch-logs-and-interface-VPC.html
#   ("Controlling access to your CloudWatch Logs VPC endpoint");
# - ec2: docs.aws.amazon.com/AWSEC2/latest/UserGuide/interface-vpc-endpoints.html
#   ("Create an endpoint policy");
# - elasticloadbalancing: docs.aws.amazon.com/elasticloadbalancing/latest/userguide/
#   load-balancer-vpc-endpoints.html; autoscaling: docs.aws.amazon.com/autoscaling/ec2/
#   userguide/ec2-auto-scaling-vpc-endpoints.html ("Create a VPC endpoint policy");
# - ssm: docs.aws.amazon.com/systems-manager/latest/userguide/setup-create-vpc.html;
# - eks: docs.aws.amazon.com/eks/latest/userguide/vpc-interface-endpoints.html ("use VPC
#   endpoint policies to control access to Amazon EKS").
# Read this session: the VPC guide's page and EC2's and EKS's pages; the other pages are
# named as AWS titles them, not re-read here. Check an account with the VPC guide's "View
# endpoint policy support": `aws ec2 describe-vpc-endpoint-services --query
# 'ServiceDetails[].[ServiceName,VpcEndpointPolicySupported]'`.
# Not here: eks-auth. Its PrivateLink page documents no endpoint policy and the Pod
# Identity agent is its only caller; it gets none (AWS's default, full access), and
# GF-VPC-010 names it as a service that does not support one rather than failing it.
WITHOUT_ENDPOINT_POLICY = ("s3", "eks-auth")
"""s3 is a gateway endpoint (its policy is `S3_DATA_PLANE_PREFIXES`'); eks-auth, above."""
ENDPOINT_POLICY_SERVICES = tuple(e for e in ENDPOINTS if e not in WITHOUT_ENDPOINT_POLICY)
"""Every interface endpoint the spec offers (`spec.ENDPOINTS`) but eks-auth."""

S3_DATA_PLANE_PREFIXES = (
    "s3:getobject",
    "s3:putobject",
    "s3:deleteobject",
    "s3:listbucket",
    "s3:getbucketlocation",
    "s3:abortmultipartupload",
    "s3:listmultipartuploadparts",
    "s3:restoreobject",
)
"""Lower-case prefixes of the S3 actions that read or write objects (and the listings they
need): what an S3 gateway endpoint may allow. Anything else (PutBucketPolicy,
PutBucketAcl, s3:*) changes a bucket and is flagged by GF-VPC-011."""
