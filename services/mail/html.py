"""The HTML part of an e-mail: its own `email/<template>.html` (which extends `email/_layout.html`), or else the
plain-text body set in that layout, escaped, its paragraphs kept and its links made clickable. Either way every
message has both parts and no value reaches the HTML unescaped."""
from __future__ import annotations

import re

from markupsafe import Markup, escape

_LINK = re.compile(r"https?://[^\s<>\"']+")


def _line(text: str) -> Markup:
    """One line, escaped, with its http(s) addresses as links (the address is the link's text)."""
    parts, last = [], 0
    for match in _LINK.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        end = match.start() + len(url)
        parts.append(escape(text[last:match.start()]))
        parts.append(Markup('<a href="{0}">{0}</a>').format(url))
        last = end
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def paragraphs(text: str) -> Markup:
    """Plain text as HTML paragraphs: a blank line separates them, a line break stays one."""
    blocks = [block for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(_line(line.rstrip()) for line in block.splitlines()))
        for block in blocks)
