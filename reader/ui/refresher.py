"""Refreshing feeds in a child process, so that the app's keys never wait on a refresh.

A refresh is eight fetching threads and a thread that merges feed after feed into the store. In
the app's own process they hold Python's GIL in bursts: with 200 feeds the app's event loop
stalled up to 200 ms at a time. In a child process they cannot stall it. The child opens the
store itself (stores are safe across processes: every write takes ``store.lock`` and re-reads
first) and writes each feed's :class:`Result` as a JSON line as it comes; the app re-reads what
the child wrote, as it does after a ``reader refresh`` in another terminal.

As ``reader refresh`` does, the child then fetches the page of each new article of a feed
with whole articles switched on (:func:`reader.fulltext.full_text_due`), a line per page.

The child is ``python -m reader.ui.refresher STORE JOBS PER_HOST`` (this module imports no
Textual): a fresh interpreter with no terminal (its output is a pipe to the app, in a session
of its own). It ends at the first result it cannot write (the app is gone), and the app stops
it when it quits; a kill at any moment leaves the store whole (every file is replaced
atomically).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import reader
from reader.errors import ReaderError
from reader.store import Counts, Store
from reader.text import clean

if TYPE_CHECKING:
    from reader.fulltext import Outcome
    from reader.refresh import Result

STOP_WAIT = 2.0  # seconds a stopped child gets to end before it is killed
ERROR_BYTES = 2000  # of the child's stderr, if it dies: enough for the last line
NICE = 10  # the child's scheduling priority, lowered: its parse workers inherit it


def _line(result: Result, done: int, total: int) -> str:
    counts = result.counts
    return json.dumps({
        "url": result.url, "note": result.note, "error": result.error,
        "skipped": result.skipped, "done": done, "total": total,
        "counts": None if counts is None else [counts.added, counts.updated, counts.unchanged],
    })


@dataclass(frozen=True)
class PageFetched:
    """One new article's page, fetched after the feeds: what became of it, in one line."""

    text: str
    failed: bool
    done: int
    total: int


def _page_line(outcome: Outcome, done: int, total: int) -> str:
    return json.dumps({"page": str(outcome), "failed": outcome.error is not None,
                       "done": done, "total": total})


def _result(line: dict[str, Any]) -> Result:
    from reader.refresh import Result  # not at start-up: it brings feedparser and httpx

    counts = line["counts"]
    return Result(str(line["url"]), None if counts is None else Counts(*map(int, counts)),
                  int(line["skipped"]), str(line["note"]), line["error"])


def child(path: str, jobs: int, per_host: int, out: IO[str]) -> int:
    """In the child: refresh every followed feed, one JSON line per result, then the pages
    of the new articles that are to be fetched whole, one line each, then a last line
    ``{"done": true}`` or ``{"failed": "..."}``."""
    def progress(result: Result, done: int, total: int) -> None:
        out.write(_line(result, done, total) + "\n")
        out.flush()

    def page(outcome: Outcome, done: int, total: int) -> None:
        out.write(_page_line(outcome, done, total) + "\n")
        out.flush()

    with contextlib.suppress(OSError, AttributeError):
        os.nice(NICE)  # background work: the app (and its parse workers) go first for the CPU
    try:
        from reader.fulltext import fetch_full_text, full_text_due
        from reader.refresh import refresh

        store = Store.open(Path(path), create=False)
        known = {head.id for head in store.headlines()}
        refresh(store, jobs=jobs, per_host=per_host, progress=progress)
        due = full_text_due(store, known)
        if due:
            fetch_full_text(store, due, jobs=jobs, per_host=per_host, progress=page)
        out.write(json.dumps({"done": True}) + "\n")
    except ReaderError as error:
        out.write(json.dumps({"failed": clean(str(error))}) + "\n")
    except BrokenPipeError:  # the app is gone: nobody to refresh for
        return 1
    out.flush()
    return 0


class Refresher:
    """One refresh in a child process; :meth:`events` yields what it reports."""

    def __init__(self, store_path: Path, *, jobs: int, per_host: int) -> None:
        # The child runs this very copy of the reader, wherever it was imported from.
        here = str(Path(reader.__file__).resolve().parent.parent)
        paths = [here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reader.ui.refresher", str(store_path), str(jobs),
             str(per_host)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(paths)},
            text=True, encoding="utf-8", start_new_session=True,
        )

    def events(self) -> Iterator[tuple[Result, int, int] | PageFetched | str]:
        """``(result, done, total)`` per feed as it comes, then a :class:`PageFetched` per
        page; at the end, a one-line error if the refresh failed (a child that died is one
        too)."""
        assert self.process.stdout is not None and self.process.stderr is not None
        ended = False
        for text in self.process.stdout:
            try:
                line = json.loads(text)
            except ValueError:
                continue  # not ours (a library that printed): the results are the JSON lines
            if "page" in line:
                yield PageFetched(clean(str(line["page"])), bool(line["failed"]),
                                  int(line["done"]), int(line["total"]))
            elif "done" in line and "url" not in line:
                ended = True
            elif "failed" in line:
                yield str(line["failed"])
                ended = True
            else:
                yield _result(line), int(line["done"]), int(line["total"])
        problem = self.process.stderr.read(ERROR_BYTES)
        self.process.wait()
        if not ended:
            last = clean(problem.strip().splitlines()[-1]) if problem.strip() else ""
            yield (f"the refresh ended unexpectedly (exit code {self.process.returncode})"
                   + (f": {last}" if last else ""))

    def stop(self) -> None:
        """At quit: the child ends now (its writes are atomic; the fetches under way go)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_WAIT)
            except subprocess.TimeoutExpired:
                self.process.kill()


if __name__ == "__main__":
    raise SystemExit(child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.stdout))
