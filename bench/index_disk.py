"""The on-disk search index at scale: build time, load time, search right after load, memory.

    python -m bench.index_disk vocab NEWS_STORE STORE   # NEWS_STORE's articles + 460,000 words
    python -m bench.index_disk measure STORE [STORE...]  # every figure, one subprocess each

Every figure runs in a fresh subprocess, so that its peak memory (VmHWM from /proc/self/status,
which counts the mapped index pages a process touched) is its own. ``store`` is the floor: the
store opened and its headlines loaded, as the app does before any search.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

QUERIES = ["prigozhin", "putin prigozhin", '"vladimir putin"', "erdogan", "p"]
_SYLLABLES = [
    "ka", "lo", "mir", "ven", "dra", "sto", "pel", "qui", "zar", "nu", "bri", "tek", "gho", "sa",
    "rü", "ça", "fjo", "lem", "xi", "oba", "tru", "vel", "dün", "asz", "ñe", "po", "ki", "mu",
]


def distinct_words(count: int) -> list[str]:
    """``count`` distinct made-up words of 2-5 syllables (some accented), always the same."""
    rng = random.Random(460)
    seen: set[str] = set()
    words: list[str] = []
    while len(words) < count:
        word = "".join(rng.choices(_SYLLABLES, k=rng.randint(2, 5)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def make_vocab_store(news: Path, target: Path, words: int = 460_000) -> None:
    """A copy of the news store's articles, each with a paragraph of never-seen-before words, so
    that the corpus holds ``words`` distinct words more than the news."""
    from reader.article import Item
    from reader.store import Store

    rare = distinct_words(words)
    source = Store.open(news)
    total = len(source)
    per = -(-len(rare) // total)
    shutil.rmtree(target, ignore_errors=True)
    store = Store.open(target)
    batch: list[Item] = []
    for number, (head, content) in enumerate(source.contents()):
        extra = " ".join(rare[number * per : (number + 1) * per])
        batch.append(Item(
            title=head.title, standfirst=content.standfirst, body=[*content.body, extra],
            link=head.link, guid=head.guid, author=head.author, feed=head.feed,
            published=head.published,
        ))
        if len(batch) == 10_000:
            store.merge(batch, authoritative=True)
            batch = []
    if batch:
        store.merge(batch, authoritative=True)


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def child(figure: str, path: Path) -> dict[str, object]:
    """One figure, in this process."""
    from reader.index_files import StoredIndex
    from reader.search import Searcher, SearchIndex
    from reader.store import Store

    out: dict[str, object] = {"figure": figure}
    start = time.perf_counter()
    store = Store.open(path)
    heads = store.headlines()
    out["store_open_s"] = round(time.perf_counter() - start, 3)
    if figure == "rebuild":
        shutil.rmtree(path / "search", ignore_errors=True)
        start = time.perf_counter()
        synced = StoredIndex.open(path / "search").sync(store)
        out["sync_s"] = round(time.perf_counter() - start, 3)
        out["indexed"] = synced.indexed
        out["index_mb"] = round(sum(f.stat().st_size for f in (path / "search").iterdir()) / 1e6, 1)
    elif figure == "launch":
        start = time.perf_counter()
        index = StoredIndex.open(path / "search")
        out["load_ms"] = round(1000 * (time.perf_counter() - start), 1)
        times, found = [], []
        for query in QUERIES:  # a new Searcher each: each pays for mapping headlines to documents
            begin = time.perf_counter()
            hits = Searcher(index).search(query, heads, store.generation)
            times.append(round(1000 * (time.perf_counter() - begin), 1))
            found.append(len(hits or []))
        out["load_and_searches_ms"] = round(1000 * (time.perf_counter() - start), 1)
        out["search_ms"], out["hits"] = times, found
        start = time.perf_counter()
        out["sync_indexed"] = index.sync(store).indexed
        out["sync_check_ms"] = round(1000 * (time.perf_counter() - start), 1)
    elif figure == "memory":  # the index as it was: built in memory at every launch
        start = time.perf_counter()
        built = SearchIndex()
        built.add_titles(heads)
        for head, content in store.contents():
            built.add(head, content)
        built.complete = True
        out["build_s"] = round(time.perf_counter() - start, 3)
        out["hits"] = [len(Searcher(built).search(q, heads, 0) or []) for q in QUERIES]
    out["peak_mb"] = round(_peak_mb(), 1)
    return out


def measure(path: Path) -> list[dict[str, object]]:
    rows = []
    for figure in ("store", "memory", "rebuild", "launch"):
        done = subprocess.run(
            [sys.executable, "-m", "bench.index_disk", "child", figure, str(path)],
            capture_output=True, text=True, check=True,
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    return rows


def main(argv: list[str]) -> int:
    if argv[:1] == ["vocab"] and len(argv) == 3:
        make_vocab_store(Path(argv[1]), Path(argv[2]))
    elif argv[:1] == ["measure"] and len(argv) >= 2:
        for path in argv[1:]:
            print(f"# {path}", flush=True)
            measure(Path(path))
    elif argv[:1] == ["child"] and len(argv) == 3:
        print(json.dumps(child(argv[1], Path(argv[2])), ensure_ascii=False))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
