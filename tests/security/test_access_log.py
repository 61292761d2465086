"""Issue 18, finding 10: access-log lines keep the path of set-password and activation links, not their token."""
import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.util import load_class

from blueprints.access_log import TokenFreeLogger

ROOT = Path(__file__).parents[2]
TOKEN = "WzEsImFiYyJd.Z3x9Qw.s1gn-atur3_x"


def gunicorn_access_line(tmp_path, path: str, referer: str = "-") -> str:
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    logger = TokenFreeLogger(cfg)
    logger.access_log.disabled = False  # alembic's logging setup (another test's migrations) may have turned it off
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9", "HTTP_REFERER": referer,
               "HTTP_USER_AGENT": "test"}
    response = SimpleNamespace(status="200 OK", sent=512, headers=[])
    request = SimpleNamespace(headers=[("REFERER", referer)])
    logger.access(response, request, environ, timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.close()
    return (tmp_path / "access.log").read_text()


def test_gunicorn_logs_set_password_and_activation_paths_without_their_token(tmp_path):
    line = gunicorn_access_line(tmp_path, f"/set-password/{TOKEN}?next=x",
                                referer=f"https://canal.example.com/activate/{TOKEN}")
    assert TOKEN not in line
    assert '"GET /set-password/[token]?next=x HTTP/1.1" 200 512' in line
    assert '"https://canal.example.com/activate/[token]"' in line
    assert "203.0.113.9" in line


def test_other_paths_are_logged_as_they_are(tmp_path):
    assert '"GET /orders/12?page=2 HTTP/1.1" 200' in gunicorn_access_line(tmp_path, "/orders/12?page=2")


def test_gunicorn_conf_uses_the_token_free_logger():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert load_class(settings["logger_class"]) is TokenFreeLogger


def test_the_development_server_logs_request_lines_without_tokens(app, caplog, monkeypatch):
    monkeypatch.setattr(logging.getLogger("werkzeug"), "disabled", False)  # alembic's logging setup turned it off
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('%s - - [%s] "%s" %s %s', "127.0.0.1", "07/Dec/2026 01:00:00",
                                           f"POST /set-password/{TOKEN} HTTP/1.1", "303", "-")
    assert TOKEN not in caplog.text
    assert '"POST /set-password/[token] HTTP/1.1" 303' in caplog.text


def test_a_failed_requests_path_is_logged_without_its_token(app, caplog, monkeypatch):
    monkeypatch.setattr(app.logger, "disabled", False)
    with caplog.at_level(logging.ERROR, logger=app.logger.name):
        app.logger.error("Exception on %s [%s]", f"/activate/{TOKEN}", "POST")
    assert TOKEN not in caplog.text and "Exception on /activate/[token] [POST]" in caplog.text
