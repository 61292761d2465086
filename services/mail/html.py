"""The HTML part of an e-mail: its own `email/<template>.html` (which extends `email/_layout.html`), or else the
plain-text body set in that layout, escaped, its paragraphs kept and its links made clickable. Either way every
message has both parts and no value reaches the HTML unescaped."""
from __future__ import annotations

import re

from markupsafe import Markup, escape

_LINK = re.compile(r"https?://[^\s<>\"']+")
_BLANK_LINE = re.compile(r"\n\s*\n")


def _linked(text: str) -> str:
    """The text escaped, with its http(s) addresses as links (the address is the link's text)."""
    parts, last = [], 0
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        link = escape(url)
        parts += (escape(text[last:match.start()]), f'<a href="{link}">{link}</a>')
        last = match.start() + len(url)
    parts.append(escape(text[last:]))
    return "".join(parts)


def paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs: a blank line separates them, a line break stays one.

    The whole text is escaped first, then cut (escaping leaves spaces and line breaks as they are): a few
    string operations a message, not a Markup object a line (batches of imports render thousands)."""
    blocks = [block for block in _BLANK_LINE.split(_linked(text.strip())) if block.strip()]
    return Markup("\n".join("<p>" + "<br>\n".join(line.rstrip() for line in block.splitlines()) + "</p>"
                            for block in blocks))
