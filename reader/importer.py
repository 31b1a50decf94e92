"""Sources (seed text files, feed files, http(s) URLs) into the store.

Parsing is the slow part of an import, so sources are parsed in worker processes, one per core,
while this process reads the next source and merges the parsed ones into the store, in the
order given, one at a time under the store's lock. Sources stream through: each is read (at
most :data:`reader.text.MAX_SOURCE` bytes) only when a worker is about to be free for it, so a
long list of sources never sits in memory at once.

The workers die with this process however it dies, SIGKILL included, and at once when the
import is interrupted (Ctrl+C): nothing is left parsing for nobody.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import re
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from reader import feedsplit
from reader.article import Item
from reader.errors import ReaderError, SourceError
from reader.fastfeed import well_formed
from reader.feed import feed_name, parse_feed, unique
from reader.gcpause import gc_paused
from reader.seed import parse_seed
from reader.store import Counts, Store
from reader.text import MAX_SOURCE, clean

if TYPE_CHECKING:
    from reader.index_files import Built, StoredIndex

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Byte order marks of the wide encodings XML may come in (UTF-32 first: its LE mark starts
# with UTF-16's), and the first bytes of unmarked big-endian UTF-16/32 XML.
_WIDE_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
)
_WIDE_STARTS = (b"\x00<", b"\x00\x00\x00<")
_GZIP = b"\x1f\x8b"


def _wide_xml(data: bytes) -> bool:
    """True for XML in UTF-16 or UTF-32: feedparser reads those, the seed parser does not."""
    if data.startswith(_WIDE_STARTS):
        return True
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            head = data[len(bom) : len(bom) + 64].decode(codec, errors="ignore")
            return head.lstrip().startswith("<")
    return False


def _is_feed(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<" or _wide_xml(data)


@dataclass
class Report:
    """The outcome for one source: counts, or the one-line reason it failed."""

    source: str
    counts: Counts | None = None
    error: str | None = None
    skipped: int = 0  # entries that carried nothing to show (no title, text or link)

    def __str__(self) -> str:
        if self.counts is None:
            return self.error or self.source
        skipped = f", skipped {self.skipped}" if self.skipped else ""
        return f"{self.source}: {self.counts}{skipped}"


@dataclass(frozen=True, slots=True)
class Parsed:
    """One source parsed: its items, whether they are authoritative (a feed's win conflicts;
    seed text only enriches), and how many entries it dropped for carrying nothing."""

    items: list[Item] = field(default_factory=list)
    authoritative: bool = True
    skipped: int = 0
    # The items' text indexed for search where they were parsed, in parts of consecutive
    # items: what the store's new articles will hold, so the import saves it as their index.
    index: tuple[Built, ...] = ()
    ill_formed: bool = False  # a part of a cut feed that expat refuses: parse the whole feed


@dataclass(frozen=True, slots=True)
class Loaded:
    """The bytes of one source, with the HTTP headers and final URL when it was fetched."""

    data: bytes
    headers: dict[str, str] = field(default_factory=dict)
    url: str = ""


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def store_source(source: str) -> str:
    """The name a source is kept under in the store: the URL as given, or the file's absolute
    path, so that ``feed.xml`` and ``./feed.xml`` are one feed."""
    if is_url(source):
        return source
    try:
        return str(Path(source).resolve())
    except (OSError, RuntimeError):  # a name too long, a symlink loop: keep it as given
        return source


def read(source: str) -> Loaded | None:
    """The bytes of one source, at most MAX_SOURCE of them; None when the server says 304."""
    if not source:
        raise SourceError("'': an empty name, not a file or URL")
    if is_url(source):
        from reader.fetch import fetch  # httpx is slow to import: only when a URL needs it

        fetched = fetch(source, max_bytes=MAX_SOURCE)
        return None if fetched is None else Loaded(fetched.content, fetched.headers, fetched.url)
    if _SCHEME.match(source) and not _exists(source):
        raise SourceError(f"{source}: not a file, and only http and https URLs are fetched")
    try:
        with open(source, "rb") as file:
            data = file.read(MAX_SOURCE + 1)  # /dev/zero or a 20 GB file: stop past the cap
    except IsADirectoryError:
        raise SourceError(f"{source}: is a directory, not a file") from None
    except OSError as error:
        raise SourceError(f"{source}: cannot read ({error.strerror or error})") from None
    if len(data) > MAX_SOURCE:
        raise SourceError(f"{source}: larger than {MAX_SOURCE // (1024 * 1024)} MiB")
    return Loaded(data)


def _big_file(source: str) -> bool:
    """Whether ``source`` is a local file that will be cut and parsed by the workers."""
    if is_url(source) or not source:
        return False
    try:
        return os.path.getsize(source) >= feedsplit.MIN_SIZE
    except (OSError, ValueError):
        return False


def _exists(path: str) -> bool:
    try:
        return Path(path).exists()
    except OSError:
        return False


def parse(
    data: bytes, name: str, headers: dict[str, str] | None = None, url: str = ""
) -> Parsed:
    """Tell feed from seed text by the first character and parse accordingly.

    Seed text is UTF-8; XML may also be UTF-16 or UTF-32 (with a BOM, or a ``<`` next to NULs).
    ``url`` is where a fetched source came from: relative links resolve against it.
    """
    if data.startswith(_GZIP):
        raise SourceError(f"{name}: gzip-compressed data, not a feed or text (decompress it)")
    if _is_feed(data):
        entries = parse_feed(data, name, headers, url=url)
        return Parsed(entries.items, True, entries.skipped)
    if not data.lstrip(b"\xef\xbb\xbf \t\r\n") and not headers:
        raise SourceError(f"{name}: empty file, no articles")
    return Parsed(parse_seed(data, name, feed=feed_name(url or name)), authoritative=False)


Outcome = Parsed | str  # a parsed source, or the one-line reason it failed


def _safely(source: str, work: Callable[[], Parsed]) -> Outcome:
    """Never raise, so that one bad source cannot spoil the others."""
    try:
        return work()
    except ReaderError as error:
        return clean(str(error))
    except Exception as error:  # a parser bug must still name the source, not kill the import
        return clean(f"{source}: cannot import ({type(error).__name__}: {error})")[:500]


def parse_part(
    data: bytes, name: str, headers: dict[str, str], url: str, *, index: bool = False,
    part: bool = False,
) -> Outcome:
    """Run in a worker process: parse one source, or one part of a big feed; with ``index``,
    index the items' text too (the import of a feed new to the store: its items will be new
    articles, and indexing them here keeps every core busy instead of one after the parse).
    ``part``: one of the parts ``feedsplit.split(check=False)`` cut, checked here."""
    if part and not well_formed(data):
        return Parsed(ill_formed=True)
    with gc_paused():
        outcome = _safely(name, lambda: parse(data, name, headers, url))
        if index and isinstance(outcome, Parsed) and outcome.items:
            return _indexed(outcome)
        return outcome


def _indexed(parsed: Parsed) -> Parsed:
    """``parsed`` with its items' text indexed, as :meth:`StoredIndex.sync` would read it
    from the store for a new article: the title, then the searchable paragraphs."""
    from reader.index_files import build

    try:
        built = build((item.title, *item.searchable()) for item in parsed.items)
    except Exception:  # derived data: the sync after the import indexes from the store
        return parsed
    return Parsed(parsed.items, parsed.authoritative, parsed.skipped, tuple(built))


def combine(parts: list[Outcome]) -> Outcome:
    """The parts of one feed cut by :mod:`reader.feedsplit`, as if it had been parsed whole."""
    for part in parts:
        if isinstance(part, str) or len(parts) == 1:
            return part
    parsed = [part for part in parts if not isinstance(part, str)]
    items = unique(item for part in parsed for item in part.items)  # one feed: unique across
    return Parsed(items, True, sum(part.skipped for part in parsed))


# --- worker processes ---------------------------------------------------------------------

_PR_SET_PDEATHSIG = 1  # linux/prctl.h
_WATCH_SECONDS = 0.5


def _worker_start(parent: int, pids: Any) -> None:
    """Run first in every worker: die with ``parent``, leave Ctrl+C to it, say who we are."""
    # Everything the fork copied from the parent (a whole store's headlines, say) is the
    # parent's: the collector must not walk it here, which also copied every page it touched.
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl+C by killing us
    if not _kill_me_with_parent():
        threading.Thread(target=_watch, args=(parent,), name="parent watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before we could ask to die with it
        os._exit(1)
    pids.put(os.getpid())


def _kill_me_with_parent() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where it cannot.

    Linux sends the signal when the *thread* that started the worker ends; the pool lives
    inside one call of :func:`import_sources`, so that thread outlives the workers anyway.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    """The fallback: notice that the parent is gone (we were re-parented) and exit."""
    while os.getppid() == parent:
        time.sleep(_WATCH_SECONDS)
    os._exit(1)


def _load_index_code() -> None:
    import reader.index_files  # noqa: F401


class Workers:
    """A process pool whose workers never outlive the import (see :func:`_worker_start`).

    Leaving the ``with`` block normally waits for the workers; leaving it by an exception
    (Ctrl+C, a damaged store) kills them first: their results would go to no one.
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self.pool: ProcessPoolExecutor | None = None
        if count > 1:
            context = multiprocessing.get_context()
            self._pids = context.SimpleQueue()
            self.pool = ProcessPoolExecutor(
                count, mp_context=context, initializer=_worker_start,
                initargs=(os.getpid(), self._pids),
            )

    def start(self) -> None:
        """Launch the workers now, before the caller starts threads of its own: a fork while
        another thread holds a lock (an import, a logging handler) can leave the child stuck.
        """
        if self.pool is not None:
            self.pool.submit(os.getpid).result()  # with fork, the first task starts them all

    def launch(self, *, indexing: bool = False) -> None:
        """Start the workers without waiting for them (see :meth:`start`); ``indexing``: have
        each load the search index's code (numpy) meanwhile, not in the middle of a parse."""
        if self.pool is not None:
            for _ in range(self.count):
                self.pool.submit(_load_index_code if indexing else os.getpid)

    def __enter__(self) -> Workers:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.pool is None:
            return
        if error is not None:
            self._kill()
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _kill(self) -> None:
        # The workers are our unreaped children until the pool joins them: a pid read here
        # cannot have been reused by another process.
        while not self._pids.empty():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pids.get(), signal.SIGKILL)


