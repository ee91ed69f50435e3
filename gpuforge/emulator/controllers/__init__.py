"""The controllers of the emulated cluster, one module each, named for its job.

`gpuforge.emulator.k8s_controllers.Controllers` runs them in order; each has a
`step()` that makes one pass and returns how many changes it made. `store` is what
they share: reads from the emulated API's store, creates through its HTTP API.
"""
