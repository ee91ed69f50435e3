"""Training jobs: the job model, manifests, and the cluster they run on."""
