"""Refreshing subscriptions: this reader against newsboat, on the same local sites, in one run.

``python -m bench.refresh`` serves 200 feeds of 50 items each from 20 sites, the loopback
addresses 127.0.0.1 to 127.0.0.20 with 10 feeds each (so that per-host limits act as they
would on the internet). Every request is answered after 50 ms, with an ETag and a
Last-Modified; a request that names them gets a 304.

Each side, in fresh stores, every run:

- ``first``: the first refresh of the 200 new subscriptions (timed);
- a second refresh, untimed: newsboat 2.21 stores a new feed's ETag only from its second
  reload on, so both sides get it;
- ``all_304``: a third refresh, where every feed answers 304 (timed).

This reader: ``python -m reader --db DB refresh`` (default jobs 8, per host 2), the feeds
followed beforehand through the store's API. newsboat: ``newsboat -x reload`` with
``reload-threads 8`` and a urls file. The server logs every answer by client (User-Agent): a
run fails unless each side got 200 from every feed in its first refresh and 304 from every
feed in its third, and stored every item. Times are wall seconds, median of the runs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bench import corpus, vocab
from bench.newsboat import CONFIG, NEWSBOAT, version

ROOT = Path(__file__).resolve().parent.parent
SITES = 20
PER_SITE = 10
ITEMS = 50
DELAY = 0.05
JOBS = 8  # the reader's default; newsboat's reload-threads is set to the same
TIMEOUT = 600.0
MODIFIED = formatdate(corpus.END, usegmt=True)


class Site(ThreadingHTTPServer):
    """One site: its feeds by path, and the shared log of (client, path, status)."""

    daemon_threads = True
    request_queue_size = 64

    def __init__(self, host: str, feeds: dict[str, bytes], log: list[tuple[str, str, int]],
                 delay: float) -> None:
        super().__init__((host, 0), _Handler)
        self.host = host
        self.feeds = feeds
        self.log = log
        self.delay = delay

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: Site
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """The log that matters is Site.log."""

    def do_GET(self) -> None:
        time.sleep(self.server.delay)
        body = self.server.feeds.get(self.path)
        etag = f'"{self.path}"'
        agent = self.headers.get("User-Agent", "")
        client = "reader" if agent.startswith("reader-tui/") else "newsboat"
        if body is None:
            status = 404
        elif self.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in self.headers
            and self.headers.get("If-Modified-Since") == MODIFIED
        ):
            status = 304
        else:
            status = 200
        self.server.log.append((client, self.path, status))
        self.send_response(status)
        if body is not None:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", MODIFIED)
        if status == 200 and body is not None:
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            self.send_header("Content-Length", "0")
            self.end_headers()


def feed_bytes(number: int, items: int) -> bytes:
    """A Guardian-shaped feed of its own: a section's items with links and guids made unique."""
    slug, title = vocab.SECTIONS[number % len(vocab.SECTIONS)]
    data, _, _ = corpus.render_feed(slug, title, items, number * 37)
    data = data.replace(b"https://www.theguardian.com/", f"https://site{number}.example/".encode())
    return data.replace(f"<title>{title}</title>".encode(),
                        f"<title>{title} {number}</title>".encode(), 1)


class Sites:
    """The 20 sites, serving in threads of this process until closed."""

    def __init__(self, sites: int, per_site: int, items: int, delay: float) -> None:
        self.log: list[tuple[str, str, int]] = []
        self.servers: list[Site] = []
        self.urls: list[str] = []
        for s in range(sites):
            paths = {f"/feed/{s * per_site + n}.xml": feed_bytes(s * per_site + n, items)
                     for n in range(per_site)}
            server = Site(f"127.0.0.{s + 1}", paths, self.log, delay)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            self.servers.append(server)
            self.urls += [server.url(path) for path in paths]

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()

    def statuses(self, client: str, since: int) -> Counter[int]:
        return Counter(status for who, _, status in self.log[since:] if who == client)


def timed(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} {argv[1:4]} failed ({done.returncode}): "
                           f"{done.stderr[-500:]}")
    return elapsed, done.stdout


class Ours:
    name = "reader"

    def __init__(self, workdir: Path, urls: list[str]) -> None:
        from reader.store import Store

        self.db = workdir / "store"
        store = Store.open(self.db)
        for url in urls:
            store.subscribe(url)
        self.env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.cwd = workdir

    def refresh(self) -> float:
        elapsed, _ = timed([sys.executable, "-m", "reader", "--db", str(self.db), "refresh"],
                           self.env, self.cwd)
        return elapsed

    def count(self) -> int:
        from reader.store import Store

        return len(Store.open(self.db))


