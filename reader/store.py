"""The article store: a directory of small TinyDB files, shaped for 100,000 articles and more.

TinyDB rewrites a whole file on every write, so the store is split to keep every write small
(the files and their records are described in :mod:`reader.schema`): headlines apart from text,
text in files of 100 articles, flags apart from both. Marking an article read rewrites one small
flags file; opening an article reads one text file; an import writes new segments and rewrites
only the files whose articles it changed.

Every article belongs to one feed (a record in ``feeds.json``) and is identified within it by
:func:`reader.article.item_key`: two feeds that use the same guid hold two articles.

**Threading contract.** A :class:`Store` may be shared by threads. Every public method takes the
store's lock, which excludes other threads of this process and, for writes, other processes
(:class:`reader.storage.WriteLock`); a write waits at most its timeout and then raises
:class:`StoreBusy`. Methods read and write disk, so a UI calls them from worker threads only.
``headlines()`` returns a list that the store never changes afterwards: a caller may keep it.
The :class:`Headline` objects in it are shared and updated in place (flags, feed names, and
new text from this or another process): an article keeps one object for as long as it is
stored, so what a caller holds never goes stale.

Every file is replaced atomically (see :mod:`reader.storage`). An import writes, in order, the
feeds, the text files, the flags and headlines files, then ``meta.json``; a crash between two
renames leaves text without a headline (ignored, then overwritten), never a headline without
its text or its feed.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson
from tinydb import TinyDB
from tinydb.table import Table

from reader.article import Content, Headline, Item, item_key, make_id, title_key
from reader.errors import StoreDamaged, StoreError
from reader.gcpause import gc_paused
from reader.schema import (
    APP,
    FEED,
    FLAGS,
    FORMAT,
    HEAD,
    HEAD_FIELDS,
    META,
    SEGMENT_SIZE,
    TEXT,
    TOMBSTONE,
    Record,
    bucket_of,
    check,
    defaults,
    feed_id,
    feed_name,
    head_from,
    segment_files,
    slim,
    text_file,
)
from reader.storage import (
    TEMPORARY,
    AtomicJSONStorage,
    WriteLock,
    remove_temporaries,
    transaction,
    write_atomically,
)

_HEADS_NAME = re.compile(r"^(\d{5})\.heads\.json$")
# Anything a store of any format holds: its presence without meta.json is damage, not a new store.
STORE_FILE = re.compile(
    r"^(meta|feeds|top)\.json$|^search$|^\d{5}\.(heads|flags|index|state|articles)\.json$"
    r"|^\d{5}\.\d{2}\.text\.json$"
)
_OPEN_TEXT_FILES = 8  # text files kept parsed for the article pane
FIRST_SCREEN = 200  # headlines kept in top.json so the app can paint before the store loads
_TOP_FIELDS = (*HEAD_FIELDS, "seq", "read", "starred", "feed_url", "feed_name")
_TEXT_KINDS = ("text", "legacy")  # feeds whose title-only articles a feed item may claim


def _storage(table: Table) -> AtomicJSONStorage:
    storage = table.storage
    assert isinstance(storage, AtomicJSONStorage)
    return storage


def _table(path: Path, name: str) -> Table:
    return TinyDB(path, storage=AtomicJSONStorage).table(name)


def _stamp(path: Path) -> object:
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _raw(table: Table) -> dict[str, Any] | None:
    """The raw records of a file's one table (None if there is no file); a file without the
    table is damage. Raw, not Table iteration: no Document copy of 5,000 records."""
    storage = _storage(table)
    tables = storage.read()
    if tables is None:
        return None
    if table.name not in tables:
        raise StoreDamaged(f"{storage.path}: damaged store file (no {table.name} table)")
    raw: dict[str, Any] = tables[table.name]
    return raw


@dataclass(frozen=True)
class Subscription:
    """A feed to follow, as ``reader add`` or an OPML file names it."""

    url: str
    title: str = ""
    tags: tuple[str, ...] = ()
    full_text: bool = False


@dataclass(frozen=True)
class Batch:
    """One source's items for :meth:`Store.merge_many`, with changes to its feed's record."""

    items: Iterable[Item]
    authoritative: bool
    source: str
    feed: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Counts:
    """What one import did to the store."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    # The id each added article got, by the item's position in what was merged (so that an
    # index built from the items can be told which article each one became).
    added_ids: dict[int, str] = field(
        default_factory=dict, compare=False, repr=False, kw_only=True
    )

    def __str__(self) -> str:
        return f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}"


class _Segment:
    """One segment's files and what was loaded from them."""

    def __init__(self, root: Path, number: int) -> None:
        self.root = root
        self.number = number
        heads, flags = segment_files(number)
        self.heads_table = _table(root / heads, "heads")
        self.flags_table = _table(root / flags, "flags")
        self.texts: dict[int, Table] = {}
        self.heads: dict[int, Headline] = {}
        self.graves: dict[int, Record] = {}  # slot -> TOMBSTONE record
        self.last = 0  # the highest slot in use
        self.heads_stamp: object = None
        self.flags_stamp: object = None

    def text(self, bucket: int) -> Table:
        table = self.texts.get(bucket)
        if table is None:
            table = self.texts[bucket] = _table(self.root / text_file(self.number, bucket), "text")
        return table

    def free_slot(self) -> int | None:
        return self.last + 1 if self.last < SEGMENT_SIZE else None


# Flags come from the flags file, feed names from the feeds: each is set right after.
_REFILLED = tuple(
    name for name in Headline.__slots__ if name not in ("read", "starred", "feed", "feed_url")
)


def _refill(held: Headline, fresh: Headline) -> None:
    """Give the object callers hold the fields just read."""
    for name in _REFILLED:
        setattr(held, name, getattr(fresh, name))


