"""Full text: fetch the page behind each article's link, keep the article's own text.

Model code, no CLI and no Textual. The CLI prints each :class:`Outcome`; the app calls
:func:`fetch_full_text` from a thread worker with ``progress`` and ``cancelled``.

Pages are fetched by ``jobs`` threads, never more than ``per_host`` at a time from one host
(:class:`reader.refresh` hands out feeds the same way), under the rules of
:mod:`reader.pagefetch`: a feed from the internet cannot send the reader to the user's own
network, a feed that lives there (or a page the user names) can. Extraction is CPU work on
hostile input, so it runs in worker processes with a time limit per page
(:mod:`reader.extract`), one per core, each driven by a thread of its own; this thread keeps
the results, in one write every half second or so.

Never worse than the feed: a page that yields less text than the feed's own standfirst and
body (a paywall, a cookie wall, a login page) or that fails (404, timeout, not HTML, too big)
leaves the article's full text empty and keeps the reason with it; an article that already
has a full text keeps it when a new attempt fails. No page is fetched twice for an article
(once it has a full text or a reason) unless ``force``; articles that share a link share one
fetch.
"""

from __future__ import annotations

import os
import queue
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from reader.article import Content, Headline, Item
from reader.errors import ReaderError, SourceError
from reader.extract import LIMIT, Extracted, ExtractError, Worker
from reader.fetch import FetchError
from reader.links import openable
from reader.pagefetch import TIMEOUT, Page, fetch_page, private_source
from reader.refresh import JOBS, PER_HOST, _Queue
from reader.schema import Record
from reader.store import Store
from reader.text import clean

SAVED = "saved:"  # the source of the "Saved" feed: pages stored by save_page
SAVED_TITLE = "Saved"
_MARKER = re.compile(r" \[\d+\]")
# Seconds results wait to be written together: each write rewrites whole files (a text file
# of 100 articles, the headlines of 5,000), so one write per page would cost more than the
# page; outcomes are reported once written.
WRITE_EVERY = 0.5

Progress = Callable[["Outcome", int, int], None]  # an outcome, how many are done, of how many


@dataclass
class Outcome:
    """What became of one article: paragraphs kept, or why not (``error``), or a ``note``
    when nothing was tried (already fetched, cancelled)."""

    article_id: str
    kept: int = 0
    error: str | None = None
    note: str = ""
    url: str = ""  # for save_page, the page asked for

    def __str__(self) -> str:
        name = self.article_id or clean(self.url)
        if self.error is not None:
            return f"{name}: {self.error}"
        if self.note:
            return f"{name}: {self.note}"
        return f"{name}: kept {self.kept} paragraph{'' if self.kept == 1 else 's'}"


@dataclass
class _Job:
    """One page to fetch, for every article that links to it."""

    link: str
    source: str  # the URL whose address class decides whether internal pages are allowed
    title: str
    hint: str  # the feed's standfirst, which the extractor may have to look for
    articles: list[tuple[Headline, Content]] = field(default_factory=list)


def fetch_full_text(
    store: Store,
    ids: Sequence[str],
    *,
    force: bool = False,
    per_host: int = PER_HOST,
    jobs: int = JOBS,
    timeout: float = TIMEOUT,
    limit: float = LIMIT,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[Outcome]:
    """Fetch and keep the full text of the articles ``ids``: one outcome per article, in the
    order they were done. ``progress`` is called in this thread after each; once
    ``cancelled()`` is true no further page is fetched, and the articles not started get a
    "cancelled" note. ``timeout`` bounds each page's fetch, ``limit`` its extraction.
    """
    if jobs < 1 or per_host < 1 or timeout <= 0 or limit <= 0:
        raise ValueError("full text: jobs and per_host must be >= 1, timeout and limit > 0")
    outcomes: list[Outcome] = []
    wanted = list(dict.fromkeys(ids))
    total = len(wanted)

    def report(outcome: Outcome) -> None:
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome, len(outcomes), total)

    pages: dict[str, _Job] = {}
    feeds = {feed["id"]: feed for feed in store.feeds()}
    for article_id in wanted:
        if store.get(article_id) is None:
            report(Outcome(article_id, error="no such article"))
    for head, content in store.contents([i for i in wanted if store.get(i) is not None]):
        link = openable(head.link)
        if content.full_text is not None and not force:
            report(Outcome(head.id, len(content.full_text),
                           note=f"already fetched ({len(content.full_text)} paragraphs kept)"))
        elif content.full_text_error is not None and not force:
            report(Outcome(head.id, note=f"already tried: {content.full_text_error}"))
        elif link is None:
            report(Outcome(head.id, error="no http(s) link to fetch"))
        else:
            job = pages.setdefault(link, _Job(link, _source(feeds.get(head.feed_id), link),
                                              head.title, content.standfirst))
            job.articles.append((head, content))
    if pages:
        _Run(store, timeout, limit, report).run(list(pages.values()), jobs, per_host,
                                                cancelled or (lambda: False))
    return outcomes


