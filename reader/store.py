"""The article store: a directory of small TinyDB files, shaped for 100,000 articles.

TinyDB rewrites a whole file on every write, so the store is split to keep every write small:

- articles are grouped in segments of ``SEGMENT_SIZE``, each with three TinyDB files:
  ``NNNNN.articles.json`` (the full article: the truth), ``NNNNN.index.json`` (what the headline
  list needs, loaded at start-up) and ``NNNNN.state.json`` (read/starred, only where set);
- marking an article read rewrites one small state file; an import appends new segments and
  rewrites only the segments whose articles it changed;
- a TinyDB doc_id is the article's slot in its segment; the article's identity is its ``id``.

Every file is replaced atomically (see :mod:`reader.storage`). An import writes articles before
the index, so a crash can leave unindexed text behind (ignored, then overwritten) but never an
indexed article without its text.
"""

from __future__ import annotations

import contextlib
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any, cast

import orjson
from tinydb import TinyDB
from tinydb.table import Document, Table

from reader.article import Content, Headline, Item, make_id, title_key
from reader.errors import StoreDamaged, StoreError
from reader.storage import (
    AtomicJSONStorage,
    WriteLock,
    load_tables,
    remove_temporaries,
    transaction,
    write_atomically,
)

SEGMENT_SIZE = 5000
FORMAT = 1
HEAD_FIELDS = ("id", "title", "feed", "published", "author", "link", "guid")
_SEGMENT_NAME = re.compile(r"^(\d{5})\.index\.json$")
_OPEN_ARTICLE_SEGMENTS = 3  # article files kept parsed in memory for the article pane
FIRST_SCREEN = 200  # headlines kept in top.json so the app can paint before the store loads


def _db(path: Path) -> TinyDB:
    return TinyDB(path, storage=AtomicJSONStorage)


def _storage(table: Table) -> AtomicJSONStorage:
    return cast(AtomicJSONStorage, table.storage)


@dataclass
class Counts:
    """What one import did to the store."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}"


class _Segment:
    """The three files of one segment and the headlines loaded from its index."""

    def __init__(self, root: Path, number: int) -> None:
        self.number = number
        stem = root / f"{number:05d}"
        self.index = _db(stem.with_suffix(".index.json")).table("index")
        self.articles = _db(stem.with_suffix(".articles.json")).table("articles")
        self.state = _db(stem.with_suffix(".state.json")).table("state")
        self.heads: dict[int, Headline] = {}
        self.last = 0  # the highest slot in use
        self.index_stamp: object = None
        self.state_stamp: object = None

    def free_slot(self) -> int | None:
        return self.last + 1 if self.last < SEGMENT_SIZE else None


def _file_stamp(table: Table) -> object:
    try:
        stat = _storage(table).path.stat()
    except FileNotFoundError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


def _head(doc: dict[str, Any], seq: int, where: Path) -> Headline:
    """A Headline from an index record; anything but the shape we wrote is damage."""
    try:
        head = Headline(
            doc["id"], doc["title"], doc["feed"], doc["published"], doc["author"], doc["link"],
            doc["guid"], seq,
        )
    except (KeyError, TypeError) as missing:
        raise StoreDamaged(f"{where}: damaged store file (an article lacks {missing})") from None
    published = head.published
    if not (
        type(head.id) is str and type(head.title) is str and type(head.feed) is str
        and type(head.author) is str and type(head.link) is str and type(head.guid) is str
        and (published is None or type(published) is int)
    ):
        raise StoreDamaged(f"{where}: damaged store file (an article has a field of wrong type)")
    return head


def _cached_head(doc: dict[str, Any], where: Path) -> Headline:
    head = _head(doc, doc["seq"], where)
    head.read, head.starred = bool(doc.get("read")), bool(doc.get("starred"))
    return head


def _content(doc: object, where: Path) -> Content:
    """The text of an articles record; a record of another shape is damage."""
    if not isinstance(doc, dict):
        return Content()
    standfirst, body = doc.get("standfirst", ""), doc.get("body", [])
    if type(standfirst) is not str or type(body) is not list or not all(
        type(paragraph) is str for paragraph in body
    ):
        raise StoreDamaged(f"{where}: damaged store file (an article has a field of wrong type)")
    return Content(standfirst=standfirst, body=list(body))


_ARTICLES_START, _ARTICLES_END = b'{"articles":{', b"}}"


def _check_articles_file(path: Path) -> None:
    """Cheaply tell a whole articles file from a truncated one, without parsing it.

    What this program writes starts and ends with fixed bytes; a file that does not is parsed
    in full to decide. Damage inside a file that looks whole is found when it is read.
    """
    try:
        with open(path, "rb") as handle:
            start = handle.read(len(_ARTICLES_START))
            handle.seek(max(handle.seek(0, 2) - len(_ARTICLES_END), 0))
            end = handle.read()
    except FileNotFoundError:
        raise StoreDamaged(f"{path}: missing, but its index lists articles") from None
    except OSError as error:
        raise StoreError(f"{path}: cannot read ({error.strerror})") from None
    if (start != _ARTICLES_START or end != _ARTICLES_END) and "articles" not in load_tables(
        path, path.read_bytes()
    ):
        raise StoreDamaged(f"{path}: damaged store file (no articles table)")


def _table(storage: AtomicJSONStorage, name: str) -> dict[str, Any]:
    """The raw records of a file's one table; a file without it is damage ({} if no file)."""
    tables = storage.read()
    if tables is None:
        return {}
    if name not in tables:
        raise StoreDamaged(f"{storage.path}: damaged store file (no {name} table)")
    return tables[name]


