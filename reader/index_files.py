"""The search index on disk, beside the store (``<store>/search``): derived data, never trusted.

Why it looks like this:

- **Parts, not one file.** The index is a list of immutable *part* files, each the frozen word
  index of up to :data:`PART_DOCS` articles, with every article's id and ``rev``. An import adds
  a part for its new or changed articles; nothing else is rewritten. ``manifest.json`` lists the
  parts and, per part, the documents that no longer count (the article was deleted, or indexed
  again in a later part). A search looks at every part side by side (:class:`reader.search.View`).
- **Memory-mapped.** A part file is a small JSON header and the index's arrays, each at an
  aligned offset, read with ``mmap``: opening the index at launch costs a few page reads, no
  parsing and no Python object per word, so a search typed as the list appears gets full-text
  results, and memory stays bounded however large the vocabulary grows.
- **Never trusted over the store.** :meth:`StoredIndex.sync` compares every indexed (id, rev)
  with the store's headlines: articles missing or with another rev are indexed (again) from the
  store, deleted ones are masked out. A missing, damaged or foreign index is therefore rebuilt
  by the same path, with progress and nothing else; a part that fails its checks (at load, its
  checksum in sync, or while searched) is dropped and its articles indexed again.
- **Durable and shared.** Each file is written to a unique temporary name, fsynced, renamed, and
  the directory fsynced; the manifest is replaced last, so a kill leaves the old index or the
  new. Two processes may sync at once: each builds its parts alone, then, under a lock on
  ``search/lock`` held only to replace the manifest (never the store's lock, so the index cannot
  delay an import or a flag write), merges its parts into whatever manifest is on disk then.
  Among several indexed versions of an article the highest rev counts, so either order of two
  syncs gives a correct index. Files the manifest no longer lists are deleted under that lock.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt
import orjson

from reader.article import Content, Headline
from reader.search import View
from reader.storage import flock_until, fsync_dir, write_atomically
from reader.wordindex import BLOCK, Builder, Snapshot

PART_DOCS = BLOCK // 2  # articles per part file: within one postings block; a bounded build
_SMALL = PART_DOCS // 4  # parts smaller than this are merged once there are more than...
_MAX_SMALL = 4  # ...this many of them
_FORMAT = 1
_MAGIC = b"reader-index\0v1\n"
_ALIGN = 64
_LOCK_SECONDS = 10.0
_ORPHAN_SECONDS = 3600.0  # an unlisted part or temporary older than this is left from a kill
_CHUNK = 1 << 20
_KINDS = "uiUb"  # dtypes a part file may hold: never objects

Bools = npt.NDArray[np.bool_]
I64 = npt.NDArray[np.int64]
Ids = npt.NDArray[np.str_]


def _keys(ids: Iterable[str]) -> I64:
    """Article ids as 64-bit keys: Python's str hash, in this process only. As unique as the ids
    (themselves 64-bit hashes), and free for the store's ids, whose hash Python has cached."""
    return np.fromiter(map(hash, ids), np.int64)


def _released(buffer: mmap.mmap) -> Callable[[], None]:
    """Drop a mapped file's pages from this process (they stay in the page cache): searches
    and syncs read much of a part once, and peak memory should not keep them."""

    def release() -> None:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            buffer.madvise(mmap.MADV_DONTNEED)

    return release


class Source(Protocol):
    """What the index needs of the store."""

    def headlines(self) -> Sequence[Headline]: ...

    def contents(self, ids: Iterable[str] | None = None) -> Iterator[tuple[Headline, Content]]: ...


class IndexDamaged(ValueError):
    """A part file or the manifest is not what this module writes."""


@dataclass(frozen=True)
class Synced:
    """What one :meth:`StoredIndex.sync` did; ``error`` says why the index could not be saved
    (it is then complete in memory and rebuilt on disk by a later sync)."""

    indexed: int = 0  # articles whose text was indexed
    removed: int = 0  # indexed articles masked out (deleted from the store, or indexed again)
    dropped: int = 0  # part files set aside as damaged
    error: str | None = None
    cancelled: bool = False


# --- part files --------------------------------------------------------------------------------


