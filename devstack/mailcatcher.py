"""A local SMTP server that keeps every message it receives (dev stack and tests)."""
from __future__ import annotations

import argparse
import os
import signal
import threading
from pathlib import Path

from aiosmtpd.controller import Controller

from devstack import mailbox


class CatchingHandler:
    """aiosmtpd handler: keeps (envelope recipients, raw bytes) and optionally writes .eml files."""

    def __init__(self, directory: str | Path | None = None):
        self.directory = directory
        self.messages: list[tuple[list[str], bytes]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
        if self.directory is not None:
            mailbox.store(self.directory, envelope.content)
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description="Canal's development mail catcher")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    if os.environ.get("CANAL_ENV") == "production":
        parser.exit(2, "The mail catcher keeps every message, set-password links and license keys included: "
                       "it does not run with CANAL_ENV=production. Set MAIL_SERVER to a real SMTP server.\n")
    controller = Controller(CatchingHandler(args.dir), hostname=args.host, port=args.port)
    controller.start()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
