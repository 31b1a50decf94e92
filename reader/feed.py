"""RSS 2.0 and Atom, through feedparser, into clean :class:`Item` records.

feedparser is always handed bytes (a ``str`` that looks like a path or URL would be opened),
and its HTML sanitiser is off: it targets browsers and costs most of the parse time, while we
reduce the HTML to plain paragraphs ourselves and never interpret it.
"""

from __future__ import annotations

import calendar
import io
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from reader import fastfeed
from reader.article import Item, item_key
from reader.errors import SourceError
from reader.links import openable
from reader.text import clean, clip, clip_paragraphs, html_to_paragraphs

_CONTINUE = re.compile(r"^continue reading(?:\.\.\.|\u2026)?$", re.IGNORECASE)
_FUTURE_SLACK = 2 * 86400  # a clock a little ahead is fine; a date in 2099 is a lie


@dataclass(frozen=True, slots=True)
class Entries:
    """What a feed gave: its items, and how many entries were dropped for carrying nothing
    (no title, text or link), so that an import can say so instead of losing them silently."""

    items: list[Item]
    skipped: int = 0


def parse_feed(
    data: bytes, name: str, headers: dict[str, str] | None = None, *, url: str = ""
) -> Entries:
    """Parse feed bytes; refuse what is not a feed, keep whatever entries a broken feed yields.

    ``url`` is where the feed was fetched from (after redirects): relative links resolve
    against it (and ``xml:base``), then only http(s) links are kept. A feed without a title is
    named after ``url``'s host or ``name``'s file name. Entries that carry nothing are counted
    in ``skipped``; an entry that repeats an earlier one's identity (see :func:`unique`) is
    dropped: the store would merge the two into one article, flipping it between them.

    Well-formed RSS 2.0 and Atom 1.0 take the fast path (:mod:`reader.fastfeed`, which reads the
    XML about eight times quicker than feedparser); everything else, and anything that path does
    not model exactly, goes to feedparser.
    """
    return _parse(data, name, headers, url, fast=True)


def parse_feed_with_feedparser(
    data: bytes, name: str, headers: dict[str, str] | None = None, *, url: str = ""
) -> Entries:
    """:func:`parse_feed` through feedparser alone: the parser of record, which the fast path
    must agree with (the differential test compares the two)."""
    return _parse(data, name, headers, url, fast=False)


def _parse(
    data: bytes, name: str, headers: dict[str, str] | None, url: str, *, fast: bool
) -> Entries:
    if not isinstance(data, bytes):  # a str would be opened as a path or URL by feedparser
        raise TypeError("parse_feed takes the feed's bytes")
    if not data.strip():
        raise SourceError(f"{name}: empty file, not a feed")
    headers = dict(headers or {})
    # A Content-Location would become feedparser's base, and feedparser resolves a bare guid
    # ("item-42") against its base: the guid, the article's identity, would change with it.
    location = headers.pop("content-location", "")
    base = _join(url, location) if url else ""
    parsed = _fast(data, headers) if fast else None
    if parsed is None:
        try:
            parsed = feedparser.parse(
                io.BytesIO(data),
                sanitize_html=False,
                resolve_relative_uris=False,
                response_headers=headers,
            )
        except Exception as error:  # feedparser is meant never to raise; do not trust that
            raise SourceError(f"{name}: cannot parse feed ({type(error).__name__})") from None
    entries = parsed.get("entries")
    entries = entries if isinstance(entries, list) else []
    if not entries and not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        detail = f" ({_one_line(problem)})" if problem else ""
        raise SourceError(f"{name}: not an RSS or Atom feed{detail}")
    channel = _dict(parsed.get("feed"))
    feed_title = _text(channel.get("title"), channel.get("title_detail")) or feed_name(url or name)
    now = time.time()
    found = [_item(entry, clip(feed_title), base, now) for entry in entries]
    items = [item for item in found if item is not None]
    return Entries(unique(items), skipped=len(found) - len(items))


