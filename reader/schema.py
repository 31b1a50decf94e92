"""The store's records: each kind, how it is checked, the defaults of its optional fields.

One place says what every file of the store holds, so the store, ``reader repair`` and the
migrations agree. A record read from disk is checked here: a missing optional field takes its
default (so a later release can add fields without making older stores "damaged"), anything else
that is not what we write is damage, reported in one line naming the file.

Format 2 (this release), in the store directory:

- ``meta.json``: format number and how many segments the store has (a lower bound: a segment
  whose headlines file is missing below it is damage, never an empty segment);
- ``feeds.json``: one :data:`FEED` record per feed, keyed by feed id;
- per segment of :data:`SEGMENT_SIZE` articles, ``NNNNN.heads.json`` (:data:`HEAD` records and
  :data:`TOMBSTONE` records, loaded at start-up), ``NNNNN.flags.json`` (read/starred, only where
  set) and ``NNNNN.BB.text.json``, the :data:`TEXT` records of :data:`TEXT_BUCKET` articles:
  the whole article, the truth a damaged headlines file is rebuilt from. Opening one article
  reads one text file; changing one article's text rewrites one text file.

Migrations from older formats live in :mod:`reader.migrate`.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from reader.article import Headline
from reader.errors import StoreDamaged
from reader.text import clean

FORMAT = 2
APP = "reader-tui"
SEGMENT_SIZE = 5000  # articles per segment: one headlines file, one flags file
TEXT_BUCKET = 100  # articles per text file: what opening one article has to read
KEEP_DAYS = (1, 36500)  # the days a keep_days may say, a feed's or the settings file's

Record = dict[str, Any]
Check = Callable[[object], bool]


def _is(kind: type) -> Check:
    return lambda value: type(value) is kind


def _optional(kind: type) -> Check:
    return lambda value: value is None or type(value) is kind


def _strings(value: object) -> bool:
    return type(value) is list and all(type(item) is str for item in value)


def _optional_strings(value: object) -> bool:
    return value is None or _strings(value)


REQUIRED = object()
# name -> (check, default); a REQUIRED field has no default.
Spec = Mapping[str, tuple[Check, Any]]

META: Spec = {
    "format": (_is(int), REQUIRED),
    "app": (_is(str), APP),
    "segments": (_is(int), 0),
}

FEED: Spec = {
    "id": (_is(str), REQUIRED),
    "url": (_is(str), REQUIRED),  # as subscribed or imported: a URL, or a file's absolute path
    "kind": (_is(str), "feed"),  # feed | text (seed text) | legacy (migrated, source unknown)
    "final_url": (_is(str), ""),  # after permanent redirects
    "title": (_is(str), ""),
    "link": (_is(str), ""),  # the site's home page
    "etag": (_is(str), ""),
    "last_modified": (_is(str), ""),
    "fetched": (_optional(int), None),  # seconds since the epoch
    "updated": (_optional(int), None),  # last time an import added or changed an article
    "error": (_optional(str), None),  # the last fetch's one-line error
    "subscribed": (_is(bool), False),
    "gone": (_is(bool), False),  # 410 Gone: no longer fetched
    "retry_after": (_optional(int), None),  # not fetched before this time (429/503)
    "tags": (_strings, []),
    "full_text": (_is(bool), False),
    "keep_days": (_optional(int), None),  # None: the configured default
}

HEAD: Spec = {
    "id": (_is(str), REQUIRED),
    "feed": (_is(str), REQUIRED),  # feed id
    "title": (_is(str), REQUIRED),
    "published": (_optional(int), None),
    "author": (_is(str), ""),
    "link": (_is(str), ""),
    "guid": (_is(str), ""),
    "rev": (_is(int), 0),
}
HEAD_FIELDS = tuple(HEAD)

# An article deleted (expired) stays as a tombstone, so a refresh does not bring it back.
TOMBSTONE: Spec = {
    "id": (_is(str), REQUIRED),
    "feed": (_is(str), REQUIRED),
    "key": (_is(str), REQUIRED),  # item_key of what was deleted
    "gone": (_is(int), REQUIRED),  # when
}

TEXT: Spec = {
    **HEAD,
    "standfirst": (_is(str), ""),
    "body": (_strings, []),
    "full_text": (_optional_strings, None),  # the linked page's text, when fetched
    "full_text_error": (_optional(str), None),  # why there is none
    "links": (_strings, []),
}

FLAGS: Spec = {
    "read": (_is(bool), False),
    "starred": (_is(bool), False),
}


def check(spec: Spec, doc: object, where: Path, what: str = "a record") -> Record:
    """``doc`` with defaults filled in, or :class:`StoreDamaged` naming the file and field."""
    if not isinstance(doc, dict):
        raise StoreDamaged(f"{where}: damaged store file ({what} is not an object)")
    record = dict(doc)
    for name, (valid, default) in spec.items():
        if name not in record:
            if default is REQUIRED:
                raise StoreDamaged(f"{where}: damaged store file ({what} lacks {name!r})")
            record[name] = list(default) if isinstance(default, list) else default
        elif not valid(record[name]):
            raise StoreDamaged(f"{where}: damaged store file ({what} has a {name!r} of wrong type)")
    return record


def defaults(spec: Spec) -> Record:
    """The optional fields of a kind of record, at their defaults (fresh lists each time)."""
    return {
        name: list(default) if isinstance(default, list) else default
        for name, (_, default) in spec.items()
        if default is not REQUIRED
    }


def is_valid(spec: Spec, doc: object) -> bool:
    try:
        check(spec, doc, Path("."))
    except StoreDamaged:
        return False
    return True


def slim(spec: Spec, record: Mapping[str, Any]) -> Record:
    """What is written: the spec's fields, without optional ones left at their default."""
    return {
        name: value
        for name, default, required in _fields(spec)
        if (value := record.get(name, _ABSENT)) is not _ABSENT and (required or value != default)
    }


