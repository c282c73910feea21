"""Activities: all I/O of the workflows, idempotent, with their dependencies injected by worker.py."""
