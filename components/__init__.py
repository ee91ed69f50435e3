"""Pulumi component resources and the environment spec that drives them.

Importing this package is cheap: pulumi and pulumi_aws are imported only by the
component modules themselves, never by `components.spec` or `components.catalog`.
"""