def _fast(data: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
    """The fast path's reading, or None to ask feedparser (which also answers for its bugs:
    a slower import beats a failed one)."""
    try:
        return fastfeed.parse(data, headers)
    except Exception:
        return None


def unique(items: Iterable[Item]) -> list[Item]:
    """The items, in order, without those whose identity within the feed repeats an earlier one.

    Identity is :func:`reader.article.item_key`, as in the store: a status page's "Outage
    began" and "Outage resolved" share a link but are two articles.
    """
    seen: set[str] = set()
    kept: list[Item] = []
    for item in items:
        key = item_key(item.guid, item.link, item.title)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def feed_name(source: str) -> str:
    """A name for a feed that gives none: the site's host for a URL, the file's name (without
    its extension) for a file; never a whole path on every row of the list."""
    if source.startswith(("http://", "https://")):
        try:
            host = urlsplit(source).hostname
        except ValueError:
            host = None
        return clean(host or source)
    return clean(PurePath(source).stem or source)


def _join(base: str, link: str) -> str:
    try:
        return urljoin(base, link)
    except ValueError:  # a malformed URL (an unclosed IPv6 bracket): leave the link as it was
        return link


def _one_line(error: object) -> str:
    return clean(str(error))[:200]


def _str(value: object) -> str:
    """feedparser's values are usually str, but None and dicts turn up in broken feeds."""
    return value if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _item(entry: Any, feed_title: str, base: str, now: float) -> Item | None:
    if not isinstance(entry, dict):
        return None
    paragraphs = _paragraphs(entry)
    while paragraphs and _CONTINUE.match(paragraphs[-1]):
        paragraphs.pop()
    paragraphs = clip_paragraphs(paragraphs)
    title = _text(entry.get("title"), entry.get("title_detail"))
    # Only a link a browser may be pointed at is kept. A relative <link> resolves against the
    # feed's URL (feedparser has applied xml:base); a "link" feedparser made from a bare guid
    # ("item-42") is not resolved: it never was a link. javascript: and the like are dropped.
    link = clean(_str(entry.get("link")))
    if base and link and not entry.get("guidislink"):
        link = _join(base, link)
    link = openable(link) or ""
    if not (title or paragraphs or link):
        return None  # nothing to show: an empty <item/>
    if not title:
        title = (paragraphs[0][:120] if paragraphs else "") or "(untitled)"
    return Item(
        title=clip(title),
        standfirst=paragraphs[0] if paragraphs else "",
        body=paragraphs[1:],
        link=link,
        guid=clip(clean(_str(entry.get("id")))),
        author=clip(_author(entry)),
        feed=feed_title,
        published=_date(entry, now),
    )


def _author(entry: dict[str, Any]) -> str:
    """The author's name: feedparser's ``author`` may be "Name (email)"; the name is enough."""
    name = clean(_str(_dict(entry.get("author_detail")).get("name")))
    return name or clean(_str(entry.get("author")))


def _text(value: object, detail: object) -> str:
    """A one-line title: HTML reduced to its text when the feed says it is HTML."""
    if not isinstance(value, str):
        return ""
    if _dict(detail).get("type") in ("text/html", "application/xhtml+xml"):
        paragraphs = html_to_paragraphs(value)
        return " ".join(paragraphs)
    return clean(value)


def _paragraphs(entry: dict[str, Any]) -> list[str]:
    """The richest of content and summary, as clean paragraphs."""
    contents = entry.get("content")
    candidates = [
        (_str(c.get("value")), _str(c.get("type")))
        for c in (contents if isinstance(contents, list) else [])
        if isinstance(c, dict)
    ]
    kind = _str(_dict(entry.get("summary_detail")).get("type")) or "text/html"
    candidates.append((_str(entry.get("summary")), kind))
    value, kind = max(candidates, key=lambda pair: len(pair[0]))
    if kind == "text/plain":
        return [p for p in (clean(block) for block in re.split(r"\n\s*\n", value)) if p]
    paragraphs = html_to_paragraphs(value)
    return paragraphs


def _date(entry: Any, now: float) -> int | None:
    """The first believable of the entry's dates, in seconds since the epoch (UTC).

    A date more than a couple of days ahead of the import is a lie (a broken clock or a feed
    gaming the sort) and is treated as missing, like one before 1970: the article then sorts
    with the undated ones instead of above real news. Clamping it to the import time would
    not do: every re-import would move it to the top again and report it as updated.
    """
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = dict.get(entry, key)  # not entry.get: feedparser maps updated to published
        if isinstance(value, fastfeed.Date):
            value = value.parsed()
        if not value:
            continue
        try:
            stamp = calendar.timegm(value)
        except (TypeError, ValueError, OverflowError):
            continue
        if 0 < stamp <= now + _FUTURE_SLACK:
            return int(stamp)
    return None