# --- the import ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Parsing:
    """A feed being parsed by the workers in parts, and what parsing it whole would take."""

    parts: list[Future[Outcome]]
    data: bytes
    headers: dict[str, str]
    url: str
    index: bool


Job = _Parsing | Outcome


def _start(
    source: str, workers: Workers, parts: int, alone: bool, new: Callable[[str], bool]
) -> Job:
    """Read one source and set it parsing (and indexing, if it is ``new`` to the store): in a
    worker, or here when that is quicker."""
    try:
        loaded = read(source)
    except ReaderError as error:
        return clean(str(error))
    if loaded is None:
        return Parsed()  # 304 Not Modified: nothing new
    data, headers, url = loaded.data, loaded.headers, loaded.url
    pool = workers.pool
    # The parts are checked in the workers, each its own, rather than the whole feed here.
    chunks = feedsplit.split(data, parts, check=False) if pool and _is_feed(data) else [data]
    index = new(source)
    if pool is None or (alone and len(chunks) == 1):
        return parse_part(data, source, headers, url, index=index)
    cut = len(chunks) > 1
    futures = [
        pool.submit(parse_part, chunk, source, headers, url, index=index, part=cut)
        for chunk in chunks
    ]
    return _Parsing(futures, data, headers, url, index)


class _Index:
    """The store's search index, opened at the first source that brings one."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.opened: StoredIndex | None = None

    def get(self) -> StoredIndex:
        from reader.index_files import StoredIndex

        if self.opened is None:
            self.opened = StoredIndex.open(self.store.path / "search")
        return self.opened


def _finish(store: Store, source: str, job: Job, index: _Index) -> Report:
    """Wait for one source's parse, merge it into the store, and save the index built with
    it for the articles it added. The cyclic GC waits meanwhile: the results, loaded by the
    pool's thread, are thousands of objects that all live on."""
    with gc_paused():
        return _finish_paused(store, source, job, index)


