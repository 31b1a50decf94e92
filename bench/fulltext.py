"""Full text: 1,000 article pages from 20 local sites, fetched, extracted and stored.

``python -m bench.fulltext`` serves 20 feeds of 50 items each, one feed per site, the sites
being the loopback addresses 127.0.0.1 to 127.0.0.20 (so that the per-host limit acts as it
would on the internet), every page answered after 50 ms. The pages are the test pages of
``fixtures/pages`` (the seed articles in three site layouts) made as heavy as news pages are
(a menu of 300 links, 40 teasers, 60 KB of inline script), each with its own title. The sites
run in a child process, so that their work is not counted as the reader's.

Each run: a fresh store holding the 1,000 items (their feed text is the seed's), then
``fetch_full_text`` on all of them with the defaults (8 fetches at once, 2 per host), in this
process. Reported, median of the runs:

- ``wall``: seconds for the 1,000 pages (target: <= 15 s);
- ``extract``: CPU ms per page of the extraction workers (decoding, parsing, extracting),
  read from the kernel's account of the reaped children;
- ``store``: CPU ms per page of writing the texts (``Store.set_full_texts``, timed on its
  thread);
- ``extract+store``: their sum (target: <= 30 ms per page);
- ``reader``: CPU ms per page of everything (fetching threads, extraction, storing).

A run fails unless every page was asked for once and every article kept its full text.

``python -m bench.fulltext --compare`` measures the extractors on the test pages instead: the
share of the articles' paragraphs kept and of the boilerplate kept, and CPU ms per page (of
the test pages, and of the heavy ones served above), for
reader.extract, trafilatura alone (default and favor_precision) and readability-lxml (when
installed: it is not a dependency). See docs/extraction.md.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "fixtures" / "pages"
SITES = 20
ITEMS = 50  # per feed, one feed per site
DELAY = 0.05


# --- the sites (in a child process) ---------------------------------------------------------


def heavy(page: bytes, number: int) -> bytes:
    """A test page made as heavy as a news page, with a title of its own."""
    menu = "".join(f'<li><a href="/section/{n}">Section {n}</a></li>' for n in range(300))
    teasers = "".join(f'<li><a href="/story/{n}"><img src="/t/{n}.jpg" alt=""><span>Teaser '
                      f"headline number {n} for the grid</span></a></li>" for n in range(40))
    script = "window.__STATE__ = " + json.dumps({"k": ["x" * 60] * 900}) + ";"
    html = page.decode("utf-8")
    html = html.replace("<body", f"<script>{script}</script><body", 1)
    html = html.replace("</main>", f'</main><nav class="mega-menu"><ul>{menu}</ul></nav>'
                        f'<section class="more-stories"><ul>{teasers}</ul></section>', 1)
    html = re.sub(r"<title>", f"<title>{number}: ", html, count=1)
    return html.encode("utf-8")


_PRINTING = threading.Lock()  # one whole line at a time from the handlers' threads


class _Site(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, host: str, pages: list[bytes]) -> None:
        super().__init__((host, 0), _Handler)
        self.pages = pages


class _Handler(BaseHTTPRequestHandler):
    server: _Site
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        time.sleep(DELAY)
        number = int(self.path.rsplit("/", 1)[1]) if self.path.startswith("/p/") else -1
        if not 0 <= number < len(self.server.pages):
            self.send_error(404)
            return
        body = self.server.pages[number]
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        with _PRINTING:
            sys.stdout.write(f"{self.server.server_address[0]} {self.path}\n")
            sys.stdout.flush()


def serve() -> None:
    """The child: start the sites, print their ports, log every page served, stop at EOF."""
    seeds = seed_pages()
    ports = []
    size = 0
    for site in range(SITES):
        pages = [heavy(seeds[(site * ITEMS + n) % len(seeds)][1], site * ITEMS + n)
                 for n in range(ITEMS)]
        size += sum(len(page) for page in pages)
        server = _Site(f"127.0.0.{site + 1}", pages)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        ports.append(server.server_address[1])
    print(json.dumps({"ports": ports, "bytes": size // (SITES * ITEMS)}), flush=True)
    sys.stdin.read()


# --- the reader's side ------------------------------------------------------------------------


def seed_pages() -> list[tuple[str, bytes]]:
    """(page path, bytes) of the seed articles' test pages, in the feed's order."""
    truth = json.loads((PAGES / "truth.json").read_text("utf-8"))
    return [(t["path"], (PAGES / name).read_bytes()) for name, t in truth.items()]


def run_once(ports: list[int]) -> dict[str, float]:
    from reader.fulltext import fetch_full_text
    from reader.importer import parse
    from reader.store import Store

    items = parse((ROOT / "fixtures" / "feed.xml").read_bytes(), "feed.xml").items
    with tempfile.TemporaryDirectory(prefix="bench-fulltext-") as tmp:
        store = Store.open(Path(tmp) / "store")
        for site, port in enumerate(ports):
            base = f"http://127.0.0.{site + 1}:{port}"
            feed = [replace(items[(site * ITEMS + n) % len(items)],
                            title=f"{site * ITEMS + n}: {items[(site * ITEMS + n) % 20].title}",
                            link=f"{base}/p/{n}", guid=f"{base}/p/{n}")
                    for n in range(ITEMS)]
            store.merge(feed, authoritative=True, source=f"{base}/feed.xml")
        ids = [head.id for head in store.headlines()]
        storing = [0.0]
        real = store.set_full_texts

        def timed(updates: Any) -> int:
            started = time.thread_time()
            try:
                return real(updates)
            finally:
                storing[0] += time.thread_time() - started

        store.set_full_texts = timed  # type: ignore[method-assign]
        own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                               resource.RUSAGE_CHILDREN))
        start = time.perf_counter()
        outcomes = fetch_full_text(store, ids)
        wall = time.perf_counter() - start
        own2, children2 = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                                 resource.RUSAGE_CHILDREN))
        failed = [str(o) for o in outcomes if not o.kept]
        if failed or len(outcomes) != len(ids):
            raise SystemExit(f"bench: {len(failed)} articles without full text: {failed[:3]}")
        kept = sum(store.content(i).full_text is not None for i in ids)
        if kept != len(ids):
            raise SystemExit(f"bench: only {kept} of {len(ids)} full texts in the store")

    def cpu(before: resource.struct_rusage, after: resource.struct_rusage) -> float:
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

    pages = len(ids)
    extract = cpu(children, children2) / pages * 1000
    store_ms = storing[0] / pages * 1000
    return {"wall": wall, "extract": extract, "store": store_ms,
            "extract+store": extract + store_ms,
            "reader": (cpu(own, own2) + cpu(children, children2)) / pages * 1000}


def bench(runs: int) -> None:
    child = subprocess.Popen([sys.executable, "-m", "bench.fulltext", "--serve"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             cwd=ROOT)
    assert child.stdin is not None and child.stdout is not None
    try:
        started = json.loads(child.stdout.readline())
        served: list[str] = []
        reader = threading.Thread(target=lambda: served.extend(iter(child.stdout.readline, "")),
                                  daemon=True)
        reader.start()
        print(f"{SITES} sites x {ITEMS} pages of {started['bytes'] // 1024} KiB, answering "
              f"after {DELAY * 1000:.0f} ms; defaults: 8 fetches at once, 2 per host")
        results = []
        for run in range(runs):
            before = len(served)
            result = run_once(started["ports"])
            time.sleep(0.2)  # the last log lines
            asked = served[before:]
            if len(asked) != SITES * ITEMS or len(set(asked)) != SITES * ITEMS:
                raise SystemExit(f"bench: the sites served {len(asked)} pages "
                                 f"({len(set(asked))} different), not {SITES * ITEMS}")
            results.append(result)
            print(f"run {run + 1}: " + ", ".join(
                f"{key} {value:.2f} s" if key == "wall" else f"{key} {value:.1f} ms/page"
                for key, value in result.items()))
        print(f"median of {runs}: " + ", ".join(
            f"{key} {statistics.median(r[key] for r in results):.2f}"
            + (" s" if key == "wall" else " ms/page") for key in results[0]))
    finally:
        child.stdin.close()
        child.wait(10)


# --- comparing extractors on the test pages -----------------------------------------------


def _trafilatura(precision: bool) -> Callable[[bytes, str, str], list[str]]:
    import trafilatura

    def run(data: bytes, url: str, title: str) -> list[str]:
        text = trafilatura.extract(data, url=url, include_comments=False,
                                   favor_precision=precision, include_tables=True)
        return [line for line in (text or "").splitlines() if line.strip()]

    return run


def _readability(data: bytes, url: str, title: str) -> list[str]:
    import lxml.html
    from readability import Document

    summary = lxml.html.fromstring(Document(data, url=url).summary())
    return [" ".join(el.text_content().split())
            for el in summary.iter("p", "h1", "h2", "h3", "h4", "li", "blockquote")]


def _ours(data: bytes, url: str, title: str) -> list[str]:
    from reader.extract import extract

    got = extract(data, "text/html", url, title)
    return [re.sub(r" \[\d+\]", "", p) for p in got.paragraphs if not p.startswith("[image")]


def compare() -> None:
    truth = json.loads((PAGES / "truth.json").read_text("utf-8"))
    extractors: dict[str, Callable[[bytes, str, str], list[str]]] = {
        "reader.extract (prune + trafilatura + standfirst)": _ours,
        "trafilatura 2.3 alone, default": _trafilatura(False),
        "trafilatura 2.3 alone, favor_precision": _trafilatura(True),
    }
    try:
        import readability  # noqa: F401

        extractors["readability-lxml 0.9"] = _readability
    except ImportError:
        print("(readability-lxml is not installed: left out)")
    heavies = [(heavy(data, n), path) for n, (path, data) in enumerate(seed_pages())]
    print("| extractor | article paragraphs kept | boilerplate kept | by layout (kept / "
          "boilerplate) | CPU ms per page | CPU ms per heavy page |")
    print("|---|---|---|---|---|---|")
    for name, extractor in extractors.items():
        article = kept = units = leaked = 0
        layouts: dict[str, list[int]] = {}
        cpu = 0.0
        for page, t in truth.items():
            data = (PAGES / page).read_bytes()
            started = time.process_time()
            paragraphs = extractor(data, "https://news.example" + t["path"], t["title"])
            cpu += time.process_time() - started
            text = [" ".join(p.split()) for p in paragraphs]
            found = sum(" ".join(p.split()) in text for p in t["article"])
            rest = "\n".join(text)
            for paragraph in t["article"]:
                rest = rest.replace(" ".join(paragraph.split()), "")
            leaks = sum(bool(re.search(rf"(?<!\w){re.escape(' '.join(u.split()))}(?!\w)", rest))
                        for u in t["boilerplate"])
            article, kept = article + len(t["article"]), kept + found
            units, leaked = units + len(t["boilerplate"]), leaked + leaks
            counts = layouts.setdefault(t["layout"], [0, 0, 0, 0])
            counts[0] += found
            counts[1] += len(t["article"])
            counts[2] += leaks
            counts[3] += len(t["boilerplate"])
        by_layout = ", ".join(f"{layout} {c[0] / c[1]:.0%} / {c[2] / c[3]:.1%}"
                              for layout, c in layouts.items())
        started = time.process_time()
        for data, path in heavies:
            extractor(data, "https://news.example" + path, "")
        heavy_cpu = (time.process_time() - started) / len(heavies)
        print(f"| {name} | {kept}/{article} = {kept / article:.1%} | {leaked}/{units} = "
              f"{leaked / units:.1%} | {by_layout} | {cpu / len(truth) * 1000:.1f} | "
              f"{heavy_cpu * 1000:.1f} |")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fulltext", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--compare", action="store_true", help="compare the extractors")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve()
    elif args.compare:
        compare()
    else:
        bench(args.runs)


if __name__ == "__main__":
    main()
