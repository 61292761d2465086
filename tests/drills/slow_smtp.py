"""A real SMTP server (aiosmtpd) that holds one message's DATA answer until the drill releases it: the
sender is then known to be in the middle of a send, for as long as the drill needs."""
from __future__ import annotations

import asyncio
import threading

from aiosmtpd.controller import Controller

from devstack.mailcatcher import CatchingHandler
from tests.support import free_port, parse_mail


class HoldingHandler(CatchingHandler):
    """Holds the first message sent to `hold_to`. On release() it is accepted (a slow server) or, with
    `drop_held`, refused with a 451 and not kept (its sender is gone: nobody hears the answer)."""

    def __init__(self, hold_to: str, drop_held: bool, longest: float):
        super().__init__()
        self.hold_to, self.drop_held, self.longest = hold_to, drop_held, longest
        self.entered, self.released = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if self.hold_to in envelope.rcpt_tos and not self.entered.is_set():
            self.entered.set()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.longest
            while not self.released.is_set() and loop.time() < deadline:
                await asyncio.sleep(0.02)
            if self.drop_held:
                return "451 Requested action aborted: local error in processing"
        return await super().handle_DATA(server, session, envelope)


class HoldingSMTP:
    def __init__(self, hold_to: str, drop_held: bool = False, longest: float = 60):
        self.port = free_port()
        self.handler = HoldingHandler(hold_to, drop_held, longest)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    @property
    def messages(self):
        with self.handler.lock:
            return [parse_mail(raw) for _, raw in self.handler.messages]

    def release(self) -> None:
        self.handler.released.set()

    def stop(self) -> None:
        self.release()
        self.controller.stop()