def _finish_paused(store: Store, source: str, job: Job, index: _Index) -> Report:
    if isinstance(job, _Parsing):
        import reader.index_files  # noqa: F401  (numpy loads here while the workers parse)

        outcomes = [future.result() for future in job.parts]
        if any(isinstance(part, Parsed) and part.ill_formed for part in outcomes):
            # Parsed whole, as if it had never been cut: feedparser reads XML that is not
            # well-formed with another parser, and a part without the broken item would be.
            whole = parse_part(job.data, source, job.headers, job.url, index=job.index)
            outcomes = [whole]
    else:
        outcomes = [job]
    parsed = combine(outcomes)
    report = Report(source)
    if isinstance(parsed, str):
        report.error = parsed
        return report
    try:
        report.counts = store.merge(
            parsed.items, authoritative=parsed.authoritative, source=store_source(source)
        )
        report.skipped = parsed.skipped
    except ReaderError as error:
        report.error = str(error)
        return report
    if report.counts.added_ids:
        parts = [part for part in outcomes if isinstance(part, Parsed) and part.index]
        with contextlib.suppress(OSError, ValueError):  # derived data: the sync sees to it
            _save_index(index, store, parts, parsed.items, report.counts.added_ids)
    return report


def _save_index(
    index: _Index, store: Store, parts: list[Parsed], merged: list[Item], added: dict[int, str]
) -> None:
    """Save each part's prebuilt index for the articles its items became; a text whose item
    did not become a new article (it updated one, or repeated another) is masked out."""
    position = {id(item): n for n, item in enumerate(merged)}
    built: list[tuple[Built, list[str], list[int]]] = []
    for part in parts:
        start = 0
        for prebuilt in part.index:
            ids = []
            for item in part.items[start : start + prebuilt.documents]:
                article = added.get(position.get(id(item), -1), "")
                head = store.get(article) if article else None
                ids.append(article if head is not None and head.rev == 1 else "")
            start += prebuilt.documents
            built.append((prebuilt, ids, [1] * len(ids)))
    index.get().add_built(built)


