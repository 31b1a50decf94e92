"""reader.refresh against real HTTP servers on loopback addresses (127.0.0.x, one server each).

Each rule of a good refresh is observed on the wire (the server logs every request, its headers
and the status it answered) and in the store. Handlers that wait do so on the server's ``stop``
event with a cap, so no thread outlives its test.
"""

from __future__ import annotations

import contextlib
import email.utils
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

import reader.refresh
from reader import __version__
from reader.discover import Found, discover, is_page
from reader.refresh import GONE, Result, add, refresh
from reader.store import Store

HANDLER_CAP = 4.0


def rss(title: str, items: list[tuple[str, str]], published: int | None = None) -> bytes:
    """An RSS 2.0 feed of ``(guid, title)`` items, all dated ``published`` if given."""
    date = "" if published is None else (
        f"<pubDate>{email.utils.formatdate(published, usegmt=True)}</pubDate>"
    )
    body = "".join(
        f"<item><guid>{guid}</guid><title>{text}</title>{date}"
        f"<description>About {text}.</description></item>"
        for guid, text in items
    )
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
            f"{body}</channel></rss>").encode()


Route = Callable[["Handler"], None]


class Crowd:
    """Requests in flight over one or more servers; each request waits (at most ``cap``
    seconds) until ``goal`` are in flight, so that the most seen at once is deterministic."""

    def __init__(self, goal: int = 0, cap: float = 1.0) -> None:
        self.goal = goal
        self.cap = cap
        self.active = 0
        self.most = 0
        self.changed = threading.Condition()


class FeedServer(ThreadingHTTPServer):
    """A server on one loopback address: routes by path, logs (path, headers, status), and
    counts the requests it is answering at once."""

    daemon_threads = True

    def __init__(self, host: str = "127.0.0.1", crowd: Crowd | None = None) -> None:
        super().__init__((host, 0), Handler)
        self.host = host
        self.routes: dict[str, Route] = {}
        self.log: list[tuple[str, dict[str, str], int]] = []
        self.stop = threading.Event()
        self.crowd = crowd or Crowd()
        self.active = 0
        self.most = 0

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.server_address[1]}{path}"

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.log]

    def statuses(self) -> list[int]:
        return [status for _, _, status in self.log]

    def feed(self, path: str, body: bytes, *, etag: str = "", modified: str = "") -> None:
        """Serve ``body`` at ``path``, answering 304 to a request that names its validators."""

        def route(h: Handler) -> None:
            asked_etag = h.headers.get("If-None-Match")
            asked_date = h.headers.get("If-Modified-Since")
            if (etag and asked_etag == etag) or (modified and not asked_etag
                                                   and asked_date == modified):
                h.send_response(304)
                h.end_headers()
                return
            extra = {"ETag": etag} if etag else {}
            if modified:
                extra["Last-Modified"] = modified
            h.reply(body, **extra)

        self.routes[path] = route

    def status(self, path: str, code: int, **headers: str) -> None:
        def route(h: Handler) -> None:
            h.send_response(code)
            for name, value in headers.items():
                h.send_header(name.replace("_", "-"), value)
            h.send_header("Content-Length", "0")
            h.end_headers()

        self.routes[path] = route


