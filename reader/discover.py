"""Finding the feeds a web page announces, so that ``reader add`` takes a site's address too.

A page names its feeds with ``<link rel="alternate" type="application/rss+xml" href="...">``
(or Atom's type) in its head. The page is untrusted: only http(s) feed URLs are kept, resolved
against the page's URL (or its ``<base href>``), titles are cleaned, and the parser is the
standard library's, which never fetches anything and never expands entities beyond HTML's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin

from reader.links import openable
from reader.text import clean, clip

FEED_TYPES = frozenset({
    "application/rss+xml", "application/atom+xml", "application/rdf+xml",
    "application/x-rss+xml", "application/x-atom+xml",
})
_FEED_ROOTS = (b"<rss", b"<feed", b"<rdf:rdf")
_PAGE_MARKS = (b"<!doctype html", b"<html")
_SNIFF = 4096  # bytes looked at to tell a page from a feed
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Found:
    """A feed a page links to: its absolute URL and the title the page gives it (may be "")."""

    url: str
    title: str


def is_page(data: bytes, content_type: str = "") -> bool:
    """True for an HTML page, False for what should be parsed as a feed.

    The bytes decide first (a feed served as text/html is still a feed); the Content-Type
    only when the start of the document says neither.
    """
    head = data[:_SNIFF].lower()
    if any(root in head for root in _FEED_ROOTS):
        return False
    if any(mark in head for mark in _PAGE_MARKS):
        return True
    return "html" in content_type.lower()


def discover(data: bytes, url: str, content_type: str = "") -> list[Found]:
    """The RSS and Atom feeds ``data`` (the page at ``url``) links to, in page order, each once."""
    finder = _Finder(url)
    finder.feed(_decode(data, content_type))
    finder.close()
    first: dict[str, Found] = {}
    for found in finder.found:
        first.setdefault(found.url, found)
    return list(first.values())


def _decode(data: bytes, content_type: str) -> str:
    """The page as text: the charset of the header, else of a ``<meta>``, else UTF-8."""
    for match in (_HEADER_CHARSET.search(content_type), _CHARSET.search(data[:_SNIFF])):
        if match is None:
            continue
        name = match.group(1)
        charset = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        try:
            return data.decode(charset, errors="replace")
        except LookupError:
            continue  # a charset Python does not know: try the next hint
    return data.decode("utf-8", errors="replace")


class _Finder(HTMLParser):
    """Collects ``<link rel=alternate>`` feed links; follows the first ``<base href>``."""

    def __init__(self, url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = url
        self.based = False
        self.found: list[Found] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and not self.based and values.get("href"):
            self.base = _join(self.base, values["href"].strip())
            self.based = True
        if tag != "link":
            return
        rels = values.get("rel", "").lower().split()
        kind = values.get("type", "").split(";")[0].strip().lower()
        href = values.get("href", "").strip()
        if "alternate" not in rels or kind not in FEED_TYPES or not href:
            return
        link = openable(_join(self.base, href))
        if link is not None:
            self.found.append(Found(link, clip(clean(values.get("title", "")))))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def _join(base: str, href: str) -> str:
    try:
        return urljoin(base, href)
    except ValueError:  # a malformed URL (an unclosed IPv6 bracket): nothing to follow
        return ""
