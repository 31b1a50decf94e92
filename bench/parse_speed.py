"""Parse time of one generated feed: feedparser, the parser of record, against the lxml fast path.

    python -m bench.parse_speed [--items 10000] [--runs 3] [--out bench/out]

Both paths run in this process on the same bytes, alternating, and must give the same articles
(checked). Each figure is the median of the runs. The fast path is also split in two: reading
the XML into feedparser-shaped entries (reader.fastfeed.parse) and the rest of parse_feed, which
turns entries into clean Items (the HTML of every description into paragraphs) and is the same
code on both paths.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench import corpus
from reader import fastfeed
from reader.feed import parse_feed, parse_feed_with_feedparser


def timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.parse_speed", description=__doc__)
    parser.add_argument("--items", type=int, default=10_000, help="items in the feed (<= 10,000)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=corpus.DEFAULT_ROOT)
    args = parser.parse_args(argv)
    (feed,) = corpus.corpus(args.items, args.out)
    data = feed.path.read_bytes()
    figures: dict[str, list[float]] = {"feedparser": [], "fast path": [], "fastfeed.parse": []}
    for run in range(args.runs):
        slow_first = run % 2 == 0
        for path in ("feedparser", "fast path") if slow_first else ("fast path", "feedparser"):
            parse = parse_feed_with_feedparser if path == "feedparser" else parse_feed
            seconds, entries = timed(lambda parse=parse: parse(data, feed.path.name))
            figures[path].append(seconds)
            if path == "feedparser":
                expected = entries
        if parse_feed(data, feed.path.name) != expected:
            print("error: the two paths disagree on this feed")
            return 1
        seconds, parsed = timed(lambda: fastfeed.parse(data, {}))
        if parsed is None:
            print("error: the fast path does not read this feed")
            return 1
        figures["fastfeed.parse"].append(seconds)
    median = {name: statistics.median(values) for name, values in figures.items()}
    print(f"{feed.path.name}: {feed.count:,} items, {len(data) / 1e6:.1f} MB, "
          f"median of {args.runs} runs")
    print(f"  feedparser path   {median['feedparser']:6.2f} s")
    print(f"  fast path         {median['fast path']:6.2f} s   "
          f"({median['feedparser'] / median['fast path']:.1f}x faster)")
    print(f"    fastfeed.parse  {median['fastfeed.parse']:6.2f} s   XML to entries")
    print(f"    the rest        {median['fast path'] - median['fastfeed.parse']:6.2f} s   "
          "entries to clean Items (both paths)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
