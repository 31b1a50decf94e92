"""Measure newsboat (the peer) on the benchmark corpus.

- import: ``newsboat -x reload`` (headless) with a urls file of ``file://`` URLs, a private
  config (``max-items 0``: keep every item) and a private ``HOME``, into a new ``cache.db``.
- import_more: the same, with the first feeds already imported and only the last feed in the
  urls file (``cleanup-on-quit no`` keeps the other feeds' items).
- launch: ``newsboat -u urls -c cache.db`` in a 160x48 tmux session; time until the feed list shows
  every feed title, then Enter on the feed with the newest item and time until its title shows.
- key_down / key_pgdn: tmux send-keys in the article list; time until the screen changes.
- search_app: ``/word`` Enter in the feed list (a search over all feeds); time to the results.
- search1..3: the ``LIKE`` query newsboat's search runs, on its cache.db, through sqlite3.
- mark_read: ``UPDATE rss_item SET unread = 0`` + commit (SQLite's default synchronous=FULL).
- mem_launch / mem_used: VmHWM of the newsboat process after launch / after 5 searches.
- store: bytes of cache.db.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import statistics
import subprocess
import time
from pathlib import Path

from bench import term
from bench.corpus import Feed, newest
from bench.results import Step, run_steps

NEWSBOAT = "newsboat"
CONFIG = """\
max-items 0
cleanup-on-quit no
auto-reload no
refresh-on-startup no
confirm-exit no
show-read-feeds yes
"""
SEARCH_WORDS = ["prigozhin", "climate", "erdogan", "minister", "wagner"]
QUERIES = {"search1": ["prigozhin"], "search2": ["putin", "prigozhin"], "search3": ["erdogan"]}
IMPORT_TIMEOUT = 580.0


def version() -> str:
    done = subprocess.run([NEWSBOAT, "--version"], capture_output=True, text=True, timeout=10,
                          check=False)
    return done.stdout.splitlines()[0] if done.stdout else "newsboat (unknown version)"


class Newsboat:
    """One newsboat store in ``workdir`` (cache.db, urls, config, a private HOME)."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.cache = workdir / "cache.db"
        self.config = workdir / "config"
        self.urls = workdir / "urls"
        self.home = workdir / "home"

    def reset(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.home.mkdir(parents=True)
        self.config.write_text(CONFIG, encoding="utf-8")

    @property
    def env(self) -> dict[str, str]:
        return {"HOME": str(self.home), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                "TERM": "screen-256color", "PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    def _write_urls(self, feeds: list[Feed]) -> None:
        self.urls.write_text("".join(f"{feed.url}\n" for feed in feeds), encoding="utf-8")

    def reload(self, feeds: list[Feed]) -> float:
        """Import ``feeds`` headless; wall seconds."""
        self._write_urls(feeds)
        argv = [NEWSBOAT, "-x", "reload", "-u", str(self.urls), "-c", str(self.cache),
                "-C", str(self.config)]
        start = time.perf_counter()
        done = subprocess.run(argv, env=self.env, cwd=self.dir, capture_output=True, text=True,
                              timeout=IMPORT_TIMEOUT, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"newsboat reload failed ({done.returncode}): {done.stderr[-500:]}")
        return elapsed

    def count(self) -> int:
        with sqlite3.connect(self.cache) as db:
            return int(db.execute("SELECT count(*) FROM rss_item").fetchone()[0])

    # --- figures -------------------------------------------------------------------------------

    def import_all(self, feeds: list[Feed]) -> dict[str, float]:
        self.reset()
        elapsed = self.reload(feeds)
        expected = sum(feed.count for feed in feeds)
        if self.count() != expected:
            raise RuntimeError(f"newsboat stored {self.count()} items, expected {expected}")
        return {"import": elapsed, "store": self.cache.stat().st_size}

    def import_more(self, feeds: list[Feed]) -> dict[str, float]:
        """Import all feeds but the last (untimed), then time the last one alone."""
        self.reset()
        self.reload(feeds[:-1])
        elapsed = self.reload(feeds[-1:])
        expected = sum(feed.count for feed in feeds)
        if self.count() != expected:
            raise RuntimeError(f"newsboat stored {self.count()} items, expected {expected}")
        return {"import_more": elapsed}

    def interactive(self, feeds: list[Feed], keys: int = 5) -> dict[str, float]:
        """Launch in tmux: first screen, newest headline, cursor keys, 5 searches, memory."""
        top = newest(feeds)
        index = feeds.index(top)
        argv = [NEWSBOAT, "-u", str(self.urls), "-c", str(self.cache), "-C", str(self.config)]
        self._write_urls(feeds)
        out: dict[str, float] = {}
        with term.Session(argv, self.dir, self.env) as tui:
            out["launch"] = tui.wait(term.contains("Your feeds", *(f.title for f in feeds)))
            tui.send(*(["Down"] * index), "Enter")
            out["launch_headline"] = tui.wait(term.contains(term.title_probe(top.newest_title)))
            out["mem_launch"] = tui.memory()["VmHWM"]
            out["key_down"] = tui.key_time("Down", keys)
            out["key_pgdn"] = tui.key_time("NPage", keys)
            tui.send("q")
            tui.wait(term.contains("Your feeds"), timeout=30)
            searches = []
            for word in SEARCH_WORDS:
                tui.send("/")
                tui.wait(term.contains("Search for:"), timeout=10)
                tui.send(word, literal=True)
                tui.wait(term.contains(f"Search for: {word}"), timeout=10)
                start = time.perf_counter()
                tui.send("Enter")
                searches.append(tui.wait(term.contains("Search results"), since=start))
                tui.send("q")
                tui.wait(term.contains("Your feeds"), timeout=30)
            out["search_app"] = statistics.median(searches)
            out["mem_used"] = tui.memory()["VmHWM"]
        return out

    def search(self) -> dict[str, float]:
        """newsboat's search as it really is: one ``LIKE '%query%'`` (the whole query, as one
        string) over title and content, the rows returned newest first, on a fresh connection
        per query (as newsboat's cache.cpp search_for_items does)."""
        out: dict[str, float] = {}
        for key, words in QUERIES.items():
            pattern = f"%{' '.join(words)}%"
            start = time.perf_counter()
            with sqlite3.connect(self.cache) as db:
                rows = db.execute(
                    "SELECT guid, title, author, url, pubDate, length(content), flags, feedurl, "
                    "unread FROM rss_item WHERE (title LIKE ? OR content LIKE ?) AND deleted = 0 "
                    "ORDER BY pubDate DESC, id DESC",
                    (pattern, pattern),
                ).fetchall()
            out[key] = time.perf_counter() - start
            out[f"{key}_hits"] = len(rows)
        return out

    def mark_read(self, calls: int = 20) -> dict[str, float]:
        """Time one committed ``UPDATE ... SET unread = 0`` per call (median)."""
        times = []
        db = sqlite3.connect(self.cache, isolation_level=None)
        try:
            ids = [row[0] for row in db.execute("SELECT id FROM rss_item LIMIT ?", (calls,))]
            for item in ids:
                start = time.perf_counter()
                db.execute("BEGIN")
                db.execute("UPDATE rss_item SET unread = 0 WHERE id = ?", (item,))
                db.execute("COMMIT")
                times.append(time.perf_counter() - start)
        finally:
            db.close()
        return {"mark_read": statistics.median(times)}


def run(feeds: list[Feed], workdir: Path, more: bool, errors: list[str]) -> dict[str, float]:
    """Every newsboat figure for one corpus, one run; failures go to ``errors``."""
    boat = Newsboat(workdir)
    out = boat.import_all(feeds)
    steps: list[Step] = [
        ("app", lambda: boat.interactive(feeds)),
        ("search", boat.search),
        ("mark_read", boat.mark_read),
    ]
    if more and len(feeds) > 1:
        more_dir = workdir.with_name(workdir.name + "-more")
        steps.append(("import_more", lambda: Newsboat(more_dir).import_more(feeds)))
    return out | run_steps("newsboat", sum(f.count for f in feeds), steps, errors)