def full_text_due(store: Store, known: Iterable[str]) -> list[str]:
    """The articles not in ``known`` (the ids before a refresh) whose feed has full text on:
    the new items a refresh should fetch the pages of."""
    known = set(known)
    on = {feed["id"] for feed in store.feeds() if feed["full_text"]}
    return [head.id for head in store.headlines() if head.id not in known and head.feed_id in on]


def save_page(
    store: Store, url: str, *, timeout: float = TIMEOUT, limit: float = LIMIT
) -> tuple[str | None, Outcome]:
    """Keep a web page as an article of the "Saved" feed, full text included; returns its id
    (None when nothing was saved) and the outcome. The page may be on an internal address if
    the user names it, but may not redirect there from the internet."""
    link = openable(url)
    if link is None:
        return None, Outcome("", error="not an http(s) URL (not saved)", url=url)
    worker = Worker(limit)
    try:
        page = fetch_page(link, private=private_source(link), timeout=timeout)
        got = worker.extract(page.content, page.content_type, page.url)
    except (SourceError, ExtractError) as error:
        return None, Outcome("", error=f"{_reason(error)} (not saved)", url=url)
    finally:
        worker.close()
    item = Item(title=got.title or link, link=link, guid=link, feed=SAVED_TITLE,
                published=int(time.time()))
    store.merge([item], authoritative=True, source=SAVED)
    article_id = next(
        (h.id for h in store.headlines() if h.feed_url == SAVED and h.guid == link), None
    )
    if article_id is None:  # a tombstone: deleted articles do not come back
        return None, Outcome("", error="saved before and deleted since (not saved again)",
                             url=url)
    store.set_full_text(article_id, got.paragraphs, got.links)
    return article_id, Outcome(article_id, len(got.paragraphs))


def _source(feed: Record | None, link: str) -> str:
    """Whose address decides if the page may be internal: the feed's (where it was fetched
    from), the link's own for a saved page (the user named it); a file has none."""
    if feed is None:
        return ""
    if feed["url"] == SAVED:
        return link
    return str(feed["final_url"] or feed["url"])


def _reason(error: ReaderError) -> str:
    return error.reason if isinstance(error, FetchError) else clean(str(error))


def _text_length(paragraphs: Iterable[str]) -> int:
    """Characters of text, without picture placeholders and link numbers."""
    return sum(len(_MARKER.sub("", p)) for p in paragraphs if not p.startswith("[image"))


def _verdict(content: Content, result: Extracted | str) -> tuple[Extracted | None, str | None]:
    """What to keep of a page for one article: its text, or the reason there is none."""
    if isinstance(result, str):
        return None, result
    ours = len(content.standfirst) + sum(len(p) for p in content.body)
    theirs = _text_length(result.paragraphs)
    if theirs < ours:
        return None, (f"the page has less text than the feed ({theirs} characters against "
                      f"{ours}): a paywall or a login page?")
    return result, None


# Events the fetching and extracting threads send to the calling thread.
_DONE, _FETCHER_EXIT, _DRIVER_EXIT = "done", "fetcher exit", "driver exit"
_Event = tuple[str, "_Job | None", "Extracted | str | None"]


