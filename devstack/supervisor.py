"""Start every process of the dev stack, and stop all of them on Ctrl-C or when one dies."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from flask import Flask

from devstack import ports, redis_server

FLASK = [sys.executable, "-m", "flask", "--app", "app"]


class Supervisor:
    def __init__(self, app: Flask, port: int):
        self.app = app
        self.port = port
        self.children: list[tuple[str, subprocess.Popen]] = []
        self.env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        try:
            self._choose_ports()
            self._start_all()
            self._banner()
            self._watch()
        finally:
            self._stop_all()

    def _choose_ports(self) -> None:
        """Move the web server and the mail catcher to a free port when theirs is taken, and say so.

        5000 is often held by another dev server (or macOS's AirPlay Receiver), 8025 by Mailpit or
        MailHog; the stack starts anyway instead of stopping with "mail exited with 1".
        """
        port = ports.free_port_near(self.port)
        if port != self.port:
            click.echo(f"Port {self.port} is taken; Canal's web server uses {port} instead "
                       f"(choose another with PORT=<port> make run).", err=True)
            self.port = port
        if self.app.config.get("MAIL_CATCHER_DIR"):
            wanted = int(self.app.config["MAIL_PORT"])
            mail_port = ports.free_port_near(wanted, taken={self.port})
            if mail_port != wanted:
                click.echo(f"Port {wanted} is taken (Mailpit or MailHog?); the mail catcher uses {mail_port} "
                           f"instead (choose another with MAIL_PORT=<port> make run).", err=True)
            # The worker and the web server read MAIL_PORT from the environment: they send to the catcher.
            self.env["MAIL_PORT"] = str(mail_port)

    def _start_all(self) -> None:
        instance = Path(self.app.instance_path)
        if not os.environ.get("REDIS_URL"):
            process, url = redis_server.start(instance / "redis")
            self.children.append(("redis", process))
            self.env["REDIS_URL"] = url
        catcher_dir = self.app.config.get("MAIL_CATCHER_DIR")
        if catcher_dir:
            self._spawn("mail", [sys.executable, "-m", "devstack.mailcatcher", "--dir", catcher_dir,
                                 "--port", self.env.get("MAIL_PORT", str(self.app.config["MAIL_PORT"]))])
        self._spawn("worker", FLASK + ["jobs", "worker"])
        self._spawn("scheduler", FLASK + ["jobs", "scheduler", "--interval", "1"])
        self._spawn("web", FLASK + ["run", "--host", "127.0.0.1", "--port", str(self.port), "--no-reload"])

    def _spawn(self, name: str, args: list[str]) -> None:
        # Each child leads its own process group, so stopping it also stops what it forked.
        process = subprocess.Popen(args, env=self.env, start_new_session=True)
        self.children.append((name, process))

    def _banner(self) -> None:
        from services.demo import DEMO_LOGINS, DEMO_PASSWORD

        click.echo(f"\n  Canal is running on http://127.0.0.1:{self.port}\n")
        for email, role, _ in DEMO_LOGINS:
            click.echo(f"    {role.value:<9} {email:<22} password: {DEMO_PASSWORD}")
        if self.app.config.get("MAIL_CATCHER_DIR"):
            click.echo(f"\n  Mail sent by Canal: http://127.0.0.1:{self.port}/ops/mail (log in as ops)")
        click.echo("  Press Ctrl-C to stop everything.\n")

    def _watch(self) -> None:
        while not self.stopping:
            for name, process in self.children:
                if process.poll() is not None:
                    click.echo(f"{name} exited with {process.returncode}; stopping the rest.", err=True)
                    return
            time.sleep(0.3)

    def _on_signal(self, signum, frame) -> None:
        self.stopping = True

    def _stop_all(self) -> None:
        """Stop the processes, then Redis last (a worker finishing its job still needs it)."""
        others = [p for name, p in self.children if name != "redis"]
        redis = [p for name, p in self.children if name == "redis"]
        for group in (others, redis):
            self._stop(group)

    def _stop(self, processes: list[subprocess.Popen]) -> None:
        """SIGTERM each group (RQ: warm shutdown), again after a grace period (cold), then SIGKILL."""
        for _ in range(2):
            self._signal(processes, signal.SIGTERM)
            if self._wait(processes, timeout=5):
                return
        self._signal(processes, signal.SIGKILL)
        self._wait(processes, timeout=5)

    @staticmethod
    def _signal(processes: list[subprocess.Popen], sig: int) -> None:
        for process in processes:
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass

    @staticmethod
    def _wait(processes: list[subprocess.Popen], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        for process in processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                return False
        return True
