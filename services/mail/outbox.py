"""The e-mail outbox: write a message with the change that causes it; a job delivers it."""
from __future__ import annotations

import smtplib
from collections.abc import Callable
from datetime import timedelta
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from jinja2 import Template
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy import event
from sqlalchemy.orm import Session

from models import EmailStatus, OutboxEmail, db, utcnow
from models.json_rows import JsonRows
from queues import enqueue_after_commit
from services import DomainError
from services.locales import regional_locale
from services.mail import html
from services.mail.addresses import clean_address
from services.mail.attachments import Attachment

SEND_JOB = "jobs.mail.send_email"
SEND_BATCH_JOB = "jobs.mail.send_emails"
SEND_BATCH_SIZE = 50  # messages per job: one fork and one SMTP connection for all of them


class OutboxError(DomainError):
    pass


def public_url(endpoint: str, **values) -> str:
    """An absolute link under PUBLIC_URL, for e-mails (works in jobs too, without a request)."""
    parts = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    return adapter.build(endpoint, values, force_external=True)


def in_language_of(recipient: Any):
    """force_locale for an e-mail: a customer's `language`, a user's `locale`, else the default language."""
    language = getattr(recipient, "language", None) or getattr(recipient, "locale", None)
    if language not in current_app.config["LANGUAGES"]:
        language = current_app.config["BABEL_DEFAULT_LOCALE"]
    country = getattr(recipient, "country", None) or getattr(getattr(recipient, "reseller", None), "country", None)
    return force_locale(str(regional_locale(language, country)))  # es_UY: Spanish, Uruguayan formats


def queue_email(to: str, template: str, related: Any = None, **context: Any) -> OutboxEmail:
    """Render email/<template>.txt and its HTML part into an outbox row and send it after commit.

    `from_name` and `reply_to` (keyword, optional): whose message it is, e.g. a reseller's to its customer; the
    From address stays Canal's own (MAIL_DEFAULT_SENDER), with that name, and replies go to `reply_to`."""
    email = OutboxEmail(**renderer()(to, template, related, **context))
    db.session.add(email)
    db.session.flush()
    _enqueue_send(email.id)
    return email


def renderer() -> Callable[..., dict[str, Any]]:
    """A function rendering messages in the current language into outbox columns (for encode_emails).

    The render helpers are set up once for all the messages it renders, not once per message.
    """
    helpers: dict[str, Any] = {}
    current_app.update_template_context(helpers)
    layouts: dict[tuple, list[str]] = {}  # the layout around a text body, by subject, sender and reply-to
    bases: dict[str, dict[str, Any]] = {}  # a template's globals and the helpers, merged once
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])  # Flask-Babel's lookup: ~10 µs a call

    def render(to: str, template: str, related: Any = None, *, from_name: str = "", reply_to: str = "",
               **context: Any) -> dict[str, Any]:
        name = f"email/{template}.txt"  # its blocks subject and body
        text = current_app.jinja_env.get_template(name)
        if name not in bases:
            bases[name] = {**text.globals, **helpers}
        context = {**bases[name], **context}
        blocks = text.new_context(context, shared=True)  # one jinja Context for both blocks
        subject = " ".join(_render_block(text, "subject", blocks).split())[:255]
        body_text = _render_block(text, "body", blocks).strip() + "\n"
        from_name = " ".join(str(from_name).split())[:120]  # one line: never a header of its own
        reply_to = clean_address(reply_to) if reply_to else ""
        html_context = {**context, "subject": subject, "sender_name": from_name, "reply_to": reply_to,
                        "language": locale.split("_")[0]}
        return {"to_addr": clean_address(to),
                "subject": subject,
                "body_text": body_text,
                "body_html": _html_part(template, html_context, body_text, layouts),
                "from_name": from_name,
                "reply_to": reply_to,
                "template": template,
                "locale": locale,
                "related_type": type(related).__name__ if related is not None else "",
                "related_id": getattr(related, "id", None)}
    return render


def _render_block(template: Template, block: str, context: Context) -> str:
    """One block of `template` on a context that already holds its globals (jinja2-fragments' render_block copies
    the globals, a ChainMap, into a new dict twice per block: a third of a batch's e-mail rendering)."""
    try:
        return template.environment.concat(template.blocks[block](context))
    except Exception:
        return template.environment.handle_exception()


_MESSAGES = JsonRows(*(OutboxEmail.__table__.c[name] for name in (
    "to_addr", "subject", "body_text", "body_html", "from_name", "reply_to", "template", "related_type", "related_id",
    "locale", "attachment_kind", "attachment_id", "status", "attempts", "last_error", "created_at")))