def _drop(mapping: dict[str, str], key: str, article_id: str) -> None:
    if mapping.get(key) == article_id:
        del mapping[key]


def _record(item: Item) -> dict[str, Any]:
    return {
        "title": item.title, "feed": item.feed, "published": item.published,
        "author": item.author, "link": item.link, "guid": item.guid,
        "standfirst": item.standfirst, "body": list(item.body),
    }


def _merge(current: dict[str, Any], item: Item, authoritative: bool) -> dict[str, Any]:
    """A feed item overwrites what it carries; seed text only fills what is missing."""
    merged = dict(current)
    for name, value in _record(item).items():
        if value in ("", None, []):
            continue
        if authoritative or merged.get(name) in ("", None, []):
            merged[name] = value
    return merged


class Store:
    """All stored articles: headlines in memory, text on demand, state written per change."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.generation = 0  # bumped whenever the headlines change (flags included)
        self.articles_generation = 0  # bumped only when articles are added or their text changes
        self._lock = WriteLock(path / "store.lock")
        self._reset()

    def _reset(self) -> None:
        self._segments: dict[int, _Segment] = {}
        self._heads: dict[str, Headline] = {}
        self._where: dict[str, tuple[int, int]] = {}
        self._by_key: dict[str, str] = {}
        self._by_title: dict[str, str] = {}
        self._by_title_unkeyed: dict[str, str] = {}
        self._keys_ready = False  # the merge keys are built on the first merge, not at start-up
        self._titles_ready = False  # titles of all articles: only for seed text, built then
        self._ordered: list[Headline] | None = None
        self._open_articles: OrderedDict[int, None] = OrderedDict()

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open (or create) the store at ``path``; a damaged file raises, and is left alone."""
        path = Path(path).expanduser()
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path}: is a file, but the store is a directory")
        if not path.exists():
            if not create:
                raise StoreError(f"{path}: no store here")
            try:
                path.mkdir(parents=True, exist_ok=True)  # another process may be first
            except OSError as error:
                raise StoreError(f"{path}: cannot create the store ({error.strerror})") from None
        store = cls(path)
        store._check_meta()
        store.refresh()
        store._remove_temporaries()
        return store

    def _check_meta(self) -> None:
        where = self.path / "meta.json"
        meta = _db(where).table("meta")
        if not where.exists():
            if self._segment_numbers():
                raise StoreDamaged(f"{where}: missing, but the store holds articles")
            with self._lock:
                if not where.exists():  # another process may have created the store meanwhile
                    meta.insert(Document({"format": FORMAT, "app": "reader-tui"}, doc_id=1))
        doc = meta.get(doc_id=1)
        version = doc.get("format") if isinstance(doc, dict) else None
        if not isinstance(version, int):
            raise StoreDamaged(f"{where}: damaged store file (no format version)")
        if version > FORMAT:
            raise StoreDamaged(f"{where}: written by a newer version (store format {version})")
        if version < FORMAT:
            raise StoreDamaged(f"{where}: an older store format ({version}); run `reader repair`")

    def _segment_numbers(self) -> list[int]:
        try:
            names = [entry.name for entry in self.path.iterdir()]
        except OSError as error:
            raise StoreError(f"{self.path}: cannot read the store ({error.strerror})") from None
        return sorted(int(m.group(1)) for m in map(_SEGMENT_NAME.match, names) if m)

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
            table = _db(Path(path).expanduser() / "top.json").table("top")
            return [_cached_head(doc, _storage(table).path) for doc in table]
        except Exception:  # a missing or damaged cache only costs the fast first paint
            return []

    def save_first_screen(self) -> None:
        """Write top.json: the newest headlines with their flags (see :meth:`first_screen`)."""
        fields = (*HEAD_FIELDS, "seq", "read", "starred")
        top = {
            str(row): {f: getattr(head, f) for f in fields}
            for row, head in enumerate(self.headlines()[:FIRST_SCREEN], 1)
        }
        with self._lock:  # written whole, never read first: a damaged cache is replaced
            write_atomically(self.path / "top.json", orjson.dumps({"top": top}))

    # --- keeping up with the files ---------------------------------------------------------

    def refresh(self) -> bool:
        """Re-read whatever another process changed since we last looked; True if anything did."""
        changed = False
        for number in self._segment_numbers():
            segment = self._segments.get(number)
            if segment is None:
                segment = self._segments[number] = _Segment(self.path, number)
            stamp = _file_stamp(segment.index)
            if stamp != segment.index_stamp:
                self._load_index(segment)
                segment.index_stamp = stamp
                segment.state_stamp = None
                self.articles_generation += 1
                changed = True
            stamp = _file_stamp(segment.state)
            if stamp != segment.state_stamp:
                self._load_state(segment)
                segment.state_stamp = stamp
                changed = True
        if changed:
            self._changed()
        return changed

    def _changed(self) -> None:
        self._ordered = None
        self.generation += 1

    def _load_index(self, segment: _Segment) -> None:
        for head in segment.heads.values():
            self._forget(head)
        segment.heads = {}
        storage = _storage(segment.index)
        base = segment.number * SEGMENT_SIZE
        # The raw table, not Table iteration: no Document copy of 100,000 records at start-up.
        raw = _table(storage, "index")
        for key, doc in raw.items():
            slot = int(key)
            head = _head(doc, base + slot, storage.path)
            segment.heads[slot] = head
            self._remember(head, segment.number, slot)
        segment.last = max(segment.heads, default=0)
        storage.forget()  # the Headlines are the in-memory copy; a write re-reads the file
        if segment.heads:
            _check_articles_file(_storage(segment.articles).path)

    def _load_state(self, segment: _Segment) -> None:
        for head in segment.heads.values():
            head.read = head.starred = False
        where = _storage(segment.state).path
        _table(_storage(segment.state), "state")
        for doc in segment.state:
            read, starred = doc.get("read", False), doc.get("starred", False)
            if type(read) is not bool or type(starred) is not bool:
                raise StoreDamaged(f"{where}: damaged store file (a flag is not true or false)")
            flagged = segment.heads.get(doc.doc_id)
            if flagged is not None:
                flagged.read, flagged.starred = read, starred

    def _remember(self, head: Headline, number: int, slot: int) -> None:
        self._heads[head.id] = head
        self._where[head.id] = (number, slot)
        if self._keys_ready:
            self._add_keys(head)

    def _add_keys(self, head: Headline) -> None:
        key = head.guid or head.link
        if key:
            self._by_key.setdefault(key, head.id)
        else:
            self._by_title_unkeyed.setdefault(title_key(head.title), head.id)
        if self._titles_ready:
            self._by_title.setdefault(title_key(head.title), head.id)

    def _in_order(self) -> Iterator[Headline]:
        for number in sorted(self._segments):
            heads = self._segments[number].heads
            for slot in sorted(heads):
                yield heads[slot]

    def _ensure_keys(self) -> None:
        """Build the maps that match an imported item to a stored article (first one wins)."""
        if not self._keys_ready:
            for head in self._in_order():
                self._add_keys(head)
            self._keys_ready = True

    def _ensure_titles(self) -> None:
        """Map every title, for seed text (which has nothing else); feeds never need it, and
        folding 100,000 titles would add a third of a second to every feed import."""
        if not self._titles_ready:
            for head in self._in_order():
                self._by_title.setdefault(title_key(head.title), head.id)
            self._titles_ready = True

    def _forget(self, head: Headline) -> None:
        self._heads.pop(head.id, None)
        self._where.pop(head.id, None)
        key = head.guid or head.link
        if self._keys_ready:
            if key:
                _drop(self._by_key, key, head.id)
            else:
                _drop(self._by_title_unkeyed, title_key(head.title), head.id)
        if self._titles_ready:
            _drop(self._by_title, title_key(head.title), head.id)

    # --- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._heads)

    def headlines(self) -> list[Headline]:
        """Every article's headline, newest first (seed order where there are no dates)."""
        if self._ordered is None:
            # Two C-speed stable sorts instead of a Python key function: 4x faster at 100k.
            heads = sorted(self._heads.values(), key=attrgetter("seq"))
            dated = [h for h in heads if h.published is not None]
            dated.sort(key=attrgetter("published"), reverse=True)
            self._ordered = dated + [h for h in heads if h.published is None]
        return self._ordered

    def get(self, article_id: str) -> Headline | None:
        return self._heads.get(article_id)

    def content(self, article_id: str) -> Content:
        """The article's text, read from its segment's articles file."""
        number, slot = self._where[article_id]
        segment = self._segments[number]
        doc = segment.articles.get(doc_id=slot)
        self._keep_open(number)
        return _content(doc, _storage(segment.articles).path)

    def _keep_open(self, number: int) -> None:
        """Keep a few parsed article files for the pane; let the others go."""
        self._open_articles[number] = None
        self._open_articles.move_to_end(number)
        while len(self._open_articles) > _OPEN_ARTICLE_SEGMENTS:
            old, _ = self._open_articles.popitem(last=False)
            _storage(self._segments[old].articles).forget()

    def contents(self, ids: Iterable[str] | None = None) -> Iterator[tuple[Headline, Content]]:
        """Articles with their text (all, or those of ``ids``), for building the search index."""
        wanted = None if ids is None else set(ids)
        for number in sorted(self._segments):
            segment = self._segments[number]
            heads = [
                (slot, head) for slot, head in list(segment.heads.items())
                if wanted is None or head.id in wanted
            ]
            if not heads:
                continue
            storage = _storage(segment.articles)
            kept = number in self._open_articles
            docs = {doc.doc_id: doc for doc in segment.articles}
            for slot, head in heads:
                yield head, _content(docs.get(slot), storage.path)
            if not kept:
                storage.forget()

    # --- writing ---------------------------------------------------------------------------

    def set_read(self, article_id: str, read: bool = True) -> None:
        self._set_state(article_id, read=read)

    def set_starred(self, article_id: str, starred: bool = True) -> None:
        self._set_state(article_id, starred=starred)

    def _set_state(self, article_id: str, **change: bool) -> None:
        """Write one article's flags, durably, without touching any article text."""
        with self._lock:
            self.refresh()
            if article_id not in self._where:
                raise StoreError(f"{self.path}: no article {article_id}")
            number, slot = self._where[article_id]
            segment = self._segments[number]
            head = segment.heads[slot]
            flags = {"read": head.read, "starred": head.starred, **change}
            if segment.state.contains(doc_id=slot):
                segment.state.update(flags, doc_ids=[slot])
            else:
                segment.state.insert(Document(flags, doc_id=slot))
            head.read, head.starred = flags["read"], flags["starred"]
            segment.state_stamp = _file_stamp(segment.state)

    def merge(self, items: Iterable[Item], *, authoritative: bool, source: str = "") -> Counts:
        """Add new articles and enrich known ones; ``authoritative`` items (feeds) win conflicts.

        Runs under the write lock after re-reading what other processes wrote, so concurrent
        imports merge. A write that fails (a full disk) changes no file, and the store in memory
        is read again from disk.
        """
        items = list(items)
        with self._lock:
            self.refresh()
            try:
                counts = self._merge_locked(items, authoritative)
            except BaseException:
                self._reload()  # memory may be ahead of the disk: read the disk again
                raise
            return counts

    def _merge_locked(self, items: list[Item], authoritative: bool) -> Counts:
        self._ensure_keys()
        counts = Counts()
        pending: dict[int, dict[int, dict[str, Any]]] = {}
        for item in items:
            article_id = self._match(item)
            if article_id is None:
                number, slot = self._allocate(pending)
                record = _record(item)
                key = item.guid or item.link
                record["id"] = (
                    make_id("key", key) if key else make_id("title", title_key(item.title))
                )
                if record["id"] in self._heads:  # same id, different key: keep both apart
                    record["id"] = make_id("dup", f"{record['id']}:{number}:{slot}")
                pending.setdefault(number, {})[slot] = record
                self._install(record, number, slot)
                counts.added += 1
                continue
            number, slot = self._where[article_id]
            head = self._segments[number].heads[slot]
            current = pending.get(number, {}).get(slot) or self._article(number, slot, head)
            merged = _merge(current, item, authoritative)
            # A crash between the two renames of an update can leave the index behind the text:
            # compare both, so that importing again brings the headline up to date.
            if merged == current and all(getattr(head, f) == merged.get(f) for f in HEAD_FIELDS):
                counts.unchanged += 1
                continue
            pending.setdefault(number, {})[slot] = merged
            self._forget(self._segments[number].heads[slot])
            self._install(merged, number, slot)
            counts.updated += 1
        self._write_segments(pending)
        for number, segment in self._segments.items():
            if number not in self._open_articles:
                _storage(segment.articles).forget()
        if pending:
            self._changed()
            self.articles_generation += 1
            with contextlib.suppress(StoreError):  # only a cache for the next start-up
                self.save_first_screen()
        return counts

    def _match(self, item: Item) -> str | None:
        key = item.guid or item.link
        if key:
            found = self._by_key.get(key)
            if found or not self._by_title_unkeyed:
                return found
            return self._by_title_unkeyed.get(title_key(item.title))
        self._ensure_titles()
        return self._by_title.get(title_key(item.title))

    def _allocate(self, pending: dict[int, dict[int, dict[str, Any]]]) -> tuple[int, int]:
        numbers = sorted(self._segments)
        if numbers:
            slot = self._segments[numbers[-1]].free_slot()
            if slot is not None:
                return numbers[-1], slot
        number = numbers[-1] + 1 if numbers else 0
        self._segments[number] = _Segment(self.path, number)
        return number, 1

    def _install(self, record: dict[str, Any], number: int, slot: int) -> None:
        segment = self._segments[number]
        old = segment.heads.get(slot)
        head = _head(record, number * SEGMENT_SIZE + slot, self.path)
        if old is not None:
            head.read, head.starred = old.read, old.starred
        segment.heads[slot] = head
        segment.last = max(segment.last, slot)
        self._remember(head, number, slot)

    def _article(self, number: int, slot: int, head: Headline) -> dict[str, Any]:
        doc = self._segments[number].articles.get(doc_id=slot)
        if isinstance(doc, dict) and "id" in doc:
            return dict(doc)
        # Text lost (a repaired store): start again from the headline.
        return {f: getattr(head, f) for f in HEAD_FIELDS} | {"standfirst": "", "body": []}

    def _write_segments(self, pending: dict[int, dict[int, dict[str, Any]]]) -> None:
        """Write every changed segment, all or nothing if a write fails (say, a full disk).

        Within a segment, text first and then the index: the index entry is what makes an
        article exist, so a crash between renames leaves unindexed text, never the reverse.
        """
        segments = [self._segments[number] for number in sorted(pending)]
        storages = [_storage(table) for s in segments for table in (s.articles, s.index)]
        with transaction(storages):
            for segment in segments:
                records = pending[segment.number]
                for table, fields in ((segment.articles, None), (segment.index, HEAD_FIELDS)):
                    table.remove(doc_ids=list(records))
                    table.insert_multiple(
                        Document(
                            record if fields is None else {f: record[f] for f in fields},
                            doc_id=slot,
                        )
                        for slot, record in records.items()
                    )
        for segment in segments:
            segment.index_stamp = _file_stamp(segment.index)
            _storage(segment.index).forget()  # the Headlines are the in-memory copy

    def _reload(self) -> None:
        """Forget everything in memory and read the store again from disk."""
        for segment in self._segments.values():
            for table in (segment.index, segment.articles, segment.state):
                _storage(table).forget()
        self._reset()
        self.refresh()
        self._changed()
