"""The catcher's mailbox: one .eml file per message received, read back for /ops/mail."""
from __future__ import annotations

import os
import re
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

NAME_PATTERN = re.compile(r"^[0-9]{13}-[0-9a-f]{32}\.eml$")


@dataclass
class StoredAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class StoredMessage:
    name: str
    sender: str
    to: str
    subject: str
    received: datetime  # by the catcher (its file's name)
    text: str
    html: str
    attachments: list[StoredAttachment]


def store(directory: str | Path, data: bytes) -> str:
    path = Path(directory)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    name = f"{int(time.time() * 1000):013d}-{uuid.uuid4().hex}.eml"
    tmp = path / f".{name}.tmp"
    # Only its owner may read a message: it may hold a set-password link or license keys.
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
        file.write(data)
    tmp.rename(path / name)  # readers never see half a message
    return name


def parse(name: str, data: bytes) -> StoredMessage:
    msg: EmailMessage = message_from_bytes(data, policy=policy.default)  # type: ignore[assignment]
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    return StoredMessage(
        name=name, sender=str(msg.get("From", "")), to=str(msg.get("To", "")),
        subject=str(msg.get("Subject", "")), received=datetime.fromtimestamp(int(name[:13]) / 1000, UTC),
        text=text.get_content() if text else "", html=html.get_content() if html else "",
        attachments=[StoredAttachment(part.get_filename() or f"attachment-{number}", part.get_content_type(),
                                      part.get_payload(decode=True) or b"")
                     for number, part in enumerate(msg.iter_attachments(), 1)],
    )


def list_messages(directory: str | Path, limit: int = 200) -> list[StoredMessage]:
    path = Path(directory)
    if not path.is_dir():
        return []
    names = sorted((p.name for p in path.iterdir() if NAME_PATTERN.match(p.name)), reverse=True)
    return [parse(name, (path / name).read_bytes()) for name in names[:limit]]


def read_message(directory: str | Path, name: str) -> StoredMessage | None:
    if not NAME_PATTERN.match(name):
        return None
    path = Path(directory) / name
    return parse(name, path.read_bytes()) if path.is_file() else None
