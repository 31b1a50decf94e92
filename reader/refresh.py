"""Following feeds: subscribing (with feed discovery) and refreshing every followed feed.

Model code, no CLI and no Textual: the CLI prints each :class:`Result`; the app calls
:func:`refresh` from a thread worker with a ``progress`` callback and a ``cancelled`` check.

A refresh fetches with ``jobs`` threads that take feeds from one queue, never more than
``per_host`` at a time from one host: a site with many feeds is not hammered, and other
sites' feeds go meanwhile. Each fetch is conditional (the feed's stored ETag and
Last-Modified), so a feed that has not changed costs one small request and one write of its
fetched time. Fetching waits on the network; parsing is CPU work, so it goes to the
importer's worker processes (threads would queue on the GIL); the calling thread hands out the
parses and merges into the store, under the store's lock, every feed parsed since its last
write in one write: a segment's headlines file is rewritten per write, not per feed.
"""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from reader import feedsplit
from reader.discover import Found, discover, is_page
from reader.errors import ReaderError, SourceError
from reader.fetch import Fetched, FetchError, Gone, RetryLater, get
from reader.importer import (
    Outcome,
    Parsed,
    Workers,
    combine,
    is_url,
    parse_part,
    read,
    store_source,
    update_index,
)
from reader.schema import Record
from reader.store import Batch, Counts, Store
from reader.text import MAX_SOURCE, clean

JOBS = 8  # fetches at once
PER_HOST = 2  # fetches at once from one host
TIMEOUT = 15.0  # seconds for one feed's whole fetch, redirects included
GONE = "gone (410)"

Progress = Callable[["Result", int, int], None]  # a result, how many are done, of how many


@dataclass
class Result:
    """What became of one feed: counts, a note (not modified, skipped, ...), or an error."""

    url: str  # the feed's url as followed
    counts: Counts | None = None
    skipped: int = 0  # entries that carried nothing to show
    note: str = ""
    error: str | None = None  # one line, without the url

    def __str__(self) -> str:
        url = clean(self.url)
        if self.error is not None:
            return f"{url}: {self.error}"
        if self.counts is not None:
            skipped = f", skipped {self.skipped}" if self.skipped else ""
            return f"{url}: {self.counts}{skipped}"
        return f"{url}: {self.note}"


@dataclass
class Added:
    """What :func:`add` did: a result per feed, or the feeds a page offers when it offers
    several and none was taken."""

    results: list[Result] = field(default_factory=list)
    choices: list[Found] = field(default_factory=list)