class Handler(BaseHTTPRequestHandler):
    server: FeedServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest output clean."""

    def send_response(self, code: int, message: str | None = None) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.log.append((self.path, headers, code))
        super().send_response(code, message)

    def do_GET(self) -> None:
        server, crowd = self.server, self.server.crowd
        with crowd.changed:
            server.active += 1
            server.most = max(server.most, server.active)
            crowd.active += 1
            crowd.most = max(crowd.most, crowd.active)
            crowd.changed.notify_all()
            crowd.changed.wait_for(
                lambda: crowd.active >= crowd.goal or server.stop.is_set(), crowd.cap
            )
        try:
            route = server.routes.get(self.path)
            if route is None:
                self.send_error(404)
            else:
                route(self)
        except (ConnectionError, TimeoutError):
            pass
        finally:
            with crowd.changed:
                server.active -= 1
                crowd.active -= 1

    def reply(self, body: bytes, content_type: str = "application/rss+xml", **extra: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def serve(host: str = "127.0.0.1", crowd: Crowd | None = None) -> Iterator[FeedServer]:
    server = FeedServer(host, crowd)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def site() -> Iterator[FeedServer]:
    yield from serve("127.0.0.2")


@pytest.fixture
def other_site() -> Iterator[FeedServer]:
    yield from serve("127.0.0.3")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store.open(tmp_path / "store")


def follow(store: Store, *urls: str) -> None:
    for url in urls:
        store.subscribe(url)


def feed_of(store: Store, url: str) -> dict[str, Any]:
    feed = store.feed(url)
    assert feed is not None
    return feed


ONE = rss("One", [("a", "Alpha"), ("b", "Beta")])


# --- conditional GET ---------------------------------------------------------------------


def test_etag_and_last_modified_are_stored_and_sent_back(store: Store, site: FeedServer) -> None:
    modified = "Mon, 01 Jan 2024 00:00:00 GMT"
    site.feed("/f", ONE, etag='"v1"', modified=modified)
    follow(store, site.url("/f"))
    (first,) = refresh(store)
    assert str(first) == f"{site.url('/f')}: added 2, updated 0, unchanged 0"
    feed = feed_of(store, site.url("/f"))
    assert (feed["etag"], feed["last_modified"]) == ('"v1"', modified)
    assert "if-none-match" not in site.log[0][1]
    (second,) = refresh(store)
    assert str(second) == f"{site.url('/f')}: not modified"
    sent = site.log[1][1]
    assert sent["if-none-match"] == '"v1"' and sent["if-modified-since"] == modified
    assert site.statuses() == [200, 304]


def test_last_modified_alone_gets_a_304(store: Store, site: FeedServer) -> None:
    modified = "Tue, 02 Jan 2024 00:00:00 GMT"
    site.feed("/f", ONE, modified=modified)
    follow(store, site.url("/f"))
    refresh(store)
    (second,) = refresh(store)
    assert second.note == "not modified"
    assert "if-none-match" not in site.log[1][1]
    assert site.statuses() == [200, 304]


def test_a_304_parses_nothing_and_writes_only_the_fetched_time(
    store: Store, site: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.feed("/f", ONE, etag='"v1"')
    follow(store, site.url("/f"))
    refresh(store)
    before = feed_of(store, site.url("/f"))
    files = {p.name: p.read_bytes() for p in store.path.rglob("*")
             if p.is_file() and p.name != "feeds.json"}
    parsed: list[str] = []
    real = reader.refresh.parse_part
    monkeypatch.setattr(reader.refresh, "parse_part",
                        lambda *args: parsed.append("parse") or real(*args))
    store.set_feed(before["id"], fetched=1)  # so that the new fetched time must differ
    (result,) = refresh(store)
    assert result.note == "not modified" and parsed == []
    after = feed_of(store, site.url("/f"))
    assert after["fetched"] is not None and after["fetched"] > 1
    assert {k: v for k, v in after.items() if k != "fetched"} == {
        k: v for k, v in before.items() if k != "fetched"
    }
    assert {p.name: p.read_bytes() for p in store.path.rglob("*")
            if p.is_file() and p.name != "feeds.json"} \
        == files


def test_a_feed_that_changed_is_merged_and_its_new_etag_kept(
    store: Store, site: FeedServer
) -> None:
    site.feed("/f", ONE, etag='"v1"')
    follow(store, site.url("/f"))
    refresh(store)
    site.feed("/f", rss("One", [("a", "Alpha"), ("b", "Beta"), ("c", "Gamma")]), etag='"v2"')
    (result,) = refresh(store)
    assert result.counts is not None
    assert (result.counts.added, result.counts.unchanged) == (1, 2)
    assert feed_of(store, site.url("/f"))["etag"] == '"v2"'
    assert site.log[1][1]["if-none-match"] == '"v1"'


# --- redirects -----------------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 308])
def test_a_permanent_redirect_moves_the_feed(store: Store, site: FeedServer, code: int) -> None:
    site.status("/old", code, Location="/new")
    site.feed("/new", ONE, etag='"n"')
    follow(store, site.url("/old"))
    (result,) = refresh(store)
    assert result.counts is not None and result.counts.added == 2
    feed = feed_of(store, site.url("/old"))
    assert feed["final_url"] == site.url("/new")
    assert feed["url"] == site.url("/old")  # still known by what was followed
    (again,) = refresh(store)
    assert again.note == "not modified"
    assert site.paths() == ["/old", "/new", "/new"]
    assert str(again).startswith(site.url("/old") + ": ")


@pytest.mark.parametrize("code", [302, 307])
def test_a_temporary_redirect_does_not(store: Store, site: FeedServer, code: int) -> None:
    site.status("/old", code, Location="/new")
    site.feed("/new", ONE)
    follow(store, site.url("/old"))
    refresh(store)
    assert feed_of(store, site.url("/old"))["final_url"] == ""
    refresh(store)
    assert site.paths() == ["/old", "/new", "/old", "/new"]


def test_a_temporary_hop_after_a_permanent_one_keeps_the_permanent_target(
    store: Store, site: FeedServer
) -> None:
    site.status("/a", 301, Location="/b")
    site.status("/b", 302, Location="/c")
    site.feed("/c", ONE)
    follow(store, site.url("/a"))
    refresh(store)
    assert feed_of(store, site.url("/a"))["final_url"] == site.url("/b")


def test_a_followed_feed_may_move_to_another_host_but_not_off_http(
    store: Store, site: FeedServer, other_site: FeedServer
) -> None:
    site.status("/moved", 301, Location=other_site.url("/here"))
    site.status("/file", 301, Location="file:///etc/passwd")
    other_site.feed("/here", ONE)
    follow(store, site.url("/moved"), site.url("/file"))
    results = {r.url: r for r in refresh(store)}
    moved = results[site.url("/moved")]
    assert moved.counts is not None and moved.counts.added == 2
    assert feed_of(store, site.url("/moved"))["final_url"] == other_site.url("/here")
    refused = results[site.url("/file")]
    assert refused.error == "redirect to a non-HTTP URL (file:) refused"
    assert feed_of(store, site.url("/file"))["error"] == refused.error


# --- statuses that change what happens next -----------------------------------------------


def test_410_marks_the_feed_gone_and_it_is_not_fetched_again(
    store: Store, site: FeedServer
) -> None:
    site.status("/f", 410)
    follow(store, site.url("/f"))
    (result,) = refresh(store)
    assert result.error is not None and result.error.startswith(GONE)
    feed = feed_of(store, site.url("/f"))
    assert feed["gone"] is True and feed["error"] == GONE
    (again,) = refresh(store)
    assert again.error is None and again.note.startswith(f"skipped, {GONE}")
    assert site.paths() == ["/f"]


@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_in_seconds_is_honoured(store: Store, site: FeedServer, code: int) -> None:
    site.status("/f", code, Retry_After="120")
    follow(store, site.url("/f"))
    started = time.time()
    (result,) = refresh(store)
    assert result.error is not None and "retry after" in result.error
    feed = feed_of(store, site.url("/f"))
    assert started + 119 <= feed["retry_after"] <= time.time() + 121
    assert feed["error"] == result.error
    (again,) = refresh(store)
    assert again.error is None
    assert again.note.startswith("skipped until ") and "the server asked to wait" in again.note
    assert site.paths() == ["/f"]


def test_retry_after_as_a_date_and_refetch_once_it_passed(
    store: Store, site: FeedServer
) -> None:
    when = int(time.time()) + 3600
    site.status("/f", 429, Retry_After=email.utils.formatdate(when, usegmt=True))
    follow(store, site.url("/f"))
    refresh(store)
    feed = feed_of(store, site.url("/f"))
    assert feed["retry_after"] == when
    store.set_feed(feed["id"], retry_after=int(time.time()) - 1)  # the hour has passed
    site.feed("/f", ONE)
    (result,) = refresh(store)
    assert result.counts is not None and result.counts.added == 2
    feed = feed_of(store, site.url("/f"))
    assert feed["retry_after"] is None and feed["error"] is None


def test_429_without_retry_after_is_an_ordinary_error(store: Store, site: FeedServer) -> None:
    site.status("/f", 429)
    follow(store, site.url("/f"))
    (result,) = refresh(store)
    assert result.error == "HTTP 429 Too Many Requests"
    assert feed_of(store, site.url("/f"))["retry_after"] is None
    refresh(store)
    assert site.paths() == ["/f", "/f"]


# --- failures, limits, progress ------------------------------------------------------------


def test_a_slow_server_times_out_in_one_line_and_the_others_refresh(
    store: Store, site: FeedServer, other_site: FeedServer
) -> None:
    site.routes["/slow"] = lambda h: h.server.stop.wait(HANDLER_CAP) and None
    other_site.feed("/a", ONE)
    other_site.feed("/b", rss("Two", [("x", "Ex")]))
    follow(store, site.url("/slow"), other_site.url("/a"), other_site.url("/b"))
    results = {r.url: r for r in refresh(store, timeout=0.5)}
    assert results[site.url("/slow")].error == "timed out after 0.5 s"
    assert str(results[site.url("/slow")]) == f"{site.url('/slow')}: timed out after 0.5 s"
    assert [results[other_site.url(p)].counts is not None for p in ("/a", "/b")] == [True, True]
    assert feed_of(store, site.url("/slow"))["error"] == "timed out after 0.5 s"
    assert len(store.headlines()) == 3


def test_an_error_is_kept_on_the_feed_and_cleared_by_a_success(
    store: Store, site: FeedServer
) -> None:
    follow(store, site.url("/f"))
    (failed,) = refresh(store)
    assert failed.error == "HTTP 404 Not Found"
    assert feed_of(store, site.url("/f"))["error"] == "HTTP 404 Not Found"
    site.feed("/f", ONE)
    (ok,) = refresh(store)
    assert ok.error is None
    feed = feed_of(store, site.url("/f"))
    assert feed["error"] is None and feed["fetched"] is not None


def test_not_a_feed_is_an_error_and_its_etag_is_not_kept(store: Store, site: FeedServer) -> None:
    page = b"<!doctype html><html><body>Sign in to continue</body></html>"
    site.routes["/f"] = lambda h: h.reply(page, "text/html", ETag='"x"')
    follow(store, site.url("/f"))
    (result,) = refresh(store)
    assert result.error is not None and "\n" not in result.error
    feed = feed_of(store, site.url("/f"))
    assert feed["etag"] == "" and feed["error"] == result.error
    refresh(store)
    assert "if-none-match" not in site.log[1][1]


@contextlib.contextmanager
def sites(count: int, crowd: Crowd) -> Iterator[list[FeedServer]]:
    """``count`` servers on 127.0.0.2, 127.0.0.3, ...: hosts of their own to the refresh."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(contextlib.contextmanager(serve)(f"127.0.0.{n + 2}", crowd))
            for n in range(count)
        ]


