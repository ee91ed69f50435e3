"""Typed errors of the emulated AWS account.

Handlers raise :class:`AwsError` (an AWS error code and message, no Pulumi
context); the mocks turn it, and any botocore ``ClientError``, into
:class:`EmulationError`, which names the Pulumi resource that failed.
"""

from __future__ import annotations


class AwsError(Exception):
    """An AWS-style error raised by the emulator's own state or validation.

    ``code`` is the AWS error code (``ResourceNotFoundException``,
    ``InvalidSubnet.Range``...), ``message`` the AWS-style message.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class EmulationError(Exception):
    """A resource (or invoke) the emulated AWS account refused.

    ``str()`` reads ``aws:ec2/subnet:Subnet "net-private-a": InvalidSubnet.Range: The CIDR
    '10.1.0.0/24' is invalid.``
    """

    def __init__(self, resource_type: str, name: str, aws_code: str, message: str) -> None:
        super().__init__(resource_type, name, aws_code, message)
        self.resource_type = resource_type
        self.name = name
        self.aws_code = aws_code
        self.message = message

    def __str__(self) -> str:
        return f'{self.resource_type} "{self.name}": {self.aws_code}: {self.message}'

    def __reduce__(self):
        return (type(self), (self.resource_type, self.name, self.aws_code, self.message))
