"""Mail is sent with smtplib on a socket that times out after MAIL_TIMEOUT (Flask-Mail's Mail.send has no
timeout setting: a stalled SMTP server would hang the worker for good)."""
from services.mail import outbox


def test_the_smtp_connection_times_out_after_mail_timeout(app, smtp):
    app.config["MAIL_TIMEOUT"] = 7
    connection = outbox.smtp_connection()
    try:
        assert connection.sock.gettimeout() == 7
        assert connection.noop()[0] == 250  # a real conversation with the test SMTP server
    finally:
        connection.quit()
