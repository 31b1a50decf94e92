"""The records the whole program passes around.

A :class:`Headline` is what the list needs and is kept in memory for every stored article; the
article's text (:class:`Content`) is loaded only when it is shown, so a big store starts fast.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

from reader.text import fold


@dataclass(slots=True)
class Item:
    """One article as a source (seed text or feed) gives it, already cleaned."""

    title: str
    standfirst: str = ""
    body: list[str] = field(default_factory=list)
    full_text: list[str] | None = None  # the linked page's own text, when it was fetched
    full_text_error: str | None = None  # why there is none, when a fetch failed
    links: list[str] = field(default_factory=list)  # links inside the full text, numbered [1]...

    def searchable(self) -> tuple[str, ...]:
        """Every paragraph a search looks at: the feed's text and the full text."""
        return (self.standfirst, *self.body, *(self.full_text or ()))
    link: str = ""
    guid: str = ""
    author: str = ""
    feed: str = ""
    published: int | None = None  # seconds since the epoch, UTC

    def __reduce__(self) -> tuple[type[Item], tuple[object, ...]]:
        """Pickled as the arguments of its constructor (an import's workers send 10,000 at a
        time): a third quicker to load than the state of slots that dataclass pickles."""
        return Item, (
            self.title, self.standfirst, self.body, self.full_text, self.full_text_error,
            self.links, self.link, self.guid, self.author, self.feed, self.published,
        )


@dataclass(slots=True)
class Headline:
    """What the headline list shows of an article, plus the keys used to merge imports."""

    id: str
    title: str
    feed: str
    published: int | None
    author: str
    link: str
    guid: str
    seq: int  # import order: the tie-break when dates are missing
    read: bool = False
    starred: bool = False
    feed_url: str = ""  # the url (or file path) of the feed the article belongs to
    rev: int = 0  # bumped whenever the article's text changes: the search index keys on it
    feed_id: str = ""  # the store's id of that feed

    @property
    def published_at(self) -> datetime | None:
        return None if self.published is None else datetime.fromtimestamp(self.published, UTC)

    @property
    def published_iso(self) -> str | None:
        when = self.published_at
        return None if when is None else when.isoformat().replace("+00:00", "Z")


@dataclass(slots=True)
class Content:
    """The part of an article that is only read when it is shown or searched."""

    standfirst: str = ""
    body: list[str] = field(default_factory=list)
    full_text: list[str] | None = None  # the linked page's own text, when it was fetched
    full_text_error: str | None = None  # why there is none, when a fetch failed
    links: list[str] = field(default_factory=list)  # links inside the full text, numbered [1]...

    def searchable(self) -> tuple[str, ...]:
        """Every paragraph a search looks at: the feed's text and the full text."""
        return (self.standfirst, *self.body, *(self.full_text or ()))


def title_key(title: str) -> str:
    """The merge key that lets a feed item find the seed article with the same title."""
    return " ".join(fold(title).split())


def item_key(guid: str, link: str, title: str) -> str:
    """What identifies an article within its feed; every part of the program uses this one.

    The guid when there is one; else the link *and* the title, because status pages and
    forums give many items one link ("Outage began", "Outage resolved"); else the title.
    """
    if guid:
        return f"guid\0{guid}"
    if link:
        return f"link\0{link}\0{title_key(title)}"
    return f"title\0{title_key(title)}"


def make_id(kind: str, key: str) -> str:
    """A stable article id: a hash of what identifies the article, never a TinyDB doc_id."""
    return hashlib.blake2b(f"{kind}\0{key}".encode(), digest_size=8).hexdigest()