class Newsboat:
    name = "newsboat"

    def __init__(self, workdir: Path, urls: list[str]) -> None:
        self.dir = workdir
        (workdir / "home").mkdir(parents=True)
        (workdir / "config").write_text(CONFIG + f"reload-threads {JOBS}\n", encoding="utf-8")
        (workdir / "urls").write_text("".join(f"{url}\n" for url in urls), encoding="utf-8")
        self.env = {"HOME": str(workdir / "home"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                    "PATH": os.environ.get("PATH", "/usr/bin:/bin")}

    def refresh(self) -> float:
        argv = [NEWSBOAT, "-x", "reload", "-u", str(self.dir / "urls"),
                "-c", str(self.dir / "cache.db"), "-C", str(self.dir / "config")]
        elapsed, _ = timed(argv, self.env, self.dir)
        return elapsed

    def count(self) -> int:
        with sqlite3.connect(self.dir / "cache.db") as db:
            return int(db.execute("SELECT count(*) FROM rss_item").fetchone()[0])


Side = type[Ours] | type[Newsboat]


def measure(side: Side, sites: Sites, workdir: Path, items: int) -> dict[str, float]:
    """One side's first and all-304 refreshes, checked against the server's log."""
    runner = side(workdir, sites.urls)
    feeds = len(sites.urls)
    mark = len(sites.log)
    first = runner.refresh()
    got = sites.statuses(runner.name, mark)
    if got != Counter({200: feeds}):
        raise RuntimeError(f"{runner.name}: first refresh got {dict(got)}, not {feeds} x 200")
    if runner.count() != feeds * items:
        raise RuntimeError(f"{runner.name}: stored {runner.count()} items, not {feeds * items}")
    runner.refresh()  # untimed: newsboat keeps a new feed's ETag from its second reload on
    mark = len(sites.log)
    all_304 = runner.refresh()
    got = sites.statuses(runner.name, mark)
    if got != Counter({304: feeds}):
        raise RuntimeError(f"{runner.name}: all-304 refresh got {dict(got)}, not {feeds} x 304")
    return {"first": first, "all_304": all_304}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.refresh", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per side (median reported)")
    parser.add_argument("--sites", type=int, default=SITES, help="loopback addresses (max 254)")
    parser.add_argument("--per-site", type=int, default=PER_SITE, help="feeds per site")
    parser.add_argument("--items", type=int, default=ITEMS, help="items per feed")
    parser.add_argument("--delay", type=float, default=DELAY, help="seconds before each answer")
    parser.add_argument("--skip-newsboat", action="store_true", help="measure this reader only")
    args = parser.parse_args(argv)
    sides: list[Side] = [Ours]
    if not args.skip_newsboat:
        if shutil.which(NEWSBOAT) is None:
            print("newsboat is not installed (apt-get install newsboat), or --skip-newsboat",
                  file=sys.stderr)
            return 1
        sides.append(Newsboat)
    sites = Sites(args.sites, args.per_site, args.items, args.delay)
    feeds = len(sites.urls)
    print(f"{feeds} feeds x {args.items} items on {args.sites} sites, answers after "
          f"{args.delay * 1000:.0f} ms; {args.runs} runs; {os.cpu_count()} cores", flush=True)
    if not args.skip_newsboat:
        print(version(), flush=True)
    figures: dict[str, dict[str, list[float]]] = {}
    try:
        for run in range(args.runs):
            for side in sides if run % 2 == 0 else sides[::-1]:  # neither always goes first
                with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
                    result = measure(side, sites, Path(tmp), args.items)
                name = side.name
                for figure, value in result.items():
                    figures.setdefault(name, {}).setdefault(figure, []).append(value)
                print(f"run {run + 1} {name}: first {result['first']:.2f} s, "
                      f"all-304 {result['all_304']:.2f} s", flush=True)
    finally:
        sites.close()
    print(f"\nmedian of {args.runs} (wall seconds)   first refresh   all-304 refresh")
    for name, values in figures.items():
        print(f"{name:<33} {statistics.median(values['first']):>13.2f}   "
              f"{statistics.median(values['all_304']):>15.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