def refresh(
    store: Store,
    urls: Sequence[str] | None = None,
    *,
    jobs: int = JOBS,
    per_host: int = PER_HOST,
    timeout: float = TIMEOUT,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[Result]:
    """Fetch every followed feed (or those of ``urls``) and merge what is new; a failing feed
    is reported (and its error kept on its record) while the others go on.

    Feeds that answered 410 are skipped, and so are feeds whose server asked to wait
    (Retry-After) until that time. ``progress`` is called in this thread after each feed;
    once ``cancelled()`` is true no further fetch starts, and the ones under way finish.
    """
    if jobs < 1 or per_host < 1 or timeout <= 0:
        raise ValueError("refresh: jobs and per_host must be >= 1, timeout > 0")
    feeds, unknown = _chosen(store, urls)
    results: list[Result] = []
    total = len(feeds) + len(unknown)

    def report(result: Result) -> None:
        results.append(result)
        if progress is not None:
            progress(result, len(results), total)

    for url in unknown:
        report(Result(url, error="not a followed feed (reader add follows it)"))
    now = time.time()
    due = []
    for feed in feeds:
        if feed["gone"]:
            report(Result(feed["url"], note=f"skipped, {GONE}: no longer fetched"))
        elif feed["retry_after"] is not None and feed["retry_after"] > now:
            report(Result(feed["url"], note=f"skipped until {_stamp(feed['retry_after'])} "
                                            "(the server asked to wait)"))
        else:
            due.append(feed)
    if due:
        _Run(store, timeout, report).run(due, jobs, per_host, cancelled or (lambda: False))
    if any(r.counts and (r.counts.added or r.counts.updated) for r in results):
        update_index(store)  # searched at once, by the app and by `reader search`
    return results


def add(
    store: Store,
    url: str,
    *,
    tags: Iterable[str] = (),
    full_text: bool = False,
    fetch: bool = True,
    every: bool = False,
    timeout: float = TIMEOUT,
) -> Added:
    """Follow ``url`` (a feed URL or file) and fetch it at once; or, if it is a web page, the
    feed it links to (every one with ``every``; none, but the choices, when it links to
    several). A feed is followed only once it has been fetched and parsed, so a mistyped URL
    leaves nothing behind; ``fetch=False`` follows it as given, without touching it.
    """
    source = store_source(url)
    tags = sorted(set(tags))
    if not fetch:
        _, created = store.subscribe(source, tags=tags, full_text=full_text)
        return Added([Result(source, note="followed (not fetched yet)" if created
                             else "already followed")])
    known = store.feed(source)
    if known is not None and known["subscribed"]:
        return Added([Result(source, note="already followed")])
    try:
        got = _fetch(source, "", "", timeout)
    except SourceError as error:
        return Added([Result(source, error=f"{_reason(error, source)} (not followed)")])
    if not is_page(got.content, got.headers.get("content-type", "")):
        return Added([_follow(store, source, got, tags, full_text)])
    found = discover(got.content, got.url, got.headers.get("content-type", ""))
    if not found:
        return Added([Result(source, error="a web page that links to no RSS or Atom feed "
                                           "(not followed)")])
    if len(found) > 1 and not every:
        return Added(choices=found)
    return Added([_add_found(store, feed, tags, full_text, timeout) for feed in found])


def _add_found(
    store: Store, found: Found, tags: list[str], full_text: bool, timeout: float
) -> Result:
    """Follow a feed a page linked to; a page that links to another page is not followed."""
    known = store.feed(found.url)
    if known is not None and known["subscribed"]:
        return Result(found.url, note="already followed")
    try:
        got = _fetch(found.url, "", "", timeout)
    except SourceError as error:
        return Result(found.url, error=f"{_reason(error, found.url)} (not followed)")
    if is_page(got.content, got.headers.get("content-type", "")):
        return Result(found.url, error="a web page, not a feed (not followed)")
    return _follow(store, found.url, got, tags, full_text, found.title)


def _follow(
    store: Store, url: str, got: Fetched, tags: list[str], full_text: bool, title: str = ""
) -> Result:
    """Parse a first fetch and, if it is a feed, follow it and merge its items."""
    outcome = parse_part(got.content, url, got.headers, got.url)
    if isinstance(outcome, str):
        return Result(url, error=f"{_reason(outcome, url)} (not followed)")
    record, created = store.subscribe(url, title=title, tags=tags, full_text=full_text)
    if not created:  # another process followed it meanwhile
        return Result(url, note="already followed")
    counts = store.merge(outcome.items, authoritative=outcome.authoritative, source=record["url"])
    store.set_feed(record["id"], **_fresh(record, got))
    return Result(url, counts, outcome.skipped)


def _chosen(store: Store, urls: Sequence[str] | None) -> tuple[list[Record], list[str]]:
    """The followed feeds to refresh, and the named URLs that are not followed feeds."""
    if urls is None:
        return [feed for feed in store.feeds() if feed["subscribed"]], []
    feeds: dict[str, Record] = {}
    unknown: list[str] = []
    for url in urls:
        feed = store.feed(store_source(url))
        if feed is None or not feed["subscribed"]:
            unknown.append(url)
        else:
            feeds.setdefault(feed["id"], feed)
    return list(feeds.values()), unknown


def _fetch(url: str, etag: str, modified: str, timeout: float) -> Fetched:
    """Fetch a URL (conditionally, redirects to other hosts allowed) or read a file."""
    if is_url(url):
        return get(url, timeout=timeout, max_bytes=MAX_SOURCE, etag=etag or None,
                   modified=modified or None, any_host=True)
    loaded = read(url)
    assert loaded is not None  # only a fetch answers "not modified"
    return Fetched(url, loaded.data, {}, None, None)


def _fresh(feed: Record, got: Fetched) -> Record:
    """The feed's fields after a successful fetch: fetched now, no error, no wait, and its
    new home after a permanent redirect."""
    changes: Record = {"fetched": int(time.time()), "error": None, "retry_after": None}
    if got.permanent:
        changes["final_url"] = "" if got.permanent == feed["url"] else got.permanent
    if not got.not_modified:
        changes |= {"etag": got.etag or "", "last_modified": got.modified or ""}
    return changes


def _reason(error: SourceError | str, url: str) -> str:
    """An error's message without the URL in front: the feed's record and line give it."""
    if isinstance(error, FetchError):
        return error.reason
    message = clean(str(error))
    for prefix in (f"{clean(url)}: ", f"{url}: "):
        if message.startswith(prefix):
            return message[len(prefix):]
    return message


def _stamp(when: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(when))


def _host(feed: Record) -> str:
    url: str = feed["final_url"] or feed["url"]
    try:
        return (urlsplit(url).hostname or "") if is_url(url) else ""
    except ValueError:
        return ""


class _Queue:
    """The feeds waiting to be fetched, handed out at most ``per_host`` per host at a time."""

    def __init__(self, feeds: list[Record], per_host: int, cancelled: Callable[[], bool]):
        self._waiting = deque(feeds)
        self._busy: Counter[str] = Counter()
        self._per_host = per_host
        self._cancelled = cancelled
        self._stopped = False
        self._changed = threading.Condition()

    def take(self) -> Record | None:
        """The next feed whose host has room (waiting for one), or None when there is none
        left to start."""
        with self._changed:
            while True:
                if self._stopped or not self._waiting or self._cancelled():
                    return None
                for index, feed in enumerate(self._waiting):
                    host = _host(feed)
                    if self._busy[host] < self._per_host:
                        del self._waiting[index]
                        self._busy[host] += 1
                        return feed
                self._changed.wait()

    def done(self, feed: Record) -> None:
        with self._changed:
            self._busy[_host(feed)] -= 1
            self._changed.notify_all()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()


# Events the fetching threads and the parsing processes send to the refreshing thread.
_FETCHED, _PARSED, _EXITED = "fetched", "parsed", "exited"
Event = tuple[str, Record | None, object]
BATCH = 25  # feeds written to the store in one write, at most ...
BATCH_WAIT = 0.5  # ... or once the first of them has waited this many seconds


@dataclass
class _Pending:
    """What waits to be written: feeds parsed, and feed records to change (a 304's fetched
    time, an error), each with the result to report once it is written."""

    parsed: list[tuple[Record, Fetched, Parsed]] = field(default_factory=list)
    changes: list[tuple[Record, Record, Result]] = field(default_factory=list)
    since: float = 0.0

    def __len__(self) -> int:
        return len(self.parsed) + len(self.changes)

    def started(self) -> None:
        if len(self) == 1:
            self.since = time.monotonic()

    def wait(self) -> float | None:
        """How long to wait for more before writing (None: nothing to write, wait for all)."""
        return max(0.0, self.since + BATCH_WAIT - time.monotonic()) if self else None

    def due(self, finished: bool) -> bool:
        return bool(self) and (
            finished or len(self) >= BATCH or time.monotonic() - self.since >= BATCH_WAIT
        )


class _Run:
    """One refresh of the feeds that are due: fetch in threads, parse in processes, write here.

    Writes are batched: every store write rewrites a segment's headlines file, so the feeds
    parsed meanwhile are merged together, and a 304's fetched time shares the write of the
    others (at most :data:`BATCH` feeds and :data:`BATCH_WAIT` seconds of waiting).
    """

    def __init__(self, store: Store, timeout: float, report: Callable[[Result], None]) -> None:
        self.store = store
        self.timeout = timeout
        self.report = report
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()

    def run(
        self, due: list[Record], jobs: int, per_host: int, cancelled: Callable[[], bool]
    ) -> None:
        cores = os.cpu_count() or 1
        parts = cores if len(due) < cores else 1  # a few big feeds: cut each between items
        waiting = _Queue(due, per_host, cancelled)
        with Workers(cores if len(due) > 1 else 1) as workers:
            workers.start()  # before any thread of ours exists: see Workers.start
            threads = [
                threading.Thread(target=self._fetcher, args=(waiting,), name=f"fetch {n}",
                                 daemon=True)
                for n in range(min(jobs, len(due)))
            ]
            for thread in threads:
                thread.start()
            running, parsing = len(threads), 0
            pending = _Pending()
            try:
                while running or parsing or pending:
                    for kind, feed, payload in self._ready(pending.wait()):
                        if kind == _EXITED:
                            running -= 1
                        elif kind == _PARSED:
                            assert feed is not None and isinstance(payload, tuple)
                            parsing -= 1
                            got, futures = payload
                            self._parsed(pending, feed, got, combine([f.result() for f in futures]))
                        else:
                            assert feed is not None
                            parsing += self._fetched(pending, feed, payload, workers.pool, parts)
                    if pending.due(finished=not (running or parsing)):
                        self._write(pending)
                        pending = _Pending()
            finally:
                waiting.stop()  # an error here (a damaged store, Ctrl+C): start no more fetches

    def _ready(self, timeout: float | None) -> list[Event]:
        """The events that arrive within ``timeout``: the first one waited for, the others
        taken as they are."""
        try:
            events = [self.events.get(timeout=timeout)]
        except queue.Empty:
            return []
        with contextlib.suppress(queue.Empty):
            while True:
                events.append(self.events.get_nowait())
        return events

    def _fetcher(self, waiting: _Queue) -> None:
        """A fetching thread: feeds from the queue until it is empty; never raises."""
        try:
            while (feed := waiting.take()) is not None:
                got: Fetched | SourceError
                url = feed["final_url"] or feed["url"]
                try:
                    got = _fetch(url, feed["etag"], feed["last_modified"], self.timeout)
                except SourceError as error:
                    got = error
                except Exception as error:  # a bug must not leave the refresh waiting forever
                    got = SourceError(clean(f"{url}: cannot fetch ({type(error).__name__}: "
                                            f"{error})")[:500])
                finally:
                    waiting.done(feed)
                self.events.put((_FETCHED, feed, got))
        finally:
            self.events.put((_EXITED, None, None))

    def _fetched(
        self, pending: _Pending, feed: Record, got: object, pool: ProcessPoolExecutor | None,
        parts: int,
    ) -> int:
        """A fetch is done: a 304 or an error waits to be written, a body is set parsing (in
        the workers, in parts if it is big and the feeds are few); returns how many parses
        were started (0 or 1)."""
        if isinstance(got, SourceError):
            self._failed(pending, feed, got)
            return 0
        assert isinstance(got, Fetched)
        if got.not_modified:
            pending.changes.append((feed, _fresh(feed, got), Result(feed["url"],
                                                                    note="not modified")))
            pending.started()
            return 0
        if pool is None:
            self._parsed(pending, feed, got,
                         parse_part(got.content, feed["url"], got.headers, got.url))
            return 0
        futures = [
            pool.submit(parse_part, chunk, feed["url"], got.headers, got.url)
            for chunk in feedsplit.split(got.content, parts)
        ]
        left = [len(futures)]
        lock = threading.Lock()

        def part_done(_: Future[Outcome]) -> None:
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:  # the last part to finish tells the refreshing thread
                self.events.put((_PARSED, feed, (got, futures)))

        for future in futures:
            future.add_done_callback(part_done)
        return 1

    def _parsed(self, pending: _Pending, feed: Record, got: Fetched, outcome: Outcome) -> None:
        if isinstance(outcome, str):
            self._failed(pending, feed, SourceError(outcome))
        else:
            pending.parsed.append((feed, got, outcome))
            pending.started()

    def _failed(self, pending: _Pending, feed: Record, error: SourceError) -> None:
        """Keep a failure on the feed: 410 stops its fetching, Retry-After delays it."""
        if isinstance(error, Gone):
            changes: Record = {"gone": True, "error": GONE}
            shown = f"{GONE}: no longer fetched"
        else:
            shown = _reason(error, feed["final_url"] or feed["url"])
            changes = {"error": shown}
            if isinstance(error, RetryLater):
                changes["retry_after"] = error.until
        pending.changes.append((feed, changes, Result(feed["url"], error=shown)))
        pending.started()

    def _write(self, pending: _Pending) -> None:
        """Write what is pending, then report it; a store that cannot be written is the
        error of every feed the write was for."""
        results: list[Result] = []
        try:
            if pending.changes:
                self.store.set_feeds({feed["id"]: change for feed, change, _ in pending.changes})
                results += [result for _, _, result in pending.changes]
            if pending.parsed:
                counts = self.store.merge_many([
                    Batch(outcome.items, outcome.authoritative, feed["url"], _fresh(feed, got))
                    for feed, got, outcome in pending.parsed
                ])
                results += [
                    Result(feed["url"], count, outcome.skipped)
                    for (feed, _, outcome), count in zip(pending.parsed, counts, strict=True)
                ]
        except ReaderError as error:
            written = {result.url for result in results}
            feeds = [feed for feed, _, _ in pending.changes] + [f for f, _, _ in pending.parsed]
            results += [Result(feed["url"], error=clean(str(error)))
                        for feed in feeds if feed["url"] not in written]
        for result in results:
            self.report(result)
