"""Sources (seed text files, feed files, http(s) URLs) into the store.

Parsing is the slow part of an import, so several sources are parsed in parallel processes;
merging into the store stays in this process, one source at a time, under the store's lock.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from reader import feedsplit
from reader.article import Item
from reader.errors import ReaderError, SourceError
from reader.feed import parse_feed
from reader.seed import parse_seed
from reader.store import Counts, Store
from reader.text import clean

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# Byte order marks of the wide encodings XML may come in (UTF-32 first: its LE mark starts
# with UTF-16's), and the first bytes of unmarked big-endian UTF-16/32 XML.
_WIDE_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"),
)
_WIDE_STARTS = (b"\x00<", b"\x00\x00\x00<")


def _wide_xml(data: bytes) -> bool:
    """True for XML in UTF-16 or UTF-32: feedparser reads those, the seed parser does not."""
    if data.startswith(_WIDE_STARTS):
        return True
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            head = data[len(bom) : len(bom) + 64].decode(codec, errors="ignore")
            return head.lstrip().startswith("<")
    return False


@dataclass
class Report:
    """The outcome for one source: counts, or the one-line reason it failed."""

    source: str
    counts: Counts | None = None
    error: str | None = None

    def __str__(self) -> str:
        return f"{self.source}: {self.counts}" if self.counts else (self.error or self.source)


def _source_name(source: str) -> str:
    """How the store names a source's feed: the URL as given, or the file's absolute path."""
    return source if is_url(source) else str(Path(source).resolve())


def is_url(source: str) -> bool:
    return source.startswith(("http://", "https://"))


def read(source: str) -> tuple[bytes, dict[str, str]]:
    """The bytes of one source (and the HTTP headers, for a URL)."""
    if is_url(source):
        from reader.fetch import fetch  # httpx is slow to import: only when a URL needs it

        fetched = fetch(source)
        return (b"", {}) if fetched is None else (fetched.content, fetched.headers)
    if _SCHEME.match(source) and not Path(source).exists():
        raise SourceError(f"{source}: not a file, and only http and https URLs are fetched")
    try:
        return Path(source).read_bytes(), {}
    except IsADirectoryError:
        raise SourceError(f"{source}: is a directory, not a file") from None
    except OSError as error:
        raise SourceError(f"{source}: cannot read ({error.strerror})") from None


def load(source: str) -> tuple[list[Item], bool]:
    """Read and parse one source; True when its items are authoritative (a feed)."""
    data, headers = read(source)
    if not data and headers == {} and is_url(source):
        return [], True  # 304 Not Modified
    return parse(data, source, headers)


def parse(data: bytes, name: str, headers: dict[str, str] | None = None) -> tuple[list[Item], bool]:
    """Tell feed from seed text by the first character and parse accordingly.

    Seed text is UTF-8; XML may also be UTF-16 or UTF-32 (with a BOM, or a ``<`` next to NULs).
    """
    start = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start == b"<" or _wide_xml(data):
        return parse_feed(data, name, headers), True
    if not start and not headers:
        raise SourceError(f"{name}: empty file, no articles")
    return parse_seed(data, name, feed=Path(name).stem if not is_url(name) else name), False


Parsed = tuple[list[Item], bool] | str  # items and whether they are authoritative, or an error


def _safely(source: str, work: Callable[[], tuple[list[Item], bool]]) -> Parsed:
    """Never raise, so that one bad source cannot spoil the others."""
    try:
        return work()
    except ReaderError as error:
        return clean(str(error))
    except Exception as error:  # a parser bug must still name the source, not kill the import
        return clean(f"{source}: cannot import ({type(error).__name__}: {error})")[:500]


def _parse_part(data: bytes, name: str, headers: dict[str, str]) -> Parsed:
    """Run in a worker process: parse one source, or one part of a big feed."""
    return _safely(name, lambda: parse(data, name, headers))


def _combine(parts: list[Parsed]) -> Parsed:
    errors = [part for part in parts if isinstance(part, str)]
    if errors:
        return errors[0]
    items = [item for part in parts if not isinstance(part, str) for item in part[0]]
    return items, all(part[1] for part in parts if not isinstance(part, str))


def import_sources(
    store: Store,
    sources: Iterable[str],
    progress: Callable[[Report], None] | None = None,
) -> list[Report]:
    """Import every source; a failing source is reported and the others still import.

    Sources are parsed in worker processes, one per core; when there are fewer sources than
    cores, a big feed is cut between items (see :mod:`reader.feedsplit`) so that every core
    works. Merging stays in this process, in the order the sources were given.
    """
    sources = list(sources)
    cores = os.cpu_count() or 1
    pool = ProcessPoolExecutor(max_workers=cores) if cores > 1 else None
    pending: list[list[Future[Parsed]] | Parsed] = []
    try:
        for source in sources:
            try:
                data, headers = read(source)
            except ReaderError as error:
                pending.append(clean(str(error)))
                continue
            if not data and not headers and is_url(source):
                pending.append(([], True))  # 304 Not Modified: nothing new
                continue
            parts = feedsplit.split(data, cores if len(sources) < cores else 1)
            if pool is None or (len(sources) == 1 and len(parts) == 1):
                pending.append(_parse_part(data, source, headers))
            else:
                pending.append([pool.submit(_parse_part, p, source, headers) for p in parts])
        reports = []
        for source, job in zip(sources, pending, strict=True):
            loaded = _combine([f.result() for f in job]) if isinstance(job, list) else job
            report = Report(source)
            if isinstance(loaded, str):
                report.error = loaded
            else:
                items, authoritative = loaded
                try:
                    report.counts = store.merge(
                        items, authoritative=authoritative, source=_source_name(source)
                    )
                except ReaderError as error:
                    report.error = str(error)
            reports.append(report)
            if progress:
                progress(report)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return reports
