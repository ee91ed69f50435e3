"""Entry point of the CrossGuard pack: Pulumi runs this file for `--policy-pack policies`.

Pulumi runs it as a script (`python -m pulumi.policy <engine> <pack dir>`), from the
virtualenv named in `PulumiPolicy.yaml`, where gpuforge is installed. Importing this
module does nothing.
"""

if __name__ == "__main__":
    from gpuforge.policies.crossguard import serve

    serve()