class _Run:
    """One batch of pages: fetch in threads, extract in processes, keep here."""

    def __init__(
        self, store: Store, timeout: float, limit: float, report: Callable[[Outcome], None]
    ) -> None:
        self.store = store
        self.timeout = timeout
        self.limit = limit
        self.report = report
        self.events: queue.SimpleQueue[_Event] = queue.SimpleQueue()
        self.pages: queue.Queue[tuple[_Job, Page] | None] = queue.Queue()
        self.stop = threading.Event()
        self._private: dict[str, bool] = {}
        self._private_lock = threading.Lock()

    def run(self, jobs: list[_Job], fetchers: int, per_host: int,
            cancelled: Callable[[], bool]) -> None:
        drivers = min(os.cpu_count() or 1, len(jobs))
        self.pages = queue.Queue(maxsize=2 * drivers)  # fetching waits for extraction
        records = [{"url": job.link, "final_url": "", "job": n} for n, job in enumerate(jobs)]
        waiting = _Queue(records, per_host, lambda: cancelled() or self.stop.is_set())
        threads = [
            threading.Thread(target=self._fetcher, args=(waiting, jobs), daemon=True,
                             name=f"page fetch {n}")
            for n in range(min(fetchers, len(jobs)))
        ] + [
            threading.Thread(target=self._driver, daemon=True, name=f"extract {n}")
            for n in range(drivers)
        ]
        for thread in threads:
            thread.start()
        fetching, extracting = len(threads) - drivers, drivers
        done: set[str] = set()  # the links of the jobs that got a result
        ready: list[tuple[_Job, Extracted | str]] = []
        since = 0.0  # when the oldest result not yet written came in
        try:
            while extracting:
                wait = None if not ready else max(0.0, since + WRITE_EVERY - time.monotonic())
                for kind, job, result in self._events(wait):
                    if kind == _FETCHER_EXIT:
                        fetching -= 1
                        if not fetching:
                            for _ in range(drivers):
                                self.pages.put(None)
                    elif kind == _DRIVER_EXIT:
                        extracting -= 1
                    else:
                        assert job is not None and result is not None
                        done.add(job.link)
                        if not ready:
                            since = time.monotonic()
                        ready.append((job, result))
                if ready and (not extracting or time.monotonic() >= since + WRITE_EVERY):
                    self._keep(ready)
                    ready = []
        finally:
            self.stop.set()
            waiting.stop()
            for _ in range(drivers):  # drivers still waiting for pages: stop them
                try:
                    self.pages.put_nowait(None)
                except queue.Full:
                    break
        for job in jobs:
            if job.link not in done:
                for head, _ in job.articles:
                    self.report(Outcome(head.id, note="cancelled"))

    def _events(self, wait: float | None) -> list[_Event]:
        """The next event (none if ``wait`` seconds pass first) and every other one already
        waiting."""
        try:
            events = [self.events.get(timeout=wait)]
        except queue.Empty:
            return []
        while True:
            try:
                events.append(self.events.get_nowait())
            except queue.Empty:
                return events

    def _is_private(self, source: str) -> bool:
        with self._private_lock:
            known = self._private.get(source)
        if known is None:
            known = private_source(source)
            with self._private_lock:
                self._private[source] = known
        return known

    def _fetcher(self, waiting: _Queue, jobs: list[_Job]) -> None:
        """A fetching thread: pages from the queue until it is empty; never raises."""
        try:
            while (record := waiting.take()) is not None:
                job = jobs[record["job"]]
                got: Page | str
                try:
                    got = fetch_page(job.link, private=self._is_private(job.source),
                                     timeout=self.timeout)
                except SourceError as error:
                    got = _reason(error)
                except Exception as error:  # a bug must not leave the run waiting forever
                    got = clean(f"cannot fetch ({type(error).__name__}: {error})")[:300]
                finally:
                    waiting.done(record)
                if isinstance(got, str):
                    self.events.put((_DONE, job, got))
                else:
                    self._hand_over(job, got)
        finally:
            self.events.put((_FETCHER_EXIT, None, None))

    def _hand_over(self, job: _Job, page: Page) -> None:
        """Queue a page for extraction, waiting while the workers are behind (unless the run
        stops: then the page is dropped with the run)."""
        while not self.stop.is_set():
            try:
                self.pages.put((job, page), timeout=0.1)
                return
            except queue.Full:
                continue

    def _driver(self) -> None:
        """An extracting thread: owns one worker process (which dies with this thread)."""
        worker = Worker(self.limit)
        try:
            while (item := self.pages.get()) is not None and not self.stop.is_set():
                job, page = item
                result: Extracted | str
                try:
                    result = worker.extract(page.content, page.content_type, page.url,
                                            job.title, job.hint)
                except ExtractError as error:
                    result = str(error)
                self.events.put((_DONE, job, result))
        finally:
            worker.close()
            self.events.put((_DRIVER_EXIT, None, None))

    def _keep(self, ready: list[tuple[_Job, Extracted | str]]) -> None:
        """Store the outcomes of some pages for each article that links to them, in one
        write, and report them."""
        outcomes: list[Outcome] = []
        updates: list[tuple[str, list[str] | None, list[str], str | None]] = []
        for job, result in ready:
            for head, content in job.articles:
                if self.store.get(head.id) is None:
                    outcomes.append(Outcome(head.id, error="deleted while its page was fetched"))
                    continue
                kept, error = _verdict(content, result)
                if kept is not None:
                    updates.append((head.id, kept.paragraphs, kept.links, None))
                    outcomes.append(Outcome(head.id, len(kept.paragraphs)))
                elif content.full_text is None:
                    updates.append((head.id, None, [], error))
                    outcomes.append(Outcome(head.id, error=error))
                else:
                    outcomes.append(Outcome(
                        head.id, error=f"{error} (the full text fetched before is kept)"))
        if updates:
            try:
                self.store.set_full_texts(updates)
            except ReaderError as failure:
                message = clean(str(failure))
                stored = {article_id for article_id, *_ in updates}
                outcomes = [Outcome(o.article_id, error=message) if o.article_id in stored
                            else o for o in outcomes]
        for outcome in outcomes:
            self.report(outcome)
