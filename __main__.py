"""The Pulumi program of this repository's environments (`pulumi up` runs this file).

Everything is in the package: `gpuforge.program.main` reads the stack config that
`gpuforge render` wrote into the spec and builds the platform from it.
"""

from gpuforge.program import main

main()
