"""Measure this project (``python -m reader``) on the benchmark corpus.

- import: ``python -m reader --db STORE import FILE...`` into an empty store directory.
- import_more: the same with all feeds but the last already imported; only the last is timed.
- launch_first: ``python -m reader --db STORE`` in a 160x48 tmux session; time until the newest
  article's title is on screen (painted from the first-screen cache, top.json).
- launch: the same launch, until the whole list is in ("N of N" on the list's border).
- search_at_launch: as soon as the whole list shows, ``/`` and a word; time from the word to the
  full-text hit count on screen (the index is loaded from disk, not built).
- open_cold: then ``End`` and ``Enter``: time from Enter until the oldest article's text is on
  screen (its text file was never read by this process).
- key_down / key_pgdn: tmux send-keys in the headline list; time until the screen changes.
- search_app: ``/`` then a word sent at once; time until the hit count is on screen.
- index_load: ``StoredIndex.open`` + ``sync`` with nothing to do, as at every launch.
- index: a full rebuild of the on-disk index (a lost or damaged index, or the first launch after
  the upgrade), into an empty folder.
- open_cold_api: ``Store.content`` of the oldest article on a freshly opened store.
- search1..3: one ``Searcher.search`` of the whole query on the loaded index, fresh searcher.
- type1/type2: the query typed one character at a time through one ``Searcher`` (as the app
  does on every keystroke); median and slowest keystroke.
- mark_read: ``Store.set_read`` on one article (atomic write + fsync), median of 20 calls.
- move_row / move_page: ``bench.pilot`` (Pilot press minus an unbound-key press); the CPU rows
  are the same difference in process CPU time.
- mem_launch / mem_used: VmHWM of the app process after launch / after paging and 5 searches.
- store: bytes of every file in the store directory.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench import term
from bench.corpus import Feed, newest
from bench.results import Step, run_steps

ROOT = Path(__file__).resolve().parent.parent
SEARCH_WORDS = ["prigozhin", "climate", "erdogan", "minister", "wagner"]
QUERIES = {"search1": "prigozhin", "search2": "putin prigozhin", "search3": "erdogan"}
TYPED = {"type1": "prigozhin", "type2": "putin prigozhin"}
IMPORT_TIMEOUT = 580.0
SETTLE = 0.05  # seconds to let a focus change land before the next keys
ESC_SETTLE = 0.4  # a lone ESC is only taken as Escape after the terminal parser's delay
_ADDED = re.compile(r"added (\d+)")


def available() -> str | None:
    """None when ``python -m reader --help`` works, else why not."""
    try:
        done = subprocess.run([sys.executable, "-m", "reader", "--help"], cwd=ROOT, env=_env(),
                              capture_output=True, text=True, timeout=60, check=False)
    except subprocess.TimeoutExpired:
        return "python -m reader --help timed out"
    if done.returncode != 0:
        return f"python -m reader --help failed: {done.stderr.strip()[-300:]}"
    return None


def _env(home: Path | None = None) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
           "LC_ALL": "C.UTF-8", "PYTHONPATH": str(ROOT), "TERM": "screen-256color",
           "COLORTERM": "truecolor", "HOME": str(home or os.environ.get("HOME", "/tmp"))}
    return env


def tree_bytes(path: Path) -> int:
    """Apparent size of every file under ``path`` (like ``du -sb``)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