def _merge(current: Record, item: Item, authoritative: bool) -> Record:
    """A feed item overwrites what it carries; seed text only fills what is missing."""
    merged = dict(current)
    for name, value in _item_fields(item).items():
        if value in ("", None, []):
            continue
        if authoritative or merged.get(name) in ("", None, []):
            merged[name] = value
    return merged


def _item_fields(item: Item) -> Record:
    return {
        "title": item.title, "published": item.published, "author": item.author,
        "link": item.link, "guid": item.guid, "standfirst": item.standfirst,
        "body": list(item.body),
    }


def _content(record: Record) -> Content:
    full = record["full_text"]
    return Content(
        standfirst=record["standfirst"], body=list(record["body"]),
        full_text=None if full is None else list(full),
        full_text_error=record["full_text_error"], links=list(record["links"]),
    )


class Store:
    """All stored articles: headlines in memory, text on demand, flags written per change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = 0  # bumped whenever the headlines change (flags included)
        self.articles_generation = 0  # bumped only when articles are added, changed or removed
        self.notices: list[str] = []  # what opening did that the user should hear (migration)
        self._lock = WriteLock(path / "store.lock")
        self._mutex = self._lock.mutex
        self._meta = _table(path / "meta.json", "meta")
        self._feeds_table = _table(path / "feeds.json", "feeds")
        self._reset()

    def _reset(self) -> None:
        self._segments: dict[int, _Segment] = {}
        self._segment_count = 0
        self._meta_stamp: object = None
        self._feeds: dict[str, Record] = {}
        self._feed_names: dict[str, tuple[str, str]] = {}  # feed id -> (name, url)
        self._feed_by_url: dict[str, str] = {}
        self._feeds_stamp: object = None
        self._heads: dict[str, Headline] = {}
        # Where an article is follows from its seq (see _place_of), except for the rare slot
        # outside 1..SEGMENT_SIZE (a format-1 store's doc ids may be): those are kept here.
        self._odd_places: dict[str, tuple[int, int]] = {}
        self._graves: dict[str, tuple[int, int]] = {}
        # feed id -> item key -> article id (tombstones too), mapped for a feed the first time
        # a merge into it looks: a feed new to the store needs none of the others' keys.
        self._by_key: dict[str, dict[str, str]] = {}
        self._claimable: dict[str, str] = {}  # title -> title-only article of seed text
        self._by_title: dict[str, str] = {}  # title -> any article: only for seed text
        self._keys_ready = False  # _claimable is built on the first merge, not at start
        self._titles_ready = False
        self._ordered: list[Headline] | None = None
        self._open_texts: OrderedDict[tuple[int, int], Table] = OrderedDict()
        self._adopt: dict[str, Headline] = {}  # while reloading: the objects callers hold

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open (or create) the store at ``path``; a damaged file raises, and is left alone.

        Only a store, or an empty or new folder, is opened: any other folder is refused before
        anything is written into it. A store of an older format is migrated first.
        """
        path = Path(path).expanduser()
        check_folder(path, create=create)
        store = cls(path)
        with store._mutex:
            store._open_meta()
            store.refresh()
            store._remove_temporaries()
        return store

    def _open_meta(self) -> None:
        where = self.path / "meta.json"
        if not where.exists():
            with self._lock:
                if not where.exists():  # another process may have created the store meanwhile
                    write_atomically(where, _meta_bytes(0))
        version = self._read_meta()
        from reader.migrate import leftovers, migrate

        if version < FORMAT or leftovers(self.path):
            self.notices.extend(migrate(self.path, self._lock, version))
            self._meta_stamp = None
            self._read_meta()

    def _read_meta(self) -> int:
        """Re-read meta.json if it changed; return its format (newer formats are refused)."""
        where = self.path / "meta.json"
        stamp = _stamp(where)
        if stamp is None:
            raise StoreDamaged(f"{where}: missing, but the store holds articles")
        if stamp == self._meta_stamp:
            return FORMAT
        raw = _raw(self._meta) or {}
        meta = raw.get("1")
        version = meta.get("format") if isinstance(meta, dict) else None
        if not isinstance(version, int):
            raise StoreDamaged(f"{where}: damaged store file (no format version)")
        if version > FORMAT:
            raise StoreDamaged(
                f"{where}: written by a newer version of reader (store format {version}); "
                "open it with that version"
            )
        if version == FORMAT:
            self._segment_count = check(META, meta, where, "the meta record")["segments"]
            self._meta_stamp = stamp
        return version

    def _remove_temporaries(self) -> None:
        """Delete the temporary files of writes that were killed, if no write is under way."""
        with self._lock.if_free() as free:
            if free:
                remove_temporaries(self.path)

    @staticmethod
    def first_screen(path: Path) -> list[Headline]:
        """The newest headlines as last saved, read without loading the store; [] if none.

        Derived data for a fast first paint only: the full store replaces it a moment later.
        """
        try:
            table = _table(Path(path).expanduser() / "top.json", "top")
            heads = []
            for doc in table:
                head = head_from(doc, doc["seq"], _storage(table).path)
                head.read, head.starred = bool(doc["read"]), bool(doc["starred"])
                head.feed, head.feed_url = str(doc["feed_name"]), str(doc["feed_url"])
                heads.append(head)
            return heads
        except Exception:  # a missing or damaged cache only costs the fast first paint
            return []

    def save_first_screen(self) -> None:
        """Write top.json: the newest headlines with their flags (see :meth:`first_screen`)."""
        with self._mutex:
            top = {
                str(row): {
                    f: getattr(head, f) for f in _TOP_FIELDS
                    if f not in ("feed", "feed_name")
                } | {"feed": head.feed_id, "feed_name": head.feed}
                for row, head in enumerate(self.headlines()[:FIRST_SCREEN], 1)
            }
            with self._lock:  # written whole, never read first: a damaged cache is replaced
                write_atomically(self.path / "top.json", orjson.dumps({"top": top}))

    # --- keeping up with the files ---------------------------------------------------------

    def refresh(self) -> bool:
        """Re-read whatever another process changed since we last looked; True if anything did.

        meta.json is read before the folder is listed, and the writer renames headlines before
        meta.json: so a segment that meta.json counts and that is missing is really missing.
        """
        with self._mutex, gc_paused():
            changed = self._refresh_feeds()
            self._read_meta()
            numbers = set(range(self._segment_count)) | set(self._heads_files())
            for number in sorted(numbers):
                changed |= self._refresh_segment(number)
            if changed:
                self._changed()
            return changed

    def _heads_files(self) -> list[int]:
        try:
            names = [entry.name for entry in self.path.iterdir()]
        except OSError as error:
            raise StoreError(f"{self.path}: cannot read the store ({error.strerror})") from None
        return [int(m.group(1)) for m in map(_HEADS_NAME.match, names) if m]

    def _refresh_segment(self, number: int) -> bool:
        segment = self._segments.get(number)
        if segment is None:
            segment = self._segments[number] = _Segment(self.path, number)
        changed = False
        heads_path = _storage(segment.heads_table).path
        stamp = _stamp(heads_path)
        if stamp is None:
            raise StoreDamaged(
                f"{heads_path}: missing, but meta.json says the store has "
                f"{self._segment_count} segments; run `reader repair`"
            )
        if stamp != segment.heads_stamp:
            self._load_heads(segment)
            segment.heads_stamp = stamp
            segment.flags_stamp = None
            self.articles_generation += 1
            changed = True
        flags_path = _storage(segment.flags_table).path
        stamp = _stamp(flags_path)
        if stamp is None and number < self._segment_count:
            raise StoreDamaged(
                f"{flags_path}: missing, but the store has that segment; run `reader repair`"
            )
        if stamp != segment.flags_stamp:
            self._load_flags(segment)
            segment.flags_stamp = stamp
            changed = True
        return changed

    def _refresh_feeds(self) -> bool:
        path = _storage(self._feeds_table).path
        stamp = _stamp(path)
        if stamp == self._feeds_stamp:
            return False
        raw = _raw(self._feeds_table) or {}
        feeds = {}
        for doc in raw.values():
            record = check(FEED, doc, path, "a feed")
            feeds[record["id"]] = record
        self._feeds, self._feeds_stamp = feeds, stamp
        self._named()
        return True

    def _named(self) -> None:
        """Rebuild what is derived from the feed records: names, the url map, and the names
        on the headlines, where a feed's title or url changed."""
        old = self._feed_names
        self._feed_names = {fid: (feed_name(f), f["url"]) for fid, f in self._feeds.items()}
        self._feed_by_url = {f["url"]: fid for fid, f in self._feeds.items()}
        if any(old.get(fid, named) != named for fid, named in self._feed_names.items()):
            for head in self._heads.values():
                self._name(head)

    def _name(self, head: Headline) -> None:
        named = self._feed_names.get(head.feed_id)
        if named is None:
            # A writer renames feeds.json before the headlines that need it: read it again.
            self._feeds_stamp = None
            self._refresh_feeds()
            named = self._feed_names.get(head.feed_id)
            if named is None:
                raise StoreDamaged(
                    f"{self.path / 'feeds.json'}: damaged store file (no feed {head.feed_id}, "
                    "which articles belong to); run `reader repair`"
                )
        head.feed, head.feed_url = named

    def _changed(self) -> None:
        self._ordered = None
        self.generation += 1

    def _load_heads(self, segment: _Segment) -> None:
        held = {head.id: head for head in segment.heads.values()} or self._adopt
        for head in segment.heads.values():
            self._forget(head)
        for grave in segment.graves.values():
            self._graves.pop(grave["id"], None)
            keys = self._by_key.get(grave["feed"])
            if keys is not None:
                keys.pop(grave["key"], None)
        segment.heads, segment.graves = {}, {}
        storage = _storage(segment.heads_table)
        base = segment.number * SEGMENT_SIZE
        names, heads, keys_ready = self._feed_names, self._heads, self._keys_ready
        for key, doc in (_raw(segment.heads_table) or {}).items():
            slot = int(key)
            if isinstance(doc, dict) and "gone" in doc:
                grave = check(TOMBSTONE, doc, storage.path, "a tombstone")
                segment.graves[slot] = grave
                self._graves[grave["id"]] = (segment.number, slot)
                keys = self._by_key.get(grave["feed"])
                if keys is not None:
                    keys[grave["key"]] = grave["id"]
                continue
            head = head_from(doc, base + slot, storage.path)
            kept = held.get(head.id)
            if kept is not None:  # the object callers hold, brought up to date
                _refill(kept, head)
                head = kept
            named = names.get(head.feed_id)
            if named is None:
                self._name(head)
            else:
                head.feed, head.feed_url = named
            segment.heads[slot] = head
            heads[head.id] = head
            if not 0 < slot <= SEGMENT_SIZE:
                self._odd_places[head.id] = (segment.number, slot)
            if keys_ready or self._by_key:
                self._add_keys(head)
        segment.last = max([*segment.heads, *segment.graves], default=0)
        storage.forget()  # the Headlines are the in-memory copy; a write re-reads the file
        root = str(self.path)
        for bucket in sorted({bucket_of(slot) for slot in segment.heads}):
            name = text_file(segment.number, bucket)
            if not os.path.exists(os.path.join(root, name)):  # no TinyDB opened for the check
                raise StoreDamaged(
                    f"{self.path / name}: missing, but {storage.path.name} lists its articles; "
                    "run `reader repair`"
                )

    def _load_flags(self, segment: _Segment) -> None:
        """Set every headline's flags from the file, each once: a screen drawing meanwhile
        never sees a read article as unread for a moment."""
        where = _storage(segment.flags_table).path
        flagged: dict[int, tuple[bool, bool]] = {}
        for key, doc in (_raw(segment.flags_table) or {}).items():
            flags = check(FLAGS, doc, where, "a flag record")
            flagged[int(key)] = (flags["read"], flags["starred"])
        for slot, head in segment.heads.items():
            head.read, head.starred = flagged.get(slot, (False, False))

    # --- the maps that match an imported item to a stored article --------------------------

    def _remember(self, head: Headline, number: int, slot: int) -> None:
        self._heads[head.id] = head
        if not 0 < slot <= SEGMENT_SIZE:
            self._odd_places[head.id] = (number, slot)
        if self._keys_ready or self._by_key:
            self._add_keys(head)

    def _claimable_title(self, head: Headline) -> str | None:
        """The title by which a feed item may claim this article: seed text has nothing else."""
        feed = self._feeds.get(head.feed_id)
        if head.guid or head.link or feed is None or feed["kind"] not in _TEXT_KINDS:
            return None
        return title_key(head.title)

    def _add_keys(self, head: Headline) -> None:
        keys = self._by_key.get(head.feed_id)
        if keys is not None:
            keys.setdefault(item_key(head.guid, head.link, head.title), head.id)
        if self._keys_ready:
            claim = self._claimable_title(head)
            if claim is not None:
                self._claimable.setdefault(claim, head.id)
        if self._titles_ready:
            self._by_title.setdefault(title_key(head.title), head.id)

    def _forget(self, head: Headline) -> None:
        self._heads.pop(head.id, None)
        self._odd_places.pop(head.id, None)
        keys = self._by_key.get(head.feed_id)
        if keys is not None:
            key = item_key(head.guid, head.link, head.title)
            if keys.get(key) == head.id:
                del keys[key]
        if self._keys_ready:
            claim = self._claimable_title(head)
            if claim is not None and self._claimable.get(claim) == head.id:
                del self._claimable[claim]
        if self._titles_ready and self._by_title.get(title_key(head.title)) == head.id:
            del self._by_title[title_key(head.title)]

    def _in_order(self) -> Iterator[Headline]:
        for number in sorted(self._segments):
            heads = self._segments[number].heads
            for slot in sorted(heads):
                yield heads[slot]

    def _ensure_keys(self) -> None:
        """Map the seed-text articles a feed item may claim by title (see _claimable_title):
        one quick pass, for only title-only articles of text feeds are folded."""
        if not self._keys_ready:
            texts = {fid for fid, f in self._feeds.items() if f["kind"] in _TEXT_KINDS}
            if texts:
                for head in self._in_order():
                    if not head.guid and not head.link and head.feed_id in texts:
                        self._claimable.setdefault(title_key(head.title), head.id)
            self._keys_ready = True

    def _keys(self, fid: str) -> dict[str, str]:
        """Item key -> article id in feed ``fid``, tombstones included (they win: a deleted
        article is never brought back); mapped the first time it is asked for, then kept."""
        keys = self._by_key.get(fid)
        if keys is None:
            keys = {}
            for head in self._in_order():
                if head.feed_id == fid:
                    keys.setdefault(item_key(head.guid, head.link, head.title), head.id)
            for segment in self._segments.values():
                for grave in segment.graves.values():
                    if grave["feed"] == fid:
                        keys[grave["key"]] = grave["id"]
            self._by_key[fid] = keys
        return keys

    def _ensure_titles(self) -> None:
        """Map every title, for seed text (which has nothing else); feeds never need it, and
        folding 100,000 titles would add a third of a second to every feed import."""
        if not self._titles_ready:
            for head in self._in_order():
                self._by_title.setdefault(title_key(head.title), head.id)
            self._titles_ready = True

    # --- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._heads)

    def headlines(self) -> list[Headline]:
        """Every article's headline, newest first (import order where there are no dates)."""
        with self._mutex:
            if self._ordered is None:
                # Two C-speed stable sorts instead of a Python key function: 4x faster at 100k.
                heads = sorted(self._heads.values(), key=attrgetter("seq"))
                dated = [h for h in heads if h.published is not None]
                dated.sort(key=attrgetter("published"), reverse=True)
                self._ordered = dated + [h for h in heads if h.published is None]
            return self._ordered

    def get(self, article_id: str) -> Headline | None:
        return self._heads.get(article_id)

    def _place_of(self, article_id: str) -> tuple[int, int]:
        """The segment and slot of a stored article: its seq says (no map kept for it).
        Slots count from 1, so the last slot of a segment has the seq of the next one's 0."""
        odd = self._odd_places.get(article_id) if self._odd_places else None
        if odd is not None:
            return odd
        number, slot = divmod(self._heads[article_id].seq - 1, SEGMENT_SIZE)
        return number, slot + 1

    def feeds(self) -> list[Record]:
        """Every feed record, as stored (see :data:`reader.schema.FEED`)."""
        with self._mutex:
            return [dict(record) for record in self._feeds.values()]

    def content(self, article_id: str) -> Content:
        """The article's text: reads one text file of 100 articles, not a whole segment."""
        with self._mutex:
            number, slot = self._place_of(article_id)
            return _content(self._text(number, slot) or check(TEXT, self._bare(number, slot),
                                                                 self.path))

    def _text(self, number: int, slot: int) -> Record | None:
        """The TEXT record of a slot, or None if its text was lost (a repaired store)."""
        key = (number, bucket_of(slot))
        table = self._segments[number].text(key[1])
        self._open_texts[key] = table
        self._open_texts.move_to_end(key)
        while len(self._open_texts) > _OPEN_TEXT_FILES:
            _, old = self._open_texts.popitem(last=False)
            _storage(old).forget()
        doc = (_raw(table) or {}).get(str(slot))
        if doc is None:
            return None
        return check(TEXT, doc, _storage(table).path, "an article")

    def _bare(self, number: int, slot: int) -> Record:
        head = self._segments[number].heads[slot]
        record = {f: getattr(head, f) for f in HEAD_FIELDS if f != "feed"}
        return record | {"feed": head.feed_id}

    def contents(self, ids: Iterable[str] | None = None) -> Iterator[tuple[Headline, Content]]:
        """Articles with their text (all, or those of ``ids``), a text file at a time."""
        with self._mutex:
            wanted = None if ids is None else set(ids)
            jobs: dict[tuple[int, int], list[tuple[int, Headline]]] = {}
            for number in sorted(self._segments):
                for slot, head in sorted(self._segments[number].heads.items()):
                    if wanted is None or head.id in wanted:
                        jobs.setdefault((number, bucket_of(slot)), []).append((slot, head))
        for (number, bucket), heads in jobs.items():
            with self._mutex:
                table = self._segments[number].text(bucket)
                kept = (number, bucket) in self._open_texts
                raw = _raw(table) or {}
                path = _storage(table).path
                if not kept:
                    _storage(table).forget()
            for slot, head in heads:
                doc = raw.get(str(slot))
                yield head, (Content() if doc is None else _content(check(TEXT, doc, path)))

    # --- writing flags ---------------------------------------------------------------------

    def set_read(self, article_id: str, read: bool = True) -> None:
        self._set_flags([article_id], read=read)

    def set_starred(self, article_id: str, starred: bool = True) -> None:
        self._set_flags([article_id], starred=starred)

    def mark_read(self, article_ids: Iterable[str], read: bool = True) -> int:
        """Mark many articles at once: one write per segment; returns how many changed."""
        return self._set_flags(list(article_ids), read=read)

    def _set_flags(self, article_ids: list[str], **change: bool) -> int:
        """Write flags durably, without touching any article text; all or nothing."""
        with self._lock:
            self.refresh()
            by_segment: dict[int, list[int]] = {}
            for article_id in article_ids:
                if article_id not in self._heads:
                    raise StoreError(f"{self.path}: no article {article_id}")
                number, slot = self._place_of(article_id)
                head = self._segments[number].heads[slot]
                if any(getattr(head, name) != value for name, value in change.items()):
                    by_segment.setdefault(number, []).append(slot)
            segments = [self._segments[number] for number in sorted(by_segment)]
            with transaction([_storage(s.flags_table) for s in segments]):
                for segment in segments:
                    raw = _raw(segment.flags_table)
                    docs = {} if raw is None else raw
                    for slot in by_segment[segment.number]:
                        head = segment.heads[slot]
                        flags = {"read": head.read, "starred": head.starred, **change}
                        docs[str(slot)] = flags
                    _storage(segment.flags_table).write({"flags": docs})
            for segment in segments:
                for slot in by_segment[segment.number]:
                    for name, value in change.items():
                        setattr(segment.heads[slot], name, value)
                segment.flags_stamp = _stamp(_storage(segment.flags_table).path)
            if segments:
                self.generation += 1
            return sum(len(slots) for slots in by_segment.values())

    # --- writing articles ------------------------------------------------------------------

    def merge(
        self, items: Iterable[Item], *, authoritative: bool, source: str
    ) -> Counts:
        """Add new articles and enrich known ones; ``authoritative`` items (feeds) win conflicts.

        ``source`` is the feed's url or file path: the feed the items belong to. Runs under the
        write lock after re-reading what other processes wrote, so concurrent imports merge. A
        write that fails (a full disk) changes no file, and memory is read again from disk.
        """
        return self.merge_many([Batch(items, authoritative, source)])[0]

    def merge_many(self, batches: Iterable[Batch]) -> list[Counts]:
        """:meth:`merge` for several sources in one write, each with changes to its feed's
        record (a refresh's validators and fetched time); all or nothing.

        Every write rewrites the headlines file of a segment of 5,000 articles: a refresh that
        merged 200 feeds one at a time spent most of its time there.
        """
        batches = [Batch(list(b.items), b.authoritative, b.source, dict(b.feed)) for b in batches]
        with self._lock, gc_paused():
            self.refresh()
            try:
                texts: dict[tuple[int, int], dict[int, Record | None]] = {}
                heads: dict[int, dict[int, Record]] = {}
                feeds_changed = False
                counts: list[Counts] = []
                for batch in batches:
                    kind = "feed" if batch.authoritative else "text"
                    merge = _Merge(self, batch.source, kind, texts, heads)
                    counts.append(merge.collect(list(batch.items), batch.authoritative))
                    if batch.feed:
                        record = merge.record
                        assert record is not None
                        record.update(check(FEED, record | dict(batch.feed), self.path, "a feed"))
                    feeds_changed |= merge.feeds_changed or bool(batch.feed)
                if heads or feeds_changed:
                    self._write(texts, heads, feeds=feeds_changed, placed=True)
                return counts
            except BaseException:
                self._reload()  # memory may be ahead of the disk: read the disk again
                raise

    # --- feeds ------------------------------------------------------------------------------

    def feed(self, url: str) -> Record | None:
        """The feed stored under ``url`` (as subscribed, or its url after a permanent redirect)."""
        with self._mutex:
            self.refresh()
            found = self._feed_known(url)
            return None if found is None else dict(self._feeds[found])

    def _feed_known(self, url: str) -> str | None:
        """The id of the feed stored under ``url``, or that a permanent redirect moved there."""
        return self._feed_by_url.get(url) or next(
            (fid for fid, f in self._feeds.items() if f["final_url"] == url), None
        )

    def subscribe(
        self, url: str, *, title: str = "", tags: Iterable[str] = (), full_text: bool = False
    ) -> tuple[Record, bool]:
        """Follow a feed; returns its record and False if it was followed already (unchanged).

        A feed known from a one-shot import becomes followed, keeping its articles."""
        return self.subscribe_many([Subscription(url, title, tuple(tags), full_text)])[0]

    def subscribe_many(self, feeds: Iterable[Subscription]) -> list[tuple[Record, bool]]:
        """Follow many feeds with one write of feeds.json (an OPML file of 5,000 feeds)."""
        with self._lock:
            self.refresh()
            results: list[tuple[Record, bool]] = []
            for wanted in feeds:
                known = self._feed_known(wanted.url)
                if known is not None and self._feeds[known]["subscribed"]:
                    results.append((dict(self._feeds[known]), False))
                    continue
                if known is None:
                    known = feed_id(wanted.url)
                    while known in self._feeds:
                        known = feed_id(known + wanted.url)
                    self._feeds[known] = check(FEED, {"id": known, "url": wanted.url}, self.path)
                    self._feed_by_url[wanted.url] = known
                record = self._feeds[known]
                record.update(
                    subscribed=True, tags=sorted(set(wanted.tags)), full_text=wanted.full_text
                )
                if wanted.title and not record["title"]:
                    record["title"] = wanted.title
                results.append((dict(record), True))
            if any(created for _, created in results):
                self._write_feeds()
            return results

    def set_feed(self, feed_id: str, **changes: Any) -> Record:
        """Change a feed's fields (fetch state, settings); checked against the schema."""
        return self.set_feeds({feed_id: changes})[0]

    def set_feeds(self, changes: Mapping[str, Mapping[str, Any]]) -> list[Record]:
        """:meth:`set_feed` for many feeds (by id) with one write of feeds.json: a refresh
        where 200 feeds answer 304 writes their fetched times once."""
        with self._lock:
            self.refresh()
            records: list[Record] = []
            for fid, change in changes.items():
                if fid not in self._feeds:
                    raise StoreError(f"{self.path}: no feed {fid}")
                records.append(check(FEED, self._feeds[fid] | dict(change), self.path, "a feed"))
            changed = [r for r in records if r != self._feeds[r["id"]]]
            if changed:
                old = {r["id"]: self._feeds[r["id"]] for r in changed}
                self._feeds.update((r["id"], r) for r in changed)
                try:
                    self._write_feeds()
                except BaseException:
                    self._feeds.update(old)
                    raise
            return [dict(r) for r in records]

    def remove_feed(self, feed_id: str) -> int:
        """Unfollow a feed and delete its articles, except starred ones; returns how many went.

        The record stays (unfollowed) while starred articles still belong to it."""
        with self._lock:
            self.refresh()
            if feed_id not in self._feeds:
                raise StoreError(f"{self.path}: no feed {feed_id}")
            going = [h.id for h in self._heads.values() if h.feed_id == feed_id and not h.starred]
            deleted = self.delete(going, tombstones=False) if going else 0
            if any(h.feed_id == feed_id for h in self._heads.values()):
                self._feeds[feed_id]["subscribed"] = False
            else:
                del self._feeds[feed_id]
            self._write_feeds()
            return deleted

    def _write_feeds(self) -> None:
        try:
            with transaction([_storage(self._feeds_table)]):
                docs = {str(n): slim(FEED, f) for n, f in enumerate(self._feeds.values(), 1)}
                _storage(self._feeds_table).write({"feeds": docs})
        except BaseException:
            self._reload()
            raise
        self._feeds_stamp = _stamp(_storage(self._feeds_table).path)
        self._named()
        self.generation += 1

    def set_full_text(
        self, article_id: str, full_text: list[str] | None, links: list[str],
        error: str | None = None,
    ) -> None:
        """Keep the text of the article's own page (or why there is none) beside the feed's
        text; see :meth:`set_full_texts`."""
        self.set_full_texts([(article_id, full_text, links, error)])

    def set_full_texts(
        self, updates: Iterable[tuple[str, list[str] | None, list[str], str | None]]
    ) -> int:
        """Keep pages' texts: (article id, paragraphs or None, links, error or None) each.

        One write for them all: each text file of 100 articles they touch, and the headlines
        of their segments once (the rev that tells the search index to read them again).
        Returns how many articles changed."""
        with self._lock:
            self.refresh()
            texts: dict[tuple[int, int], dict[int, Record | None]] = {}
            heads: dict[int, dict[int, Record | None]] = {}
            for article_id, full_text, links, error in updates:
                if article_id not in self._heads:
                    raise StoreError(f"{self.path}: no article {article_id}")
                number, slot = self._place_of(article_id)
                key = (number, bucket_of(slot))
                current = texts.get(key, {}).get(slot) or self._text(number, slot) or check(
                    TEXT, self._bare(number, slot), self.path
                )
                record = current | {
                    "full_text": full_text, "links": list(links), "full_text_error": error,
                }
                if record != current:
                    record["rev"] = current["rev"] + 1
                    texts.setdefault(key, {})[slot] = record
                    heads.setdefault(number, {})[slot] = record
            if heads:
                try:
                    self._write(texts, heads)
                except BaseException:
                    self._reload()
                    raise
            return sum(len(slots) for slots in heads.values())

    def delete(self, article_ids: Iterable[str], *, tombstones: bool = True) -> int:
        """Remove articles, leaving tombstones so that a refresh does not bring them back
        (without: gone for good, as when their feed is unfollowed)."""
        with self._lock:
            self.refresh()
            self._ensure_keys()
            now = int(time.time())
            ids = [i for i in dict.fromkeys(article_ids) if i in self._heads]
            heads: dict[int, dict[int, Record | None]] = {}
            texts: dict[tuple[int, int], dict[int, Record | None]] = {}
            for article_id in ids:
                number, slot = self._place_of(article_id)
                head = self._segments[number].heads[slot]
                key = item_key(head.guid, head.link, head.title)
                heads.setdefault(number, {})[slot] = {
                    "id": head.id, "feed": head.feed_id, "key": key, "gone": now,
                } if tombstones else None
                texts.setdefault((number, bucket_of(slot)), {})[slot] = None
            try:
                self._write(texts, heads, flags_cleared=True)
            except BaseException:
                self._reload()
                raise
            return len(ids)

    def _write(
        self,
        texts: dict[tuple[int, int], dict[int, Record | None]],
        heads: Mapping[int, Mapping[int, Record | None]],
        *,
        feeds: bool = False,
        flags_cleared: bool = False,
        placed: bool = False,
    ) -> None:
        """Write changed files in one transaction, in the order that keeps a crash harmless,
        then bring memory up to date. ``None`` in ``texts`` removes that article's text.
        ``placed``: the headlines in memory are already those written (a merge placed them,
        under the write lock), so the headlines files are not read back."""
        new = sorted(n for n in heads if n >= self._segment_count)
        segments = [self._segments[n] for n in sorted(heads)]
        storages: list[AtomicJSONStorage] = []
        if feeds:
            storages.append(_storage(self._feeds_table))
        storages += [_storage(self._segments[n].text(b)) for n, b in sorted(texts)]
        storages += [_storage(s.flags_table) for s in segments]
        storages += [_storage(s.heads_table) for s in segments]
        if new:
            storages.append(_storage(self._meta))
        with transaction(storages):
            if feeds:
                docs = {str(n): slim(FEED, f) for n, f in enumerate(self._feeds.values(), 1)}
                _storage(self._feeds_table).write({"feeds": docs})
            for (number, bucket), records in sorted(texts.items()):
                table = self._segments[number].text(bucket)
                raw = dict(_raw(table) or {})
                for slot, record in records.items():
                    if record is None:
                        raw.pop(str(slot), None)
                    else:
                        raw[str(slot)] = slim(TEXT, record)
                _storage(table).write({"text": raw})
            for segment in segments:
                flags = _raw(segment.flags_table)
                if flags is None or flags_cleared:
                    flags = dict(flags or {})
                    for slot in heads[segment.number]:
                        flags.pop(str(slot), None)
                    _storage(segment.flags_table).write({"flags": flags})
                raw = dict(_raw(segment.heads_table) or {})
                for slot, record in heads[segment.number].items():
                    if record is None:
                        raw.pop(str(slot), None)
                    else:
                        raw[str(slot)] = record if "gone" in record else slim(HEAD, record)
                _storage(segment.heads_table).write({"heads": raw})
            if new:
                _storage(self._meta).write(
                    {"meta": {"1": {"format": FORMAT, "app": APP, "segments": new[-1] + 1}}}
                )
        if feeds:
            self._feeds_stamp = _stamp(_storage(self._feeds_table).path)
        if new:
            self._segment_count = new[-1] + 1
            self._meta_stamp = _stamp(self.path / "meta.json")
        for segment in segments:
            if placed:
                _storage(segment.heads_table).forget()  # as _load_heads leaves it
            else:
                self._load_heads(segment)
            segment.heads_stamp = _stamp(_storage(segment.heads_table).path)
            self._load_flags(segment)
            segment.flags_stamp = _stamp(_storage(segment.flags_table).path)
        for number, bucket in texts:
            if (number, bucket) not in self._open_texts:
                _storage(self._segments[number].text(bucket)).forget()
        self._changed()
        self.articles_generation += 1
        with contextlib.suppress(StoreError):  # only a cache for the next start-up
            self.save_first_screen()

    def _reload(self) -> None:
        """Forget everything in memory and read the store again from disk (the Headline
        objects callers hold are kept, with what the disk says)."""
        for segment in self._segments.values():
            for table in (segment.heads_table, segment.flags_table, *segment.texts.values()):
                _storage(table).forget()
        for table in (self._meta, self._feeds_table):
            _storage(table).forget()
        held = self._heads
        self._reset()
        self._adopt = held
        try:
            self.refresh()
        finally:
            self._adopt = {}
        self._changed()


