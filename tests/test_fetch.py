"""reader.fetch against a real HTTP server on 127.0.0.1: each safety rule, observed on the wire.

Every handler that waits does so on the server's ``stop`` event with a cap of a few seconds, so
teardown (which joins the handler threads) is quick and no thread outlives its test.
"""

from __future__ import annotations

import email.utils
import gzip
import ipaddress
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.errors import SourceError
from reader.fetch import (
    MAX_WAIT,
    USER_AGENT,
    Fetched,
    FetchError,
    Gone,
    RetryLater,
    _refusal,
    fetch,
    get,
)

FEED = (
    b'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>Local</title>'
    b"<item><title>One</title><link>http://127.0.0.1/one</link></item></channel></rss>\n"
)
MIB = 1024 * 1024
HANDLER_CAP = 4.0  # no handler lives longer than this, whatever the client does


def _bomb(decoded_mib: int) -> bytes:
    """A gzip body that is tiny on the wire and ``decoded_mib`` MiB of zeros once decoded."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(MIB)
    return b"".join(packer.compress(block) for _ in range(decoded_mib)) + packer.flush()


BOMB = _bomb(64)


class Server(ThreadingHTTPServer):
    """A threaded server that records every request it sees."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.stop = threading.Event()
        self.redirect_to = ""  # Location for /away, set per test
        self.retry_after = ""  # Retry-After for /busy/..., set per test

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def paths(self) -> list[str]:
        return [path for path, _ in self.seen]