@dataclass(eq=False)
class _Part:
    """One part: its snapshot, the id and rev of each document, and which no longer count."""

    name: str | None  # the file; None if it could not be written (in memory only)
    size: int
    crc: int
    snapshot: Snapshot
    ids: Ids
    revs: I64
    dead: Bools
    verified: bool
    hashes: I64 = field(init=False)  # of the ids: what sync and search compare

    def __post_init__(self) -> None:
        self.hashes = _keys(self.ids.tolist())
        self.snapshot.release()  # the ids' pages: only needed for the hashes

    @property
    def documents(self) -> int:
        return self.snapshot.documents

    @property
    def live(self) -> int:
        return self.documents - int(np.count_nonzero(self.dead))


@dataclass(frozen=True, eq=False)
class Built:
    """The index of some texts, frozen, as the arrays a part file holds (without the articles'
    ids and revs): what an import's worker process builds and sends back, picklable."""

    meta: dict[str, object]
    arrays: dict[str, npt.NDArray[np.generic]]

    @classmethod
    def of(cls, snapshot: Snapshot) -> Built:
        meta, arrays = snapshot.arrays()
        return cls(meta, arrays)

    @property
    def documents(self) -> int:
        documents = self.meta["documents"]
        assert isinstance(documents, int)
        return documents

    def snapshot(self) -> Snapshot:
        return Snapshot.from_arrays(self.meta, self.arrays)


def build(texts: Iterable[Sequence[str]]) -> list[Built]:
    """Index texts, each an article's title and paragraphs as :meth:`StoredIndex.sync` reads
    them from the store, in parts of :data:`PART_DOCS` in the order given."""
    built: list[Built] = []
    builder = Builder()
    for text in texts:
        builder.add(text)
        if builder.count == PART_DOCS:
            built.append(Built.of(builder.freeze(final=True)))
            builder = Builder()
    if builder.count:
        built.append(Built.of(builder.freeze(final=True)))
    return built