class _Merge:
    """One import of one source's items: the matching rules in one place."""

    def __init__(
        self,
        store: Store,
        source: str,
        kind: str,
        texts: dict[tuple[int, int], dict[int, Record | None]],
        heads: dict[int, dict[int, Record]],
    ) -> None:
        self.store = store
        self.source = source
        self.kind = kind
        self.texts = texts  # shared by the merges of one write
        self.heads = heads
        self.feeds_changed = False
        self.record: Record | None = None

    def feed(self, title: str) -> Record:
        """The feed record of this source: found by url, adopted from a migrated feed of the
        same title (its source was not recorded), or created."""
        store = self.store
        found = store._feed_by_url.get(self.source)
        if found is None:
            legacy = [
                f for f in store._feeds.values()
                if f["kind"] == "legacy" and title and f["title"] == title
            ]
            if legacy:
                record = legacy[0]
                record["url"], record["kind"] = self.source, self.kind
            else:
                fid = feed_id(self.source)
                while fid in store._feeds:
                    fid = feed_id(fid + self.source)
                record = check(FEED, {"id": fid, "url": self.source, "kind": self.kind},
                               store.path)
                store._feeds[fid] = record
            self.feeds_changed = True
        else:
            record = store._feeds[found]
        if title and record["title"] != title:
            record["title"] = title
            self.feeds_changed = True
        if self.feeds_changed:
            store._named()
        return record

    def collect(self, items: list[Item], authoritative: bool) -> Counts:
        """Match the items and stage what changes in ``texts`` and ``heads``; no write."""
        store = self.store
        store._ensure_keys()
        feed = self.record = self.feed(next((item.feed for item in items if item.feed), ""))
        fid = feed["id"]
        keys = store._keys(fid)
        counts = Counts()
        for position, item in enumerate(items):
            key = item_key(item.guid, item.link, item.title)
            article_id = keys.get(key)
            if article_id is not None and article_id in store._graves:
                counts.unchanged += 1  # deleted (expired): never brought back
                continue
            if article_id is None:
                if self.kind == "text":
                    store._ensure_titles()
                    article_id = store._by_title.get(title_key(item.title))
                elif store._claimable:  # else folding the title is wasted
                    article_id = store._claimable.get(title_key(item.title))
            if article_id is None:
                counts.added_ids[position] = self.add(item, feed, key)
                counts.added += 1
            elif self.update(article_id, item, authoritative, fid):
                counts.updated += 1
            else:
                counts.unchanged += 1
        if counts.added or counts.updated:
            feed["updated"] = int(time.time())
            self.feeds_changed = True
        return counts

    def _place(self, number: int, slot: int, record: Record) -> None:
        self.texts.setdefault((number, bucket_of(slot)), {})[slot] = record
        self.heads.setdefault(number, {})[slot] = record
        # Keep the in-memory maps current within this import (two items of one key).
        store = self.store
        segment = store._segments[number]
        old = segment.heads.get(slot)
        head = head_from(record, number * SEGMENT_SIZE + slot, store.path)
        if old is not None:
            store._forget(old)
            if old.id == head.id:  # an update: the object callers hold, brought up to date
                _refill(old, head)
                head = old
            else:
                head.read, head.starred = old.read, old.starred
        store._name(head)
        segment.heads[slot] = head
        segment.last = max(segment.last, slot)
        store._remember(head, number, slot)

    def add(self, item: Item, feed: Record, key: str) -> str:
        """Store a new article; returns its id."""
        store = self.store
        number, slot = self.allocate()
        article_id = make_id("article", f"{feed['url']}\0{key}")
        if article_id in store._heads or article_id in store._graves:
            article_id = make_id("dup", f"{article_id}:{number}:{slot}")
        # Built from a parsed Item, so of the right types already: no check needed.
        record = defaults(TEXT) | _item_fields(item) | {
            "id": article_id, "feed": feed["id"], "rev": 1,
        }
        self._place(number, slot, record)
        return article_id

    def update(self, article_id: str, item: Item, authoritative: bool, fid: str) -> bool:
        store = self.store
        number, slot = store._place_of(article_id)
        current = (
            self.texts.get((number, bucket_of(slot)), {}).get(slot)
            or store._text(number, slot)
            or check(TEXT, store._bare(number, slot), store.path)
        )
        merged = _merge(current, item, authoritative)
        if authoritative and self.kind == "feed":
            merged["feed"] = fid  # a feed item claims the seed-text article it matched
        head = store._segments[number].heads[slot]
        # A kill between the text rename and the headlines rename can leave the headline
        # behind its text: compare both, so that importing again brings it up to date.
        if merged == current and head.feed_id == merged["feed"] and all(
            getattr(head, name) == merged[name] for name in HEAD_FIELDS if name != "feed"
        ):
            return False
        merged["rev"] = current["rev"] + 1
        self._place(number, slot, merged)
        return True

    def allocate(self) -> tuple[int, int]:
        store = self.store
        last = max(store._segments, default=None)  # once per new article: no sort
        if last is not None:
            slot = store._segments[last].free_slot()
            if slot is not None:
                return last, slot
        number = last + 1 if last is not None else 0
        store._segments[number] = _Segment(store.path, number)
        return number, 1


def _meta_bytes(segments: int) -> bytes:
    record = {"format": FORMAT, "app": APP, "segments": segments}
    return orjson.dumps({"meta": {"1": record}})


def check_folder(path: Path, *, create: bool) -> None:
    """Refuse any folder but a store or an empty one, before anything is written into it."""
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path}: is a file, but the store is a folder")
    if not path.exists():
        if not create:
            raise StoreError(f"{path}: no store here")
        try:
            path.mkdir(parents=True, exist_ok=True)  # another process may be first
        except OSError as error:
            raise StoreError(f"{path}: cannot create the store ({error.strerror})") from None
        return
    try:
        names = [entry.name for entry in path.iterdir()]
    except OSError as error:
        raise StoreError(f"{path}: cannot read the store ({error.strerror})") from None
    if "meta.json" in names:
        return
    if any(STORE_FILE.match(name) for name in names):
        raise StoreDamaged(f"{path / 'meta.json'}: missing, but the store holds articles")
    others = [n for n in names if n != "store.lock" and not TEMPORARY.match(n)]
    if others:
        raise StoreError(
            f"{path}: not a reader store (the folder holds {len(others)} other files); "
            "give --db a new or empty folder"
        )