def import_sources(
    store: Store,
    sources: Iterable[str],
    progress: Callable[[Report], None] | None = None,
) -> list[Report]:
    """Import every source; a failing source is reported and the others still import.

    Sources are parsed in worker processes, one per core; when there are fewer sources than
    cores, a big feed is cut between items (see :mod:`reader.feedsplit`) so that every core
    works. Merging stays in this process, in the order the sources were given. At most one
    source per core, and the one being read, are in memory at a time.
    """
    sources = list(sources)
    cores = os.cpu_count() or 1
    parts = cores if len(sources) < cores else 1
    reports: list[Report] = []
    pending: deque[tuple[str, Job]] = deque()

    index = _Index(store)
    known: set[str] | None = None

    def new(source: str) -> bool:
        """Whether no feed is stored under the source yet: then its items will mostly be new
        articles, worth indexing as they are parsed (else the sync indexes the few from the
        store). The feeds as they were when the import began."""
        nonlocal known
        if known is None:
            known = {u for feed in store.feeds() for u in (feed["url"], feed["final_url"]) if u}
        return store_source(source) not in known

    def finish_one() -> None:
        report = _finish(store, *pending.popleft(), index)
        reports.append(report)
        if progress:
            progress(report)

    with Workers(cores) as workers:
        if len(sources) > 1 or _big_file(sources[0] if sources else ""):
            # They start while this process reads and cuts the first source.
            workers.launch(indexing=new(sources[0]))
        for source in sources:
            pending.append((source, _start(source, workers, parts, len(sources) == 1, new)))
            while len(pending) > cores or (pending and not isinstance(pending[0][1], _Parsing)):
                finish_one()
        while pending:
            finish_one()
    if any(r.counts and (r.counts.added or r.counts.updated) for r in reports):
        update_index(store, index.opened)
    return reports


def update_index(store: Store, index: StoredIndex | None = None) -> None:
    """Index the new and changed articles now (what an import's parts did not), so that the
    next launch or `reader search` finds them at once. The index is derived data: if this
    fails, the app rebuilds it."""
    from reader.index_files import StoredIndex

    with contextlib.suppress(ReaderError):
        (index or StoredIndex.open(store.path / "search")).sync(store)