_ABSENT = object()
_Fields = tuple[tuple[str, Any, bool], ...]  # (name, default, required) in the spec's order
_fields_of: dict[int, tuple[Spec, _Fields]] = {}  # the spec is kept: its id stays its own


def _fields(spec: Spec) -> _Fields:
    """The spec's fields, unpacked once: slim() runs for every article written (a third
    quicker than unpacking the spec each time)."""
    known = _fields_of.get(id(spec))
    if known is None or known[0] is not spec:
        fields = tuple((name, default, default is REQUIRED) for name, (_, default) in spec.items())
        known = _fields_of[id(spec)] = (spec, fields)
    return known[1]


def head_from(doc: object, seq: int, where: Path) -> Headline:
    """A Headline from a HEAD record: the hot path of start-up, so checked inline.

    Memory is most of what 100,000 headlines cost: a guid equal to the link (most feeds use
    the link as guid) is the same string object, and feed ids and authors, repeated across
    many headlines, are interned.
    """
    if not isinstance(doc, dict):
        raise StoreDamaged(f"{where}: damaged store file (a headline is not an object)")
    try:
        ident, title, feed = doc["id"], doc["title"], doc["feed"]
    except KeyError as missing:
        raise StoreDamaged(f"{where}: damaged store file (a headline lacks {missing})") from None
    get = doc.get
    published, author, link, guid, rev = (
        get("published"), get("author", ""), get("link", ""), get("guid", ""), get("rev", 0)
    )
    if not (
        type(ident) is str and type(title) is str and type(feed) is str
        and type(author) is str and type(link) is str and type(guid) is str
        and (published is None or type(published) is int) and type(rev) is int
    ):
        raise StoreDamaged(f"{where}: damaged store file (a headline has a field of wrong type)")
    if guid == link:
        guid = link
    return Headline(
        ident, title, "", published, sys.intern(author), link, guid, seq, False, False, "", rev,
        sys.intern(feed),
    )


def feed_id(url: str) -> str:
    """A feed's id: a hash of the url it was first stored under (it survives redirects)."""
    return "f" + hashlib.blake2b(url.encode(), digest_size=6).hexdigest()


def feed_name(feed: Mapping[str, Any]) -> str:
    """What the list shows for a feed: its title, else a file's name or a site's host."""
    title: str = feed.get("title") or ""
    if title:
        return title
    url: str = feed.get("url") or ""
    for prefix in ("legacy:", "bundled:"):
        if url.startswith(prefix):
            return url[len(prefix):]
    if url.startswith(("http://", "https://")):
        from urllib.parse import urlsplit

        return urlsplit(url).hostname or url
    return Path(url).stem or url


def feed_settings(feed: Mapping[str, Any], default_keep: int) -> str:
    """A feed's settings in one line, as ``reader edit`` prints them and the app says them."""
    whole = "whole articles on" if feed["full_text"] else "whole articles off"
    tags = " ".join(f"#{clean(tag)}" for tag in feed["tags"]) or "no tags"
    keep = feed["keep_days"]
    kept = (f"read articles kept {keep} days" if keep is not None
            else f"read articles kept {default_keep} days (the default)")
    return f"{whole}; {tags}; {kept}"


def feed_tags(values: Iterable[str], *, skip_empty: bool = False) -> list[str]:
    """Tags as a feed keeps them: cleaned, each once, in order of name. A tag with no visible
    name is refused (ValueError), or left out with ``skip_empty`` (a stray comma)."""
    tags = []
    for value in values:
        tag = clean(value).strip()
        if not tag:
            if skip_empty:
                continue
            raise ValueError("a tag must have a visible name")
        tags.append(tag)
    return sorted(set(tags))


def segment_files(number: int) -> tuple[str, str]:
    """The names of a segment's headlines and flags files."""
    return f"{number:05d}.heads.json", f"{number:05d}.flags.json"


def text_file(number: int, bucket: int) -> str:
    return f"{number:05d}.{bucket:02d}.text.json"


def bucket_of(slot: int) -> int:
    return slot // TEXT_BUCKET
