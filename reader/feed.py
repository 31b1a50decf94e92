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

from reader.article import Item, title_key
from reader.errors import SourceError
from reader.links import openable
from reader.text import clean, clip, clip_paragraphs, html_to_paragraphs

_CONTINUE = re.compile(r"^continue reading(?:\.\.\.|\u2026)?$", re.IGNORECASE)
_FUTURE_SLACK = 2 * 86400  # a clock a little ahead is fine; a date in 2099 is a lie


def parse_feed(data: bytes, name: str, headers: dict[str, str] | None = None) -> list[Item]:
    """Parse feed bytes; refuse what is not a feed, keep whatever entries a broken feed yields.

    Entries that carry nothing (no title, text or link) are dropped, and an entry whose guid
    (or link, or title when it has neither) repeats an earlier one is dropped too: the store
    would merge the two into one article, and re-importing would flip it between them.
    """
    if not isinstance(data, bytes):  # a str would be opened as a path or URL by feedparser
        raise TypeError("parse_feed takes the feed's bytes")
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
    entries = parsed.get("entries")
    entries = entries if isinstance(entries, list) else []
    if not entries and not parsed.get("version"):
        problem = parsed.get("bozo_exception")
        detail = f" ({_one_line(problem)})" if problem else ""
        raise SourceError(f"{name}: not an RSS or Atom feed{detail}")
    channel = _dict(parsed.get("feed"))
    feed_title = _text(channel.get("title"), channel.get("title_detail")) or clean(name)
    now = time.time()
    items: list[Item] = []
    seen: set[str] = set()
    for entry in entries:
        item = _item(entry, clip(feed_title), now)
        if item is None:
            continue
        key = item.guid or item.link
        identity = f"key\0{key}" if key else f"title\0{title_key(item.title)}"
        if identity not in seen:
            seen.add(identity)
            items.append(item)
    return items


def _one_line(error: object) -> str:
    return clean(str(error))[:200]


def _str(value: object) -> str:
    """feedparser's values are usually str, but None and dicts turn up in broken feeds."""
    return value if isinstance(value, str) else ""


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _item(entry: Any, feed_title: str, now: float) -> Item | None:
    if not isinstance(entry, dict):
        return None
    paragraphs = _paragraphs(entry)
    while paragraphs and _CONTINUE.match(paragraphs[-1]):
        paragraphs.pop()
    paragraphs = clip_paragraphs(paragraphs)
    title = _text(entry.get("title"), entry.get("title_detail"))
    # Only a link a browser may be pointed at is kept: feedparser also turns a bare guid
    # ("item-42") into a "link", and javascript: or relative links are no use to a reader.
    link = openable(clean(_str(entry.get("link")))) or ""
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
        if not value:
            continue
        try:
            stamp = calendar.timegm(value)
        except (TypeError, ValueError, OverflowError):
            continue
        if 0 < stamp <= now + _FUTURE_SLACK:
            return int(stamp)
    return None