def _write_part(directory: Path, built: Built, ids: list[str], revs: list[int]) -> _Part:
    """Write a part file durably under a new name; return it, memory-mapped from the file."""
    meta, arrays = built.meta, dict(built.arrays)
    arrays["article_ids"] = np.array(ids, dtype=str) if ids else np.empty(0, "<U1")
    arrays["revs"] = np.array(revs, np.int64)
    layout: dict[str, list[object]] = {}
    offset = 0
    for key, array in arrays.items():
        offset = -(-offset // _ALIGN) * _ALIGN
        layout[key] = [array.dtype.str, list(array.shape), offset]
        offset += array.nbytes
    header = orjson.dumps({"format": _FORMAT, "meta": meta, "arrays": layout})
    start = -(-(len(_MAGIC) + 8 + len(header)) // _ALIGN) * _ALIGN
    name = f"part-{uuid.uuid4().hex}.idx"
    path = directory / name
    tmp = directory / f".{name}.{os.getpid()}.tmp"
    crc = 0
    try:
        with open(tmp, "wb") as handle:

            def put(data: bytes | memoryview) -> None:
                nonlocal crc
                handle.write(data)
                crc = zlib.crc32(data, crc)

            put((_MAGIC + len(header).to_bytes(8, "little") + header).ljust(start, b"\0"))
            written = 0
            for key, array in arrays.items():
                at = int(layout[key][2])  # type: ignore[call-overload]
                put(bytes(at - written))
                raw = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
                put(raw.data)
                written = at + raw.nbytes
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        fsync_dir(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    part = _read_part(path, size=path.stat().st_size, crc=crc)
    part.verified = True
    return part


def _read_part(path: Path, *, size: int, crc: int) -> _Part:
    """Map a part file and check its shape (not its checksum: see :func:`_checksum`)."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size != size:
            raise IndexDamaged(f"{path.name}: {size} bytes expected")
        if size < len(_MAGIC) + 8:
            raise IndexDamaged(f"{path.name}: too short")
        buffer = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if buffer[: len(_MAGIC)] != _MAGIC:
        raise IndexDamaged(f"{path.name}: not an index part")
    length = int.from_bytes(buffer[len(_MAGIC) : len(_MAGIC) + 8], "little")
    begin = len(_MAGIC) + 8
    try:
        header = orjson.loads(buffer[begin : begin + length])
        start = -(-(begin + length) // _ALIGN) * _ALIGN
        arrays: dict[str, npt.NDArray[np.generic]] = {}
        for key, (kind, shape, offset) in header["arrays"].items():
            dtype = np.dtype(kind)
            if dtype.kind not in _KINDS or dtype.hasobject:
                raise IndexDamaged(f"{path.name}: {key} has type {kind}")
            count = int(np.prod(shape, dtype=np.int64))
            at = start + int(offset)
            if count < 0 or at + count * dtype.itemsize > size:
                raise IndexDamaged(f"{path.name}: {key} runs past the end")
            arrays[key] = np.frombuffer(buffer, dtype, count, at).reshape(shape)
        snapshot = Snapshot.from_arrays(header["meta"], arrays, _released(buffer))
        ids, revs = arrays["article_ids"], arrays["revs"]
    except IndexDamaged:
        raise
    except (ValueError, TypeError, KeyError, orjson.JSONDecodeError) as error:
        raise IndexDamaged(f"{path.name}: {error}") from None
    if ids.dtype.kind != "U" or revs.dtype != np.int64 or not (
        ids.ndim == revs.ndim == 1 and len(ids) == len(revs) == snapshot.documents
    ):
        raise IndexDamaged(f"{path.name}: article ids disagree with the index")
    dead = np.zeros(snapshot.documents, np.bool_)
    return _Part(path.name, size, crc, snapshot, ids, revs, dead, verified=False)  # type: ignore[arg-type]


def _checksum(path: Path) -> int:
    """CRC-32 of a file, read in chunks (not mapped: the pages stay out of our memory)."""
    crc = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            crc = zlib.crc32(chunk, crc)
    return crc


# --- the manifest -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    name: str
    size: int
    crc: int
    dead: tuple[int, ...]


def _read_manifest(path: Path) -> list[_Entry]:
    """The parts listed in the manifest; [] if there is none; IndexDamaged if it is bad."""
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    except (OSError, orjson.JSONDecodeError) as error:
        raise IndexDamaged(f"{path.name}: {error}") from None
    try:
        if data["format"] != _FORMAT:
            raise IndexDamaged(f"{path.name}: format {data['format']!r}")
        entries = [
            _Entry(str(p["name"]), int(p["size"]), int(p["crc"]), tuple(map(int, p["dead"])))
            for p in data["parts"]
        ]
    except (KeyError, TypeError, ValueError) as error:
        raise IndexDamaged(f"{path.name}: {error}") from None
    for entry in entries:
        name = entry.name
        if not (name.startswith("part-") and name.endswith(".idx")) or "/" in name:
            raise IndexDamaged(f"{path.name}: a part named {entry.name!r}")
    return entries


def _manifest(parts: Sequence[_Part]) -> bytes:
    return orjson.dumps({
        "format": _FORMAT,
        "parts": [
            {"name": p.name, "size": p.size, "crc": p.crc,
             "dead": np.flatnonzero(p.dead).tolist()}
            for p in parts
        ],
    })


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


# --- what a search sees -------------------------------------------------------------------------


class StoredView(View):
    """A view of the parts with the document number of each article id: the newest live
    document of each id (a title stand-in only where nothing else holds the id)."""

    def __init__(self, parts: Sequence[_Part], titles: _Part | None = None) -> None:
        ordered = [titles, *parts] if titles is not None else list(parts)
        super().__init__([p.snapshot for p in ordered])
        keys = [p.hashes[~p.dead] for p in ordered]
        numbers = [
            base + np.flatnonzero(~p.dead)
            for p, base in zip(ordered, self.bases, strict=False)
        ]
        hashes = np.concatenate(keys) if keys else np.empty(0, np.int64)
        where = np.concatenate(numbers) if numbers else np.empty(0, np.int64)
        order = np.argsort(hashes, kind="stable")
        hashes, where = hashes[order], where[order]
        last = np.ones(len(hashes), np.bool_)  # the last of each run: the latest part
        last[:-1] = hashes[1:] != hashes[:-1]
        self.hashes: I64 = hashes[last]
        self.numbers: I64 = where[last].astype(np.int64)

    def positions(self, heads: Sequence[Headline]) -> I64:
        """Each headline's document number; the spare slot if the index does not hold it."""
        wanted = np.fromiter(map(hash, map(attrgetter("id"), heads)), np.int64, len(heads))
        if not len(self.hashes):
            return np.full(len(heads), self.documents, np.int64)
        at = np.minimum(np.searchsorted(self.hashes, wanted), len(self.hashes) - 1)
        return np.where(self.hashes[at] == wanted, self.numbers[at], self.documents)


# --- the index ---------------------------------------------------------------------------------


class StoredIndex:
    """The search index of one store, kept in ``directory`` (``store.path / "search"``).

    :meth:`open` never raises and never writes: a missing or damaged index opens empty (or
    without its damaged parts) and the first :meth:`sync` rebuilds what is missing. Searching
    (through :class:`reader.search.Searcher`) is safe while another thread syncs; one sync at a
    time per object (a second waits)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._manifest_path = directory / "manifest.json"
        self._parts: list[_Part] = []
        self._stamp: tuple[int, int, int] | None = None
        self._view = StoredView([])
        self._sync_lock = threading.Lock()
        self.problem: str | None = None  # the last damage found (it is rebuilt, not reported)
        self._error: str | None = None  # why this sync could not save
        self._removed = 0  # documents masked out in this sync
        self._raced = False  # another process saved the manifest during this sync

    @classmethod
    def open(cls, directory: Path) -> StoredIndex:
        """Map the index's parts; what is missing or damaged is left for :meth:`sync`."""
        index = cls(directory)
        index._load()
        return index

    def __len__(self) -> int:
        """Articles the index holds (live documents), title stand-ins not counted."""
        return sum(p.live for p in self._parts)

    # --- for the searcher ----------------------------------------------------------------------

    def snapshot(self) -> View:
        return self._view

    def positions(self, heads: Sequence[Headline], view: View) -> I64:
        if not isinstance(view, StoredView):
            raise TypeError("a view of another index")
        return view.positions(heads)

    # --- loading ---------------------------------------------------------------------------------

    def _load(self) -> None:
        """Adopt the manifest on disk, reusing parts already mapped (their files never change)."""
        stamp = _stamp(self._manifest_path)
        try:
            entries = _read_manifest(self._manifest_path)
        except IndexDamaged as error:
            self.problem = str(error)
            entries = []
        known = {p.name: p for p in self._parts if p.name is not None}
        parts = []
        for entry in entries:
            part = known.get(entry.name)
            if part is None or (part.size, part.crc) != (entry.size, entry.crc):
                try:
                    part = _read_part(self.directory / entry.name, size=entry.size, crc=entry.crc)
                except (OSError, IndexDamaged) as error:
                    self.problem = str(error)
                    continue
            dead = np.asarray(entry.dead, np.int64)
            if len(dead) and not (dead.min() >= 0 and dead.max() < part.documents):
                self.problem = f"{entry.name}: masked documents out of range"
                continue
            part.dead[dead] = True
            parts.append(part)
        parts += [p for p in self._parts if p.name is None]  # kept in memory: not on disk yet
        self._parts = parts
        self._stamp = stamp
        self._publish()

    def _publish(self, titles: _Part | None = None) -> None:
        self._view = StoredView(self._parts, titles)

    # --- keeping up with the store -------------------------------------------------------------

    def sync(
        self,
        store: Source,
        cancelled: Callable[[], bool] = lambda: False,
        progress: Callable[[int, int], object] | None = None,
    ) -> Synced:
        """Make the index agree with ``store``: index the articles it lacks or holds at another
        rev, mask out those the store no longer has, merge small or mostly masked parts, and
        save. Never raises for the index's own files; ``progress(done, total)`` as it indexes."""
        with self._sync_lock:
            indexed = dropped = 0
            self._error, self._removed = None, 0
            for _ in range(3):  # again if another process saved meanwhile: check its work
                self._raced = False
                if _stamp(self._manifest_path) != self._stamp:
                    self._load()
                dropped += self._verify()
                done, stopped = self._pass(store, cancelled, progress)
                indexed += done
                if stopped:
                    return Synced(indexed, self._removed, dropped, self._error, cancelled=True)
                if not self._raced:
                    break
            return Synced(indexed, self._removed, dropped, self._error)

    def _verify(self) -> int:
        """Check the checksum of parts not yet checked (and drop parts a search found broken)."""
        broken = {id(self._view.parts[n]) for n in self._view.broken}
        keep = []
        for part in self._parts:
            good = id(part.snapshot) not in broken
            if good and not part.verified and part.name is not None:
                try:
                    good = _checksum(self.directory / part.name) == part.crc
                except OSError:
                    good = False
                part.verified = good
            if good:
                keep.append(part)
            else:
                self.problem = f"{part.name}: damaged index part, indexed again"
        dropped = len(self._parts) - len(keep)
        if dropped:
            self._parts = keep
            self._publish()
        return dropped

    def _pass(
        self,
        store: Source,
        cancelled: Callable[[], bool],
        progress: Callable[[int, int], object] | None,
    ) -> tuple[int, bool]:
        """One comparison with the store: (articles indexed, whether it was cancelled)."""
        heads = store.headlines()
        keys = _keys(map(attrgetter("id"), heads))
        order = np.argsort(keys)
        keys = keys[order]
        revs = np.fromiter(map(attrgetter("rev"), heads), np.int64, len(heads))[order]
        deleted = False
        for part in self._parts:
            live = np.flatnonzero(~part.dead)
            gone = live[_lookup(keys, part.hashes[live]) < 0]
            if len(gone):
                part.dead[gone] = True  # deleted from the store
                self._removed += len(gone)
                deleted = True
        current = np.zeros(len(heads), np.bool_)  # in key order: indexed at the store's rev
        held = np.zeros(len(heads), np.bool_)  # indexed at some rev
        found = []
        for part in self._parts:
            live = np.flatnonzero(~part.dead)
            at = _lookup(keys, part.hashes[live])  # all found: the gone are masked above
            held[at] = True
            found.append(at[revs[at] == part.revs[live]])
            current[found[-1]] = True
        # Merge small parts once there are many (counting the one this sync would add), and
        # parts mostly masked or stale: their current articles are indexed again (from the
        # store, the truth) and the old parts then drop.
        small = [p for p in self._parts if p.documents < _SMALL]
        adding = int(0 < np.count_nonzero(~current) < _SMALL)
        merge = {id(p) for p in small} if len(small) + adding > _MAX_SMALL else set()
        merge |= {
            id(p) for p, at in zip(self._parts, found, strict=True) if len(at) * 2 < p.documents
        }
        if merge:
            current[:] = False
            for part, at in zip(self._parts, found, strict=True):
                if id(part) not in merge:
                    current[at] = True
        del found
        wanted = [heads[i] for i in np.sort(order[~current]).tolist()]
        if not wanted:
            if deleted:
                self._commit([])
            return 0, False
        absent = [heads[i] for i in np.sort(order[~held]).tolist()]
        titles = self._titles(absent) if absent else None
        self._publish(titles)
        indexed = 0
        total = len(wanted)
        del keys, order, revs, current, held
        builder, ids, part_revs = Builder(), [], []
        for head, content in store.contents(head.id for head in wanted):
            if cancelled():
                self._publish()
                return indexed, True
            builder.add((head.title, *content.searchable()))
            ids.append(head.id)
            part_revs.append(head.rev)
            if len(ids) == PART_DOCS:
                self._commit([(Built.of(builder.freeze(final=True)), ids, part_revs)], titles)
                indexed += len(ids)
                builder, ids, part_revs = Builder(), [], []
            if progress is not None and (indexed + len(ids)) % 5000 == 0:
                progress(indexed + len(ids), total)
        if ids or deleted:
            self._commit([(Built.of(builder.freeze(final=True)), ids, part_revs)] if ids else [])
            indexed += len(ids)
        self._publish()
        if progress is not None:
            progress(total, total)
        return indexed, False

    def _titles(self, heads: Sequence[Headline]) -> _Part:
        """An in-memory part of titles, standing in while their articles' text is indexed."""
        builder = Builder()
        for head in heads:
            builder.add((head.title,))
        ids = np.array([h.id for h in heads], dtype=str)
        return _Part(
            None, 0, 0, builder.freeze(final=True), ids, np.full(len(heads), -1, np.int64),
            np.zeros(len(heads), np.bool_), verified=True,
        )

    # --- saving ----------------------------------------------------------------------------------

    def add_built(self, parts: Sequence[tuple[Built, Sequence[str], Sequence[int]]]) -> int:
        """Save parts built elsewhere, each from the texts of the store's articles ``ids`` at
        ``revs`` as :meth:`sync` would have read them ("" for a text that is no article), in
        one manifest write; returns how many were saved. A part of which fewer than half
        count is not: :meth:`sync` indexes those few from the store (a part mostly masked
        would soon be merged away)."""
        kept = []
        for built, ids, revs in parts:
            if len(ids) != built.documents or len(revs) != len(ids):
                raise ValueError("one id and one rev per document")
            if sum(map(bool, ids)) * 2 >= len(ids):
                kept.append((built, list(ids), list(revs)))
        if kept:
            with self._sync_lock:
                self._error = None
                if _stamp(self._manifest_path) != self._stamp:
                    self._load()
                self._commit(kept)
        return len(kept)

    def _commit(
        self, built: list[tuple[Built, list[str], list[int]]], titles: _Part | None = None
    ) -> None:
        """Add new parts ("" for an id masks that document out), keep one version of each
        article, and save the manifest; if the files cannot be written, keep it all in memory
        and say why in ``problem``."""
        new = []
        for index, ids, revs in built:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
                part = _write_part(self.directory, index, ids, revs)
            except (OSError, IndexDamaged) as error:
                self._error = f"{self.directory}: cannot save the search index ({error})"
                part = _Part(
                    None, 0, 0, index.snapshot(), np.array(ids, dtype=str),
                    np.array(revs, np.int64), np.zeros(len(ids), np.bool_), verified=True,
                )
            part.dead[[n for n, article in enumerate(ids) if not article]] = True
            new.append(part)
        try:
            with self._files_locked():
                if _stamp(self._manifest_path) != self._stamp:
                    # Another process saved meanwhile: build on its manifest. Parts both list
                    # are the same objects (files never change), so masks set here are kept.
                    self._load()
                    self._raced = True
                self._parts = self._one_version(self._parts + new)
                previous = _listed(self._manifest_path)
                # Parts only in memory are left out: their articles are indexed again later.
                write_atomically(
                    self._manifest_path,
                    _manifest([p for p in self._parts if p.name is not None]),
                )
                self._stamp = _stamp(self._manifest_path)
                self._collect(previous)
        except (OSError, IndexDamaged) as error:
            self._parts = self._one_version(self._parts + new)
            self._error = f"{self.directory}: cannot save the search index ({error})"
        self._publish(titles)

    def _one_version(self, parts: list[_Part]) -> list[_Part]:
        """Mask all but one live document per article: the highest rev, then the latest part;
        drop parts with no live document left."""
        if parts:
            keys = np.concatenate([p.hashes for p in parts])
            revs = np.concatenate([p.revs for p in parts])
            live = np.concatenate([~p.dead for p in parts])
            chosen = np.flatnonzero(live)
            order = np.lexsort((chosen, revs[chosen], keys[chosen]))
            chosen = chosen[order]
            later = np.zeros(len(chosen), np.bool_)
            later[:-1] = keys[chosen[1:]] == keys[chosen[:-1]]  # another version comes after
            beaten = chosen[later]
            bases = np.cumsum([0, *(p.documents for p in parts)])
            for part, base in zip(parts, bases.tolist(), strict=False):
                mine = beaten[(beaten >= base) & (beaten < base + part.documents)] - base
                part.dead[mine] = True
            self._removed += len(beaten)
        return [p for p in parts if p.live]

    @contextlib.contextmanager
    def _files_locked(self) -> Iterator[None]:
        """Exclude other processes (and threads) while the manifest is replaced."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if not flock_until(fd, time.monotonic() + _LOCK_SECONDS):
                raise OSError("another process holds the index lock")
            yield
        finally:
            os.close(fd)  # releases the lock

    def _collect(self, previous: set[str]) -> None:
        """Delete the parts the new manifest dropped, and what killed syncs left long ago."""
        listed = {p.name for p in self._parts}
        now = time.time()
        with contextlib.suppress(OSError):
            for entry in self.directory.iterdir():
                name = entry.name
                if name in listed or not (name.startswith(("part-", ".part-"))):
                    continue
                with contextlib.suppress(OSError):
                    if name in previous or now - entry.stat().st_mtime > _ORPHAN_SECONDS:
                        entry.unlink()


def _listed(path: Path) -> set[str]:
    try:
        return {entry.name for entry in _read_manifest(path)}
    except IndexDamaged:
        return set()


def _lookup(keys: I64, wanted: I64) -> I64:
    """Where each of ``wanted`` is in the sorted ``keys``; -1 where it is not."""
    if not len(keys):
        return np.full(len(wanted), -1, np.int64)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, at, -1)
