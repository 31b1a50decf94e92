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
from typing import Any

import feedparser

from reader.article import Item
from reader.errors import SourceError
from reader.text import clean, html_to_paragraphs

_CONTINUE = re.compile(r"^continue reading(?:\.\.\.|\u2026)?$", re.IGNORECASE)
_FUTURE_SLACK = 2 * 86400  # a clock a little ahead is fine; a date in 2099 is a lie


def parse_feed(data: bytes, name: str, headers: dict[str, str] | None = None) -> list[Item]:
    """Parse feed bytes; refuse what is not a feed, keep whatever entries a broken feed yields."""
    if not data.strip():
        raise SourceError(f"{name}: empty file, not a feed")
    try:
        parsed = feedparser.parse(
            io.BytesIO(data),
            sanitize_html=False,
            resolve_relative_uris=False,
            response_headers=headers or {},
        )
    except Exception as error:  # feedparser is meant never to raise; do not trust that
        raise SourceError(f"{name}: cannot parse feed ({type(error).__name__})") from None
    entries: list[Any] = parsed.get("entries", [])
    if not entries and not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        detail = f" ({_one_line(problem)})" if problem else ""
        raise SourceError(f"{name}: not an RSS or Atom feed{detail}")
    feed_title = clean(parsed.get("feed", {}).get("title", "")) or name
    now = time.time()
    return [_item(entry, feed_title, now) for entry in entries]


def _one_line(error: object) -> str:
    return " ".join(str(error).split())[:200]


def _item(entry: Any, feed_title: str, now: float) -> Item:
    paragraphs = _paragraphs(entry)
    while paragraphs and _CONTINUE.match(paragraphs[-1]):
        paragraphs.pop()
    title = _title(entry)
    if not title:
        title = (paragraphs[0][:120] if paragraphs else "") or "(untitled)"
    return Item(
        title=title,
        standfirst=paragraphs[0] if paragraphs else "",
        body=paragraphs[1:],
        link=clean(entry.get("link", "")),
        guid=clean(entry.get("id", "")),
        author=clean(entry.get("author", "")),
        feed=feed_title,
        published=_date(entry, now),
    )


def _title(entry: Any) -> str:
    title = entry.get("title", "")
    if entry.get("title_detail", {}).get("type") == "text/html":
        paragraphs, _ = html_to_paragraphs(title)
        return " ".join(paragraphs)
    return clean(title)


def _paragraphs(entry: Any) -> list[str]:
    """The richest of content and summary, as clean paragraphs."""
    candidates = [(c.get("value", ""), c.get("type", "")) for c in entry.get("content", [])]
    summary = entry.get("summary_detail", {})
    candidates.append((entry.get("summary", ""), summary.get("type", "text/html")))
    value, kind = max(candidates, key=lambda pair: len(pair[0]))
    if kind == "text/plain":
        return [p for p in (clean(block) for block in re.split(r"\n\s*\n", value)) if p]
    paragraphs, _ = html_to_paragraphs(value)
    return paragraphs


def _date(entry: Any, now: float) -> int | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                stamp = calendar.timegm(value)
            except (TypeError, ValueError, OverflowError):
                continue
            return int(min(stamp, now + _FUTURE_SLACK)) if stamp > 0 else None
    return None