def serve_feeds(store: Store, server: FeedServer, count: int) -> None:
    for n in range(count):
        server.feed(f"/{n}", rss(f"{server.host} {n}", [(f"{server.host}/{n}", f"T{n}")]))
        follow(store, server.url(f"/{n}"))


def test_per_host_limit_holds_while_other_hosts_go_on(store: Store) -> None:
    crowd = Crowd(goal=6)  # 3 hosts x 2: every request waits until all six are in flight
    with sites(3, crowd) as servers:
        for server in servers:
            serve_feeds(store, server, 4)
        results = refresh(store, jobs=8, per_host=2)
    assert [r.error for r in results] == [None] * 12
    assert len(store.headlines()) == 12
    assert [server.most for server in servers] == [2, 2, 2]
    assert crowd.most == 6


def test_the_overall_limit_holds(store: Store) -> None:
    crowd = Crowd(goal=4, cap=0.3)  # never reached while the limit holds
    with sites(3, crowd) as servers:
        for server in servers:
            serve_feeds(store, server, 2)
        results = refresh(store, jobs=3, per_host=2)
    assert [r.error for r in results] == [None] * 6
    assert crowd.most == 3


def test_feeds_are_written_to_the_store_in_batches(
    store: Store, site: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader.refresh, "BATCH_WAIT", 60.0)  # batches by count, then the rest
    for n in range(30):
        site.feed(f"/{n}", rss(f"F{n}", [(f"g{n}", f"T{n}")]), etag=f'"{n}"')
    follow(store, *(site.url(f"/{n}") for n in range(30)))
    writes: list[str] = []
    for name in ("_write", "_write_feeds"):
        real = getattr(Store, name)
        monkeypatch.setattr(Store, name, lambda self, *a, _real=real, _name=name, **k: (
            writes.append(_name), _real(self, *a, **k))[1])
    results = refresh(store)
    assert [r.counts is not None for r in results] == [True] * 30
    assert writes == ["_write", "_write"]  # 25 feeds or more, then the others
    store.set_feeds({feed["id"]: {"fetched": 1} for feed in store.feeds()})  # an older refresh
    writes.clear()
    assert {r.note for r in refresh(store)} == {"not modified"}
    assert writes == ["_write_feeds", "_write_feeds"]
    assert len(store.headlines()) == 30


