"""Entry point of the CrossGuard pack: Pulumi runs this file when given `--policy-pack policies`.

Pulumi runs it as a script (`python -m pulumi.policy <engine> policies`, which uses
`runpy.run_path`), so `sys.path[0]` is this directory, not the repository: our modules
would import as top-level `s3`, `rule`, ... and `import policies` would fail. Put the
repository root first instead, then serve the pack. Importing this module (as
`policies.__main__`) does nothing.
"""

import os
import sys

if __name__ == "__main__":
    _here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
    sys.path.insert(0, os.path.dirname(_here))

    from policies.crossguard import serve

    serve()
