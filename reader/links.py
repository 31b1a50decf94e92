"""Which links may be opened: http and https with a host, nothing else, never through a shell.

A link that holds whitespace, quotes, controls or invisible characters is refused rather than
repaired: what is opened must be exactly what the reader was shown.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from reader.text import clean

MAX_LENGTH = 8192

_FORBIDDEN = set(" \t\r\n\"'<>`\\") | {chr(c) for c in range(0x20)} | {"\x7f"}


def openable(link: str) -> str | None:
    """The link if a browser may be pointed at it, else None (relative, javascript:, file:...)."""
    if not link or len(link) > MAX_LENGTH or any(char in _FORBIDDEN for char in link):
        return None
    if not link.isprintable() or clean(link) != link:
        return None  # C1 controls, bidi overrides, zero-width or other invisible characters
    try:
        parts = urlsplit(link)
        port = parts.port  # raises on a malformed port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if port is not None and not 0 < port < 65536:
        return None
    return link


def refusal(link: str) -> str:
    """One line saying why a link is not opened."""
    if not link:
        return "this article has no link"
    shown = link if len(link) <= 80 else link[:77] + "..."
    return f"not opening {shown!r}: only http and https links are opened"
