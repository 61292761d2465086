"""Fixtures of the drills: a redis-server of a drill's own, which it may shut down and restart."""
import shutil
import tempfile

import pytest

from devstack import redis_server


@pytest.fixture
def private_redis():
    """(url, restart): shutting this server down disturbs nobody else; restart() waits for it to have
    exited, then starts an empty one on the same socket."""
    directory = tempfile.mkdtemp(prefix="canal-drill-")  # short: unix socket paths are limited
    server = {"process": None}
    server["process"], url = redis_server.start(directory)

    def restart():
        server["process"].wait(10)
        server["process"], _ = redis_server.start(directory)

    yield url, restart
    server["process"].terminate()
    server["process"].wait(10)
    shutil.rmtree(directory, ignore_errors=True)