class Handler(BaseHTTPRequestHandler):
    """Routes by path; each route is one kind of server a feed reader meets in the wild."""

    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest output clean."""

    def do_GET(self) -> None:
        self.server.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
        route = ROUTES.get(self.path.split("?")[0])
        try:
            if route is None:
                self.send_error(404)
            else:
                route(self)
        except (ConnectionError, TimeoutError):
            pass  # the client gave up on us, which is the point of several tests

    def reply(self, body: bytes, content_type: str = "application/rss+xml", **extra: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in extra.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def wait(self, seconds: float = HANDLER_CAP) -> bool:
        """Sleep until teardown or ``seconds``; True if the test is over."""
        return self.server.stop.wait(seconds)


def _feed(h: Handler) -> None:
    h.reply(FEED, X_Custom="Yes")


def _hang(h: Handler) -> None:
    h.wait()


def _drip(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "1000")
    h.end_headers()
    h.wfile.flush()
    deadline = time.monotonic() + HANDLER_CAP
    while time.monotonic() < deadline and not h.wait(0.1):
        h.wfile.write(b"x")
        h.wfile.flush()


def _drip_headers(h: Handler) -> None:
    h.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
    h.wfile.flush()
    deadline = time.monotonic() + HANDLER_CAP
    while time.monotonic() < deadline and not h.wait(0.1):
        h.wfile.write(b"z")
        h.wfile.flush()


def _endless(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.end_headers()  # HTTP/1.0, no length: the body ends when the connection does
    chunk = b"<item>" + b"x" * (64 * 1024 - 6)
    deadline = time.monotonic() + HANDLER_CAP
    while time.monotonic() < deadline and not h.server.stop.is_set():
        h.wfile.write(chunk)


def _declared_huge(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", str(100 * MIB))
    h.end_headers()
    h.wfile.write(b"<rss>")
    h.wfile.flush()
    h.wait()


def _gzip(h: Handler) -> None:
    h.reply(gzip.compress(FEED), Content_Encoding="gzip")


def _gzip_members(h: Handler) -> None:
    h.reply(gzip.compress(FEED[:50]) + gzip.compress(FEED[50:]), Content_Encoding="gzip")


def _deflate(h: Handler) -> None:
    h.reply(zlib.compress(FEED), Content_Encoding="deflate")


def _bomb_route(h: Handler) -> None:
    h.reply(BOMB, Content_Encoding="gzip")


def _not_gzip(h: Handler) -> None:
    h.reply(FEED, Content_Encoding="gzip")


def _gzip_payload(h: Handler) -> None:
    h.reply(gzip.compress(FEED), "application/gzip")  # feed.xml.gz: gzip, but no encoding


def _gzip_twice(h: Handler) -> None:
    h.reply(gzip.compress(gzip.compress(FEED)), Content_Encoding="gzip")


def _brotli(h: Handler) -> None:
    h.reply(b"\x0b\x02\x80hello\x03", Content_Encoding="br")


def _etag(h: Handler) -> None:
    if h.headers.get("If-None-Match") == '"v1"':
        h.send_response(304)
        h.send_header("ETag", '"v1"')
        h.end_headers()
    else:
        h.reply(FEED, ETag='"v1"', Last_Modified="Mon, 01 Jan 2024 00:00:00 GMT")


def _busy(status: int) -> Callable[[Handler], None]:
    def route(h: Handler) -> None:
        h.send_response(status)
        if h.server.retry_after:
            h.send_header("Retry-After", h.server.retry_after)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return route


def _hop(n: int) -> Callable[[Handler], None]:
    return lambda h: h.redirect(f"/hop/{n - 1}" if n > 1 else "/feed", 301)


ROUTES: dict[str, Callable[[Handler], None]] = {
    "/feed": _feed,
    "/a/feed": _feed,
    "/hang": _hang,
    "/drip": _drip,
    "/drip-headers": _drip_headers,
    "/endless": _endless,
    "/declared-huge": _declared_huge,
    "/loop": lambda h: h.redirect("/loop"),
    "/a/b/old": lambda h: h.redirect("../feed"),
    "/moved": lambda h: h.redirect("/a/b/old", 308),
    "/away": lambda h: h.redirect(h.server.redirect_to),
    "/no-location": lambda h: h.redirect(""),
    "/to-file": lambda h: h.redirect("file:///etc/passwd"),
    "/broken": lambda h: h.send_error(500),
    "/gzip": _gzip,
    "/gzip-members": _gzip_members,
    "/deflate": _deflate,
    "/bomb": _bomb_route,
    "/not-gzip": _not_gzip,
    "/feed.xml.gz": _gzip_payload,
    "/gzip-twice": _gzip_twice,
    "/gzip-cut": lambda h: h.reply(gzip.compress(FEED)[:-20], "application/gzip"),
    "/gzip-bad": lambda h: h.reply(b"\x1f\x8b" + FEED, "application/gzip"),
    "/bomb.gz": lambda h: h.reply(BOMB, "application/gzip"),
    "/brotli": _brotli,
    "/html": lambda h: h.reply(FEED, "text/html; charset=utf-8"),
    "/octet": lambda h: h.reply(FEED, "application/octet-stream"),
    "/etag": _etag,
    "/perm": lambda h: h.redirect("/etag", 301),
    "/perm-then-temp": lambda h: h.redirect("/moved", 301),
    "/gone": lambda h: h.send_error(410),
    "/busy/429": _busy(429),
    "/busy/503": _busy(503),
    **{f"/hop/{n}": _hop(n) for n in range(1, 4)},
}


def _serve() -> Iterator[Server]:
    server = Server()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01})
    thread.daemon = True
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        server.shutdown()
        server.server_close()  # joins the handler threads, which all end on ``stop``
        thread.join(5)


@pytest.fixture
def server() -> Iterator[Server]:
    yield from _serve()


@pytest.fixture
def other() -> Iterator[Server]:
    """A second server: a place requests must NOT go."""
    yield from _serve()


@pytest.fixture
def no_dns(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """Record and refuse every lookup of a name: the tests only ever talk to 127.0.0.1.

    An IP literal still goes to the real getaddrinfo (socket.create_connection passes it there),
    which does no network I/O for a literal.
    """
    calls: list[tuple[Any, ...]] = []
    real = socket.getaddrinfo

    def refuse(host: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            ipaddress.ip_address(host)
        except ValueError:
            calls.append((host, *args))
            raise socket.gaierror(socket.EAI_NONAME, "lookup refused by test") from None
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    return calls


def _fails(url: str, **kwargs: Any) -> str:
    """Fetch, expecting SourceError; return its message after checking it is one clean line."""
    with pytest.raises(SourceError) as caught:
        fetch(url, **kwargs)
    message = str(caught.value)
    assert message.startswith(url + ": ")
    assert "\n" not in message and "\r" not in message
    assert len(message.splitlines()) == 1
    assert caught.value.__cause__ is None  # no httpx/httpcore traceback riding along
    return message


# --- the normal case -----------------------------------------------------------------------


def test_fetches_a_feed_with_headers_and_user_agent(server: Server) -> None:
    result = fetch(server.url("/feed"), timeout=2)
    assert isinstance(result, Fetched)
    assert result.content == FEED
    assert result.url == server.url("/feed")
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.headers["x-custom"] == "Yes"
    assert all(name == name.lower() for name in result.headers)
    assert result.etag is None and result.modified is None
    [(path, headers)] = server.seen
    assert path == "/feed"
    assert headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("reader-tui/") and "terminal newsreader" in USER_AGENT
    assert "if-none-match" not in headers and "if-modified-since" not in headers


@pytest.mark.parametrize("path", ["/html", "/octet"])
def test_wrong_content_type_is_not_an_error(server: Server, path: str) -> None:
    result = fetch(server.url(path), timeout=2)
    assert result is not None and result.content == FEED


def test_proxy_environment_is_ignored(
    server: Server, other: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = other.url("/")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(name, proxy)
    result = fetch(server.url("/feed"), timeout=2)
    assert result is not None and result.content == FEED
    assert server.paths == ["/feed"]
    assert other.seen == []


# --- conditional GET -----------------------------------------------------------------------


def test_etag_round_trip_and_304(server: Server) -> None:
    first = fetch(server.url("/etag"), timeout=2)
    assert first is not None and first.content == FEED
    assert first.etag == '"v1"'
    assert first.modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    second = fetch(server.url("/etag"), timeout=2, etag=first.etag, modified=first.modified)
    assert second is None
    sent = server.seen[1][1]
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Mon, 01 Jan 2024 00:00:00 GMT"


def test_unsendable_validator_is_dropped_not_fatal(server: Server) -> None:
    result = fetch(server.url("/etag"), timeout=2, etag='"v1"\r\nX-Injected: 1')
    assert result is not None and result.content == FEED
    assert "x-injected" not in server.seen[0][1]
    assert "if-none-match" not in server.seen[0][1]


def test_get_reports_a_304_and_where_the_feed_moved(server: Server) -> None:
    got = get(server.url("/perm"), timeout=2, etag='"v1"')
    assert got.not_modified and got.content == b""
    assert got.permanent == server.url("/etag")
    assert got.url == server.url("/etag")
    assert server.seen[1][1]["if-none-match"] == '"v1"'


def test_the_permanent_url_stops_at_the_first_temporary_hop(server: Server) -> None:
    # /perm-then-temp -301-> /moved -308-> /a/b/old -302-> /a/feed
    got = get(server.url("/perm-then-temp"), timeout=2)
    assert got.content == FEED and got.url == server.url("/a/feed")
    assert got.permanent == server.url("/a/b/old")
    server.redirect_to = "/perm"  # 302 first: nothing moved for good
    assert get(server.url("/away"), timeout=2, etag='"v1"').permanent == ""
    assert get(server.url("/feed"), timeout=2).permanent == ""


def test_410_is_gone(server: Server) -> None:
    with pytest.raises(Gone) as caught:
        get(server.url("/gone"), timeout=2)
    assert str(caught.value) == f"{server.url('/gone')}: HTTP 410 Gone"
    assert caught.value.reason == "HTTP 410 Gone"
    assert _fails(server.url("/gone"), timeout=2).endswith(": HTTP 410 Gone")


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_in_seconds(server: Server, status: int) -> None:
    server.retry_after = "90"
    started = time.time()
    with pytest.raises(RetryLater) as caught:
        get(server.url(f"/busy/{status}"), timeout=2)
    assert int(started) + 90 <= caught.value.until <= time.time() + 91
    phrase = "Too Many Requests" if status == 429 else "Service Unavailable"
    assert caught.value.reason.startswith(f"HTTP {status} {phrase}; retry after 20")
    assert caught.value.reason.endswith(" UTC")


def test_retry_after_as_a_date_and_capped(server: Server) -> None:
    when = int(time.time()) + 600
    server.retry_after = email.utils.formatdate(when, usegmt=True)
    with pytest.raises(RetryLater) as caught:
        get(server.url("/busy/429"), timeout=2)
    assert caught.value.until == when
    server.retry_after = str(10 * MAX_WAIT)
    with pytest.raises(RetryLater) as capped:
        get(server.url("/busy/503"), timeout=2)
    assert capped.value.until <= time.time() + MAX_WAIT


@pytest.mark.parametrize("value", ["", "soon", "-5", "Mon, 01 Jan 2001 00:00:00 GMT", "²"])
def test_unusable_retry_after_is_a_plain_error(server: Server, value: str) -> None:
    server.retry_after = value
    with pytest.raises(FetchError) as caught:
        get(server.url("/busy/429"), timeout=2)
    assert type(caught.value) is FetchError
    assert caught.value.reason == "HTTP 429 Too Many Requests"


# --- URL checks before any I/O -------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("file:///etc/passwd", "unsupported URL scheme 'file:'"),
        ("javascript:alert(1)", "unsupported URL scheme 'javascript:'"),
        ("ftp://127.0.0.1:{port}/feed", "unsupported URL scheme 'ftp:'"),
        ("data:text/plain,hi", "unsupported URL scheme 'data:'"),
        ("127.0.0.1:{port}/feed", "not an absolute URL"),
        ("//127.0.0.1:{port}/feed", "not an absolute URL"),
        ("", "not an absolute URL"),
        ("http://", "no host"),
        ("http:///feed", "no host"),
        ("http://[::1/feed", "not a valid URL"),
        ("http://127.0.0.1:99999/feed", "port 99999 out of range"),
        (" http://127.0.0.1:{port}/feed", "whitespace or control characters"),
        ("http://127.0.0.1:{port}/fe\ned", "whitespace or control characters"),
    ],
)
def test_only_http_and_https_and_no_io_otherwise(
    server: Server, no_dns: list[tuple[Any, ...]], template: str, expected: str
) -> None:
    url = template.format(port=server.port)
    with pytest.raises(SourceError) as caught:
        fetch(url, timeout=1)
    message = str(caught.value)
    assert expected in message
    assert len(message.splitlines()) == 1
    assert message.startswith((url or "(empty URL)").split("\n")[0])
    assert server.seen == []
    assert no_dns == []


@settings(max_examples=60, deadline=None)
@given(
    scheme=st.sampled_from(["file:", "javascript:", "ftp://", "data:", "mailto:", "gopher://"]),
    rest=st.text(max_size=40),
)
def test_any_non_http_url_is_refused_in_one_line_without_io(scheme: str, rest: str) -> None:
    url = scheme + rest
    with pytest.MonkeyPatch.context() as patch:

        def no_io(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError(f"I/O attempted for {url!r}")

        patch.setattr(socket, "getaddrinfo", no_io)
        patch.setattr(socket, "create_connection", no_io)
        with pytest.raises(SourceError) as caught:
            fetch(url, timeout=0.5)
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert "I/O attempted" not in message


# --- timeouts ------------------------------------------------------------------------------


def test_server_that_never_answers_times_out(server: Server) -> None:
    started = time.monotonic()
    message = _fails(server.url("/hang"), timeout=0.5)
    elapsed = time.monotonic() - started
    assert message == f"{server.url('/hang')}: timed out after 0.5 s"
    assert 0.4 < elapsed < 1.5


def test_drip_fed_body_hits_the_overall_deadline(server: Server) -> None:
    # A byte every 0.1 s never trips a 0.6 s read timeout; only the overall deadline stops it.
    started = time.monotonic()
    message = _fails(server.url("/drip"), timeout=0.6)
    elapsed = time.monotonic() - started
    assert message.endswith("timed out after 0.6 s")
    assert 0.5 < elapsed < 1.2


def test_drip_fed_headers_hit_the_overall_deadline(server: Server) -> None:
    started = time.monotonic()
    message = _fails(server.url("/drip-headers"), timeout=0.6)
    elapsed = time.monotonic() - started
    assert message.endswith("timed out after 0.6 s")
    assert 0.5 < elapsed < 1.2


def test_hung_name_lookup_hits_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()

    def hang(*args: Any, **kwargs: Any) -> Any:
        release.wait(HANDLER_CAP)
        raise socket.gaierror(socket.EAI_AGAIN, "gave up")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    try:
        started = time.monotonic()
        message = _fails("http://feeds.example.invalid/rss", timeout=0.5)
        elapsed = time.monotonic() - started
    finally:
        release.set()  # let the lookup thread finish now rather than in a few seconds
    for thread in threading.enumerate():
        if thread.name.startswith("resolve "):
            thread.join(2)
            assert not thread.is_alive()
    assert message == "http://feeds.example.invalid/rss: timed out after 0.5 s"
    assert 0.4 < elapsed < 1.5


def test_unresolvable_host(no_dns: list[tuple[Any, ...]]) -> None:
    message = _fails("http://feeds.example.invalid/rss", timeout=1)
    assert "cannot resolve host feeds.example.invalid" in message
    assert len(no_dns) == 1


def test_connection_refused() -> None:
    # A socket bound but not listening: connecting to it is refused, deterministically.
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{blocker.getsockname()[1]}/feed"
        assert _fails(url, timeout=1) == f"{url}: connection refused"


# --- size cap ------------------------------------------------------------------------------


def test_endless_body_stops_at_the_default_cap(server: Server) -> None:
    started = time.monotonic()
    message = _fails(server.url("/endless"), timeout=5)
    assert message == f"{server.url('/endless')}: larger than 32 MiB"
    assert time.monotonic() - started < 4


def test_endless_body_stops_at_a_small_cap(server: Server) -> None:
    message = _fails(server.url("/endless"), timeout=2, max_bytes=100_000)
    assert message.endswith(": larger than 100000 bytes")


def test_declared_length_over_cap_fails_without_waiting(server: Server) -> None:
    started = time.monotonic()
    message = _fails(server.url("/declared-huge"), timeout=2, max_bytes=MIB)
    assert message.endswith(": larger than 1 MiB")
    assert time.monotonic() - started < 1


def test_body_exactly_at_cap_is_fine(server: Server) -> None:
    result = fetch(server.url("/feed"), timeout=2, max_bytes=len(FEED))
    assert result is not None and result.content == FEED
    assert _fails(server.url("/feed"), timeout=2, max_bytes=len(FEED) - 1).endswith(
        f"larger than {len(FEED) - 1} bytes"
    )


def test_gzip_bomb_is_capped_on_decoded_size(server: Server) -> None:
    assert len(BOMB) < MIB  # small on the wire ...
    message = _fails(server.url("/bomb"), timeout=5)  # ... 64 MiB decoded
    assert message.endswith(": larger than 32 MiB")
    assert _fails(server.url("/bomb"), timeout=5, max_bytes=MIB).endswith("larger than 1 MiB")


# --- content encodings ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/gzip", "/gzip-members", "/deflate"])
def test_compressed_bodies_are_decoded(server: Server, path: str) -> None:
    result = fetch(server.url(path), timeout=2)
    assert result is not None
    assert result.content == FEED
    assert "content-encoding" not in result.headers  # content is no longer encoded
    assert "gzip" in server.seen[0][1]["accept-encoding"]


@pytest.mark.parametrize("path", ["/feed.xml.gz", "/gzip-twice"])
def test_a_gzip_body_is_decompressed(server: Server, path: str) -> None:
    result = fetch(server.url(path), timeout=2)
    assert result is not None and result.content == FEED


def test_a_gzip_body_that_cannot_be_decompressed_says_so(server: Server) -> None:
    cut = _fails(server.url("/gzip-cut"), timeout=2)
    assert cut.endswith(": gzip-compressed, and the gzip data is cut short")
    bad = _fails(server.url("/gzip-bad"), timeout=2)
    assert ": gzip-compressed, and the gzip data is bad (" in bad
    bomb = _fails(server.url("/bomb.gz"), timeout=5, max_bytes=MIB)
    assert bomb.endswith(": larger than 1 MiB once decompressed")


def test_corrupt_gzip_is_a_source_error(server: Server) -> None:
    assert "bad gzip data" in _fails(server.url("/not-gzip"), timeout=2)


def test_encoding_we_did_not_ask_for_is_refused(server: Server) -> None:
    assert _fails(server.url("/brotli"), timeout=2).endswith(": unsupported Content-Encoding 'br'")


# --- HTTP errors ---------------------------------------------------------------------------


def test_404(server: Server) -> None:
    url = server.url("/missing")
    assert _fails(url, timeout=2) == f"{url}: HTTP 404 Not Found"


def test_500(server: Server) -> None:
    url = server.url("/broken")
    assert _fails(url, timeout=2) == f"{url}: HTTP 500 Internal Server Error"


# --- redirects -----------------------------------------------------------------------------


def test_relative_redirects_are_followed(server: Server) -> None:
    result = fetch(server.url("/moved"), timeout=2)
    assert result is not None and result.content == FEED
    assert result.url == server.url("/a/feed")
    assert server.paths == ["/moved", "/a/b/old", "/a/feed"]


def test_redirect_chain_within_limit(server: Server) -> None:
    result = fetch(server.url("/hop/3"), timeout=2, max_redirects=3)
    assert result is not None and result.url == server.url("/feed")
    assert server.paths == ["/hop/3", "/hop/2", "/hop/1", "/feed"]


def test_redirect_chain_over_limit(server: Server) -> None:
    message = _fails(server.url("/hop/3"), timeout=2, max_redirects=2)
    assert message.endswith(": too many redirects (more than 2)")
    assert server.paths == ["/hop/3", "/hop/2", "/hop/1"]


def test_redirect_loop(server: Server) -> None:
    url = server.url("/loop")
    assert _fails(url, timeout=2) == f"{url}: too many redirects (more than 5)"
    assert server.paths == ["/loop"] * 6  # the first request and five followed redirects


def test_redirect_to_another_host_is_refused_without_a_request(
    server: Server, no_dns: list[tuple[Any, ...]]
) -> None:
    server.redirect_to = f"http://localhost.invalid:{server.port}/feed"
    url = server.url("/away")
    message = _fails(url, timeout=2)
    assert message == f"{url}: redirect to another host (localhost.invalid:{server.port}) refused"
    assert server.paths == ["/away"]
    assert no_dns == []  # not even a name lookup for the other host


def test_scheme_relative_redirect_to_another_host_is_refused(
    server: Server, no_dns: list[tuple[Any, ...]]
) -> None:
    server.redirect_to = "//evil.example/feed"
    message = _fails(server.url("/away"), timeout=2)
    assert message.endswith(": redirect to another host (evil.example) refused")
    assert server.paths == ["/away"] and no_dns == []


def test_redirect_to_another_port_is_refused_and_never_reaches_it(
    server: Server, other: Server
) -> None:
    server.redirect_to = other.url("/feed")
    message = _fails(server.url("/away"), timeout=2)
    assert message.endswith(f": redirect to another host (127.0.0.1:{other.port}) refused")
    assert server.paths == ["/away"]
    assert other.seen == []


def test_a_followed_feed_may_be_redirected_to_another_host(
    server: Server, other: Server
) -> None:
    server.redirect_to = other.url("/feed")
    got = get(server.url("/away"), timeout=2, any_host=True)
    assert got.content == FEED and got.url == other.url("/feed")
    assert other.paths == ["/feed"]
    assert _fails(server.url("/to-file"), timeout=2).endswith("(file:) refused")
    with pytest.raises(FetchError) as caught:
        get(server.url("/to-file"), timeout=2, any_host=True)
    assert caught.value.reason == "redirect to a non-HTTP URL (file:) refused"


def test_redirect_to_a_file_url_is_refused(server: Server) -> None:
    message = _fails(server.url("/to-file"), timeout=2)
    assert message.endswith(": redirect to a non-HTTP URL (file:) refused")


def test_redirect_without_location(server: Server) -> None:
    assert _fails(server.url("/no-location"), timeout=2).endswith(
        ": HTTP 302 redirect without a Location"
    )


def test_error_after_redirect_names_where_it_happened(server: Server) -> None:
    server.redirect_to = "/missing"
    url = server.url("/away")
    assert _fails(url, timeout=2) == f"{url}: HTTP 404 Not Found (at {server.url('/missing')})"


@pytest.mark.parametrize(
    ("start", "current", "target", "allowed", "any_host"),
    [
        ("http://a.example/f", "http://a.example/f", "https://a.example/g", True, False),
        (
            "http://a.example:8080/f", "http://a.example:8080/f", "https://a.example:8080/g",
            True, False,
        ),
        ("https://a.example/f", "https://a.example/f", "http://a.example/g", False, False),
        ("http://a.example/f", "https://a.example/f", "http://a.example/g", False, False),
        ("https://a.example/f", "https://a.example/f", "https://a.example:8443/g", False, False),
        ("https://a.example/f", "https://a.example/f", "https://b.example/g", False, False),
        ("https://a.example/f", "https://a.example/f", "https://A.EXAMPLE:443/g", True, False),
        ("https://a.example/f", "https://a.example/f", "https://b.example/g", True, True),
        ("http://a.example/f", "http://a.example/f", "https://b.example:8443/g", True, True),
        ("https://a.example/f", "https://a.example/f", "http://b.example/g", False, True),
        ("http://a.example/f", "https://b.example/f", "http://c.example/g", False, True),
        ("http://a.example/f", "http://a.example/f", "ftp://b.example/g", False, True),
    ],
)
def test_redirect_rule_for_https(
    start: str, current: str, target: str, allowed: bool, any_host: bool
) -> None:
    # No TLS server in the tests, so the https side of the rule is checked on the rule itself.
    refusal = _refusal(httpx.URL(start), httpx.URL(current), httpx.URL(target), any_host)
    assert (refusal is None) is allowed


# --- messages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/hang", {"timeout": 0.3}),
        ("/missing", {}),
        ("/broken", {}),
        ("/loop", {}),
        ("/endless", {"max_bytes": 1000}),
        ("/bomb", {"max_bytes": 1000}),
        ("/not-gzip", {}),
        ("/to-file", {}),
    ],
)
def test_every_error_message_is_one_line_starting_with_the_url(
    server: Server, path: str, kwargs: dict[str, Any]
) -> None:
    message = _fails(server.url(path), **{"timeout": 2, **kwargs})
    assert message.startswith(server.url(path) + ": ")
    assert len(message) < 400


def test_control_characters_in_a_url_are_escaped_in_the_message() -> None:
    with pytest.raises(SourceError) as caught:
        fetch("http://x.example/\x1b[31mred\u2028next", timeout=1)
    message = str(caught.value)
    assert len(message.splitlines()) == 1
    assert "\x1b" not in message and "\u2028" not in message
    assert message.startswith("http://x.example/\\x1b[31mred\\u2028next: ")