def encode_emails(messages: list[dict[str, Any]]) -> str:
    """Rendered messages (from renderer()) as the one parameter of queue_encoded_emails; a message may name what
    it attaches (`attachment_kind`, `attachment_id`: services/mail/attachments.py)."""
    queued = {"status": EmailStatus.QUEUED, "attempts": 0, "last_error": "", "created_at": utcnow()}
    unattached = {"attachment_kind": "", "attachment_id": None}
    return _MESSAGES.param({**unattached, **m, **queued} for m in messages)


def queue_encoded_emails(rows: str) -> list[int]:
    """Insert the messages in one statement (a batch of imports' e-mails, no ORM objects); send after commit."""
    table = OutboxEmail.__table__
    insert = (sa.insert(table).from_select([c.name for c in _MESSAGES.columns], sa.select(_MESSAGES.table()))
              .returning(table.c.id))
    ids = list(db.session.scalars(insert, {"rows": rows}))
    for email_id in ids:  # in any order: each gets its sending job
        _enqueue_send(email_id)
    return ids


def _enqueue_send(email_id: int) -> None:
    """The messages of one transaction share a sending job, up to SEND_BATCH_SIZE each (sent after commit).

    The job is named after its first message (`send-emails-<id>`), apart from the sweep's and retries'
    `send-email-<id>`: a batch job that died must not pass for that message's own job.
    """
    batch = db.session.info.get("outbox_batch")
    if batch is not None and len(batch) < SEND_BATCH_SIZE:
        batch.append(email_id)  # the pending job holds this very list: it is serialised at commit
        return
    db.session.info["outbox_batch"] = batch = [email_id]
    enqueue_after_commit("mail", SEND_BATCH_JOB, batch, job_id=send_batch_job_id(email_id))


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _end_batch(session: Session, *args: Any) -> None:
    session.info.pop("outbox_batch", None)


def send_job_id(email_id: int, attempt: int | None = None) -> str:
    return f"send-email-{email_id}" + (f"-retry-{attempt}" if attempt else "")


def send_batch_job_id(first_email_id: int) -> str:
    return f"send-emails-{first_email_id}"


_TEXT_SLOT = "<canal-text-slot>"  # never from a value: the layout escapes every value's "<"


def _html_part(template: str, context: dict, body_text: str, layouts: dict[tuple, list[str]]) -> str:
    """The message's own HTML template if it has one, else its text in the HTML layout (services/mail/html.py).

    The layout reads only the subject, sender, reply-to and language (one per renderer): it is rendered once
    for each, around a slot, and each message's text is set in it (a batch's e-mails share a few subjects)."""
    name = f"email/{template}.html"
    if name in _email_templates():
        return current_app.jinja_env.get_template(name).render({**context, "text_html": html.paragraphs(body_text)})
    key = (context["subject"], context["sender_name"], context["reply_to"])
    if key not in layouts:
        page = current_app.jinja_env.get_template("email/_layout.html").render(
            {**context, "text_html": Markup(_TEXT_SLOT)})
        before, _slot, after = page.partition(_TEXT_SLOT)
        layouts[key] = [before, after]
    before, after = layouts[key]
    return before + str(html.paragraphs(body_text)) + after  # str: Markup + str would escape the layout


def _email_templates() -> frozenset[str]:
    """The e-mail templates, listed once per app: listing walks every template folder."""
    names = current_app.extensions.get("canal_email_templates")
    if names is None:
        names = frozenset(current_app.jinja_env.list_templates(filter_func=lambda name: name.startswith("email/")))
        current_app.extensions["canal_email_templates"] = names
    return names


def without_waiting_for_disk() -> None:
    """This transaction's COMMIT returns before PostgreSQL flushes it to disk (SET LOCAL synchronous_commit).

    For the sender's claim and mark, two commits a message that need not wait for the disk. Only a crash of
    the database server itself can lose such a commit, and then the message is sent again (at least once, as
    when a worker dies mid-send); the message was queued with a normal commit, so it is never lost.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL synchronous_commit TO OFF"))


def lease() -> timedelta:
    """How long a claim lasts unless its sender renews it (renew_claim, every MAIL_TIMEOUT / 2 seconds)."""
    return timedelta(seconds=current_app.config["MAIL_TIMEOUT"] * 3 + 30)


def claim(email_id: int) -> OutboxEmail | None:
    """Take a due message for sending (QUEUED, or SENDING whose lease ran out); None if not ours.

    The claim is the pair (SENDING, attempts): every claim counts an attempt, so a later claim is another.
    """
    now = utcnow()
    due = sa.or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now)
    stmt = (sa.update(OutboxEmail)
            .where(OutboxEmail.id == email_id,
                   sa.or_(sa.and_(OutboxEmail.status == EmailStatus.QUEUED, due),
                          sa.and_(OutboxEmail.status == EmailStatus.SENDING, OutboxEmail.locked_until < now)))
            .values(status=EmailStatus.SENDING, locked_until=now + lease(), attempts=OutboxEmail.attempts + 1)
            .execution_options(synchronize_session=False))
    if db.session.execute(stmt).rowcount != 1:
        return None
    return db.session.get(OutboxEmail, email_id, populate_existing=True)


def renew_claim(connection: sa.Connection, email_id: int, attempts: int, length: timedelta) -> bool:
    """Extend a claim's lease while its sender is still sending; False if the claim is no longer held."""
    stmt = (sa.update(OutboxEmail)
            .where(OutboxEmail.id == email_id, OutboxEmail.status == EmailStatus.SENDING,
                   OutboxEmail.attempts == attempts)
            .values(locked_until=utcnow() + length))
    return connection.execute(stmt).rowcount == 1