def test_every_request_names_the_reader_and_its_version(store: Store, site: FeedServer) -> None:
    page = b'<!doctype html><link rel="alternate" type="application/rss+xml" href="/f">'
    site.routes["/page"] = lambda h: h.reply(page, "text/html")
    site.feed("/f", ONE)
    add(store, site.url("/page"))
    refresh(store)
    agents = {headers["user-agent"] for _, headers, _ in site.log}
    assert len(site.log) == 3
    assert agents == {f"reader-tui/{__version__} (+terminal newsreader)"}


def test_progress_is_reported_per_feed_and_cancel_stops_new_fetches(
    store: Store, site: FeedServer
) -> None:
    for n in range(3):
        site.feed(f"/{n}", rss(f"F{n}", [(f"g{n}", f"T{n}")]))
    follow(store, *(site.url(f"/{n}") for n in range(3)))
    seen: list[tuple[str, int, int]] = []
    results = refresh(store, progress=lambda r, done, total: seen.append((r.url, done, total)))
    assert [(done, total) for _, done, total in seen] == [(1, 3), (2, 3), (3, 3)]
    assert sorted(url for url, _, _ in seen) == sorted(r.url for r in results)
    assert refresh(store, cancelled=lambda: True) == []
    assert len(site.log) == 3


def test_only_named_feeds_are_refreshed_and_unknown_names_are_errors(
    store: Store, site: FeedServer
) -> None:
    site.feed("/a", ONE)
    site.feed("/b", ONE)
    follow(store, site.url("/a"), site.url("/b"))
    results = refresh(store, [site.url("/b"), site.url("/nope")])
    assert [str(r) for r in results] == [
        f"{site.url('/nope')}: not a followed feed (reader add follows it)",
        f"{site.url('/b')}: added 2, updated 0, unchanged 0",
    ]
    assert site.paths() == ["/b"]


