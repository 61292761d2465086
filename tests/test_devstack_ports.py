"""`make run` starts even when port 5000 or the mail catcher's 8025 is taken (Mailpit), and says where it went."""
import socket

from flask import Flask

from devstack.supervisor import Supervisor
from tests.support import free_port


def occupy(port: int | None = None) -> socket.socket:
    """A socket listening on a free port, as another program (Mailpit, another dev server) would be."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", port or free_port()))
    sock.listen()
    return sock


def free_port_followed_by_a_free_one() -> int:
    """Other tests run beside this one and take ports too: find a port whose next one is free as well."""
    for _ in range(100):
        port = free_port()
        try:
            listenable(port + 1)
        except OSError:
            continue
        return port
    raise AssertionError("no two consecutive free ports")


def listenable(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
        return True


def dev_app(tmp_path, mail_port: int) -> Flask:
    app = Flask("canal-dev-test", instance_path=str(tmp_path))
    app.config.update(MAIL_CATCHER_DIR=str(tmp_path / "mail"), MAIL_PORT=mail_port)
    return app


def test_taken_web_and_mail_ports_are_replaced_by_free_ones_and_named(tmp_path, capsys):
    with occupy() as web_taker, occupy() as mail_taker:
        web_port, mail_port = web_taker.getsockname()[1], mail_taker.getsockname()[1]
        supervisor = Supervisor(dev_app(tmp_path, mail_port), web_port)
        supervisor._choose_ports()

        new_mail_port = int(supervisor.env["MAIL_PORT"])  # what the catcher, worker and web server get
        assert supervisor.port != web_port and new_mail_port != mail_port
        assert supervisor.port != new_mail_port
        assert listenable(supervisor.port) and listenable(new_mail_port)
    err = capsys.readouterr().err
    assert f"Port {web_port} is taken; Canal's web server uses {supervisor.port} instead" in err
    assert f"Port {mail_port} is taken" in err and f"the mail catcher uses {new_mail_port}" in err
    assert "MAIL_PORT=<port>" in err and "PORT=<port>" in err


def test_free_ports_are_kept_silently(tmp_path, capsys):
    web_port, mail_port = free_port(), free_port()
    supervisor = Supervisor(dev_app(tmp_path, mail_port), web_port)
    supervisor._choose_ports()
    assert (supervisor.port, supervisor.env["MAIL_PORT"]) == (web_port, str(mail_port))
    assert capsys.readouterr().err == ""


def test_the_mail_catcher_does_not_get_the_port_just_given_to_the_web_server(tmp_path):
    with occupy(free_port_followed_by_a_free_one()) as web_taker:
        web_port = web_taker.getsockname()[1]
        # The mail catcher is configured on the very port the web server moves to.
        supervisor = Supervisor(dev_app(tmp_path, web_port + 1), web_port)
        supervisor._choose_ports()
    assert supervisor.port == web_port + 1
    assert int(supervisor.env["MAIL_PORT"]) not in (web_port, web_port + 1)