def deliver(email: OutboxEmail, smtp: smtplib.SMTP | None = None, attachment: Attachment | None = None) -> None:
    """Hand the message to the SMTP server, on `smtp` if given (raises smtplib.SMTPException or OSError)."""
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    raw = mime_message(email, sender, attachment).as_bytes(policy=policy.SMTP)
    if smtp is not None:
        smtp.sendmail(sender, [email.to_addr], raw)
        return
    with smtp_connection() as smtp:
        smtp.sendmail(sender, [email.to_addr], raw)


def mime_message(email: OutboxEmail, sender: str, attachment: Attachment | None = None) -> EmailMessage:
    """The message: the text, with the HTML as its alternative if there is one, and the attachment if any; UTF-8
    headers are encoded (RFC 2047). Both parts are UTF-8 in base64: the text arrives exactly as written, however
    long its lines (links), where an 8bit or quoted-printable body's line ends would come out as CRLF."""
    message = EmailMessage()
    message["Subject"] = email.subject
    display, address = parseaddr(sender)
    message["From"] = Address(email.from_name or display, addr_spec=address) if email.from_name else sender
    message["To"] = email.to_addr
    if email.reply_to:
        message["Reply-To"] = Address(email.from_name, addr_spec=email.reply_to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or "canal.localhost")
    message.set_content(email.body_text, cte="base64")
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html", cte="base64")
    if attachment is not None:  # the message becomes multipart/mixed: the text (and HTML), then the file
        message.add_attachment(attachment.content, maintype=attachment.maintype, subtype=attachment.subtype,
                               filename=attachment.filename)
    return message


def smtp_connection() -> smtplib.SMTP:
    """A connection to the configured SMTP server, TLS and login done."""
    config = current_app.config
    # smtplib, not Flask-Mail's Mail.send: that has no timeout setting; a stalled SMTP server would hang the worker.
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"])
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"] and config["MAIL_PASSWORD"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


def mark_sent(email: OutboxEmail) -> None:
    email.status = EmailStatus.SENT
    email.sent_at = utcnow()
    email.locked_until = None
    email.last_error = ""


def record_failure(email: OutboxEmail, error: str) -> None:
    """Queue another attempt with exponential backoff, or give up after MAIL_MAX_ATTEMPTS."""
    config = current_app.config
    email.last_error = error[:2000]
    email.locked_until = None
    if email.attempts >= config["MAIL_MAX_ATTEMPTS"]:
        email.status = EmailStatus.FAILED
        email.next_attempt_at = None
        return
    delay = min(config["MAIL_RETRY_BASE_SECONDS"] * 2 ** (email.attempts - 1), 3600)
    email.status = EmailStatus.QUEUED
    email.next_attempt_at = utcnow() + timedelta(seconds=delay)
    enqueue_after_commit("mail", SEND_JOB, email.id, job_id=send_job_id(email.id, email.attempts),
                         at=email.next_attempt_at)


def retry(email: OutboxEmail) -> None:
    """Send a FAILED (or waiting) message again now."""
    if email.status not in (EmailStatus.FAILED, EmailStatus.QUEUED):
        raise OutboxError(_("Only a failed or queued message can be retried."))
    email.status = EmailStatus.QUEUED
    email.next_attempt_at = None
    enqueue_after_commit("mail", SEND_JOB, email.id, job_id=send_job_id(email.id))


def due_ids(limit: int = 1000) -> list[int]:
    """Messages that should be on their way but may have lost their job (Redis restart, crash)."""
    now = utcnow()
    settled = now - timedelta(seconds=10)  # just written: its own job is surely still queued
    stmt = (sa.select(OutboxEmail.id)
            .where(sa.or_(
                sa.and_(OutboxEmail.status == EmailStatus.QUEUED, OutboxEmail.created_at <= settled,
                        sa.or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now)),
                sa.and_(OutboxEmail.status == EmailStatus.SENDING, OutboxEmail.locked_until < now)))
            .order_by(OutboxEmail.id).limit(limit))
    return list(db.session.scalars(stmt))