# --- discovery -----------------------------------------------------------------------------


def test_discovery_resolves_filters_and_deduplicates() -> None:
    page = b"""<!DOCTYPE html><html><head><base href="/blog/">
    <link rel="alternate" type="application/rss+xml" href="rss.xml" title="Posts &amp; more">
    <link rel="Alternate Home" type="application/atom+xml; charset=utf-8" href="//cdn.example/atom">
    <link rel="alternate" type="application/rss+xml" href="rss.xml" title="again">
    <link rel="alternate" type="application/json" href="feed.json">
    <link rel="stylesheet" type="application/rss+xml" href="style.css">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    <link rel="alternate" type="application/rss+xml" href="">
    <link rel="alternate" type="application/rss+xml" href="ftp://x.example/feed">
    </head><body><link rel="alternate" type="application/rss+xml" href="/comments"
    title="&#x1b;[31mred"></body></html>"""
    assert discover(page, "https://site.example/about/") == [
        Found("https://site.example/blog/rss.xml", "Posts & more"),
        Found("https://cdn.example/atom", ""),
        Found("https://site.example/comments", "[31mred"),
    ]


def test_discovery_decodes_the_page_by_its_charset() -> None:
    page = ('<html><head><meta charset="iso-8859-1"><link rel="alternate" '
            'type="application/rss+xml" href="/f" title="Caf\xe9"></head></html>').encode("latin-1")
    assert discover(page, "http://a.example/") == [Found("http://a.example/f", "Café")]
    header = ('<link rel="alternate" type="application/rss+xml" href="/f" title="Caf\xe9">')
    assert discover(header.encode("cp1252"), "http://a.example/", "text/html; charset=cp1252") \
        == [Found("http://a.example/f", "Café")]


@pytest.mark.parametrize(
    ("data", "content_type", "page"),
    [
        (ONE, "text/html", False),  # a feed served as HTML is still a feed
        (b"<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'/>", "", False),
        (b"<!DOCTYPE html><html></html>", "application/octet-stream", True),
        (b"<head><title>x</title></head>", "text/html; charset=utf-8", True),
        (b"<head><title>x</title></head>", "", False),
    ],
)
def test_is_page(data: bytes, content_type: str, page: bool) -> None:
    assert is_page(data, content_type) is page


def test_result_lines() -> None:
    assert str(Result("u", note="not modified")) == "u: not modified"
    assert str(Result("u\x1b[2J", error="boom")) == "u: boom"  # cleaned for the terminal