class Ours:
    """One store of this project in ``workdir/store``."""

    def __init__(self, workdir: Path) -> None:
        self.dir = workdir
        self.store = workdir / "store"
        self.home = workdir / "home"
        self.oldest_text = ""  # the start of the oldest article's text, set by api()

    def reset(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
        self.home.mkdir(parents=True)

    def cli(self, *args: str, timeout: float = IMPORT_TIMEOUT) -> tuple[float, str]:
        argv = [sys.executable, "-m", "reader", "--db", str(self.store), *args]
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, env=_env(self.home), capture_output=True, text=True,
                              timeout=timeout, check=False)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"reader {args[0]} failed ({done.returncode}): {done.stderr[-500:]}")
        return elapsed, done.stdout

    def _import(self, feeds: list[Feed]) -> float:
        elapsed, out = self.cli("import", *(str(feed.path) for feed in feeds))
        added = sum(int(n) for n in _ADDED.findall(out))
        expected = sum(feed.count for feed in feeds)
        if added != expected:
            raise RuntimeError(f"reader import added {added} articles, expected {expected}: {out}")
        return elapsed

    # --- figures -------------------------------------------------------------------------------

    def import_all(self, feeds: list[Feed]) -> dict[str, float]:
        self.reset()
        return {"import": self._import(feeds), "store": tree_bytes(self.store)}

    def import_more(self, feeds: list[Feed]) -> dict[str, float]:
        self.reset()
        self._import(feeds[:-1])
        elapsed, out = self.cli("import", str(feeds[-1].path))
        added = _ADDED.search(out)
        if added is None or int(added.group(1)) != feeds[-1].count:
            raise RuntimeError(f"reader import of the last feed: {out}")
        return {"import_more": elapsed}

    def api(self) -> tuple[dict[str, float], dict[str, int]]:
        """Search and mark-read through the Python API; also the hit count of each app search."""
        import tempfile

        from reader.index_files import StoredIndex
        from reader.search import Searcher
        from reader.store import Store

        store = Store.open(self.store)
        heads = store.headlines()
        oldest = heads[-1]
        start = time.perf_counter()
        content = store.content(oldest.id)
        out: dict[str, float] = {"open_cold_api": time.perf_counter() - start}
        self.oldest_text = term.title_probe(content.standfirst or oldest.title, 30)
        with tempfile.TemporaryDirectory(dir=self.dir) as scratch:
            start = time.perf_counter()
            StoredIndex.open(Path(scratch) / "search").sync(store)
            out["index"] = time.perf_counter() - start
        start = time.perf_counter()
        index = StoredIndex.open(self.store / "search")
        index.sync(store)
        out["index_load"] = time.perf_counter() - start

        for key, text in QUERIES.items():
            searcher = Searcher(index)
            start = time.perf_counter()
            found = searcher.search(text, heads, store.generation)
            out[key] = time.perf_counter() - start
            out[f"{key}_hits"] = len(found or [])

        for key, text in TYPED.items():
            searcher = Searcher(index)
            times = []
            for end in range(1, len(text) + 1):
                start = time.perf_counter()
                searcher.search(text[:end], heads, store.generation)
                times.append(time.perf_counter() - start)
            out[f"{key}_median"] = statistics.median(times)
            out[f"{key}_max"] = max(times)

        hits = {}
        for word in SEARCH_WORDS:
            hits[word] = len(Searcher(index).search(word, heads, store.generation) or [])

        times = []
        for head in heads[100:120]:
            start = time.perf_counter()
            store.set_read(head.id, True)
            times.append(time.perf_counter() - start)
        out["mark_read"] = statistics.median(times)
        for head in heads[100:120]:  # leave the store as imported
            store.set_read(head.id, False)
        del index, store, heads
        gc.collect()
        return out, hits

    def interactive(self, feeds: list[Feed], hits: dict[str, int], keys: int = 5
                    ) -> dict[str, float]:
        """Launch in tmux: newest headline, search ready, cursor keys, 5 searches, memory."""
        top = newest(feeds)
        total = sum(feed.count for feed in feeds)
        argv = [sys.executable, "-m", "reader", "--db", str(self.store)]
        out: dict[str, float] = {}
        with term.Session(argv, ROOT, _env(self.home)) as tui:
            # First the newest title on top (painted from the store's first-screen cache), then
            # the whole list loaded ("N of N" on the list's border): that is launch.
            title = term.title_probe(top.newest_title)
            out["launch_first"] = out["launch_headline"] = tui.wait(term.contains(title))
            out["launch"] = tui.wait(term.contains(title, f" {total} of {total} "))

            # A search typed the moment the list shows: from the word to the full-text count.
            first = SEARCH_WORDS[0]
            self._enter_search(tui)
            start = time.perf_counter()
            tui.send(first, literal=True)
            out["search_at_launch"] = tui.wait(
                term.contains(f" {hits[first]} of {total} "), since=start, timeout=300
            )
            self._leave_search(tui, total)
            out["mem_launch"] = tui.memory()["VmHWM"]

            # The oldest article, whose text this process has never read: key to screen.
            tui.send("End")
            time.sleep(SETTLE)
            start = time.perf_counter()
            tui.send("Enter")
            out["open_cold"] = tui.wait(term.contains(self.oldest_text), since=start)
            tui.send("Escape")
            time.sleep(ESC_SETTLE)
            tui.send("Home")
            time.sleep(SETTLE)

            out["key_down"] = tui.key_time("Down", keys)
            out["key_pgdn"] = tui.key_time("NPage", keys)
            searches = []
            for word in SEARCH_WORDS:
                self._enter_search(tui)
                start = time.perf_counter()
                tui.send(word, literal=True)
                searches.append(tui.wait(term.contains(f" {hits[word]} of {total} "),
                                         since=start, timeout=60))
                self._leave_search(tui, total)
            out["search_app"] = statistics.median(searches)
            out["mem_used"] = tui.memory()["VmHWM"]
        return out

    @staticmethod
    def _enter_search(tui: term.Session) -> None:
        """``/``, then wait for the search bar to take focus: focus moves after the key is
        handled, so keys sent at once would still go to the list (and run its bindings)."""
        before = tui.screen(escapes=True)
        tui.send("/")
        tui.wait_change(before)
        time.sleep(SETTLE)

    @staticmethod
    def _leave_search(tui: term.Session, total: int) -> None:
        tui.send("Escape")  # clears the query
        tui.wait(term.contains(f" {total} of {total} "), timeout=60)
        tui.send("Escape")  # back to the list
        time.sleep(ESC_SETTLE)

    def moves(self) -> dict[str, float]:
        """Cursor moves in process, through ``bench.pilot`` in a subprocess."""
        done = subprocess.run([sys.executable, "-m", "bench.pilot", str(self.store)], cwd=ROOT,
                              env=_env(self.home), capture_output=True, text=True, timeout=580,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"bench.pilot failed: {done.stderr.strip()[-500:]}")
        data = json.loads(done.stdout.strip().splitlines()[-1])
        return {key: data[key] for key in ("move_row", "move_page", "cpu_row", "cpu_page")}


def run(feeds: list[Feed], workdir: Path, more: bool, errors: list[str]) -> dict[str, float]:
    """Every figure of this project for one corpus, one run; failures go to ``errors``."""
    ours = Ours(workdir)
    out = ours.import_all(feeds)
    hits: dict[str, int] = {}

    def api() -> dict[str, float]:
        figures, found = ours.api()
        hits.update(found)
        return figures

    steps: list[Step] = [
        ("api", api),
        ("app", lambda: ours.interactive(feeds, hits) if hits else {}),
        ("pilot", ours.moves),
    ]
    if more and len(feeds) > 1:
        more_dir = workdir.with_name(workdir.name + "-more")
        steps.append(("import_more", lambda: Ours(more_dir).import_more(feeds)))
    return out | run_steps("ours", sum(f.count for f in feeds), steps, errors)
