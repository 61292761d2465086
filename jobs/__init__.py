"""Job entry points (the functions workers run, named by dotted path), the `flask jobs` CLI and the
periodic schedule. The queue plumbing they and the services use is the top-level `queues` module.
"""
