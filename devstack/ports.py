"""Ports for the dev stack: the one asked for if it is free, else the next free one near it."""
from __future__ import annotations

import socket


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    """Whether a server could listen on host:port now (bound the way werkzeug and asyncio bind)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
        return True


def free_port_near(preferred: int, host: str = "127.0.0.1", tries: int = 10, taken: set[int] = frozenset()) -> int:
    """`preferred` if free, else the first free one of the next `tries` ports, else any free port.

    `taken`: ports already promised to another process of the stack that is not listening yet.
    """
    for port in range(preferred, min(preferred + tries, 65536)):
        if port not in taken and is_free(port, host):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
