"""Fetch a feed over HTTP(S) without letting a hostile or broken server hurt the reader.

A feed URL comes from a file or a user, and the server behind it may be slow, endless, malicious
or simply wrong. So: only http and https; one deadline for the whole fetch (DNS, connect, TLS,
every read, every redirect), not just per-read timeouts that a drip-feed defeats; a cap on the
body before *and* after gzip; redirects followed by hand, only to http(s) and, unless the caller
allows other hosts (a followed feed may move), only on the same host; no proxy taken from the
environment; and every failure is a :class:`FetchError` whose text is one line.
"""

from __future__ import annotations

import email.utils
import functools
import http
import ipaddress
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from reader import __version__
from reader.errors import SourceError
from reader.text import MAX_SOURCE

USER_AGENT = f"reader-tui/{__version__} (+terminal newsreader)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT = frozenset({301, 308})
_BUSY = frozenset({429, 503})  # statuses whose Retry-After we honour
MAX_WAIT = 86400  # a Retry-After further ahead than a day is cut to a day
_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})
# Headers that describe the bytes on the wire, not the decoded ``content`` we hand back.
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
_SHOWN_URL_MAX = 300
_REASON_MAX = 300

_TIMEOUTS: tuple[type[Exception], ...] = (httpcore.TimeoutException, httpx.TimeoutException)
_TRANSPORT_ERRORS: tuple[type[Exception], ...] = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    httpcore.ConnectionNotAvailable,
    httpx.HTTPError,
    httpx.InvalidURL,
    OSError,
)


class FetchError(SourceError):
    """A fetch that failed; ``reason`` is the message without the URL in front."""

    def __init__(self, shown: str, reason: str) -> None:
        super().__init__(f"{shown}: {reason}")
        self.reason = reason


class Gone(FetchError):
    """410 Gone: the feed is no more, and asks not to be fetched again."""


class RetryLater(FetchError):
    """429 or 503 with a Retry-After: ``until`` is when (seconds since the epoch) to try again."""

    def __init__(self, shown: str, reason: str, until: int) -> None:
        super().__init__(shown, reason)
        self.until = until


@dataclass(frozen=True, slots=True)
class Fetched:
    """A successful fetch; ``content`` is already un-gzipped, so its wire headers are dropped."""

    url: str  # final URL after redirects
    content: bytes  # decoded (gzip/deflate undone) body; empty when not modified
    headers: dict[str, str]  # response headers, lower-case names
    etag: str | None
    modified: str | None  # Last-Modified header value
    permanent: str = ""  # where the URL asked for has moved, if a run of 301/308 says so
    not_modified: bool = False  # 304: what we hold is current


def fetch(
    url: str,
    *,
    timeout: float = 15.0,
    max_bytes: int = MAX_SOURCE,
    max_redirects: int = 5,
    etag: str | None = None,
    modified: str | None = None,
) -> Fetched | None:
    """Returns None on 304 Not Modified. Raises reader.errors.SourceError on any failure.

    ``timeout`` bounds each connect and read *and* the whole fetch including redirects;
    ``max_bytes`` bounds both the bytes received and the bytes they decompress to. A body that
    is itself gzip (a ``feed.xml.gz``, or a server that compressed twice) is decompressed too.
    Redirects stay on the URL's host.
    """
    got = get(url, timeout=timeout, max_bytes=max_bytes, max_redirects=max_redirects,
              etag=etag, modified=modified)
    return None if got.not_modified else got


def get(
    url: str,
    *,
    timeout: float = 15.0,
    max_bytes: int = MAX_SOURCE,
    max_redirects: int = 5,
    etag: str | None = None,
    modified: str | None = None,
    any_host: bool = False,
    accept: str = ACCEPT,
    backend: Callable[[Deadline], httpcore.NetworkBackend] | None = None,
) -> Fetched:
    """:func:`fetch` for a followed feed: a 304 is a result (with where the feed now lives),
    410 raises :class:`Gone`, 429/503 with a Retry-After raise :class:`RetryLater`, and with
    ``any_host`` redirects may go to another host (feeds move), still only to http(s) and
    never from https down to http. ``backend`` makes the connections (by default
    :class:`Backend`; :mod:`reader.pagefetch` guards the user's network with its own).
    """
    if timeout <= 0 or max_bytes < 0 or max_redirects < 0:
        raise ValueError("fetch: timeout must be > 0, max_bytes and max_redirects >= 0")
    shown = _show(url)
    start = _parse(url, shown)
    deadline = Deadline(timeout)
    headers = {"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "gzip, deflate"}
    if etag is not None and _sendable(etag):
        headers["If-None-Match"] = etag
    if modified is not None and _sendable(modified):
        headers["If-Modified-Since"] = modified
    try:
        with httpx.Client(
            transport=_Transport((backend or Backend)(deadline)),
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            headers=headers,
        ) as client:
            return _get(client, start, shown, max_bytes, max_redirects, any_host)
    except SourceError:
        raise
    except _TIMEOUTS:
        raise _error(shown, f"timed out after {float(timeout)} s") from None
    except _TRANSPORT_ERRORS as error:
        raise _error(shown, _describe(error)) from None
    except Exception as error:  # the contract is "only SourceError escapes"
        raise _error(shown, f"unexpected {type(error).__name__}: {error}") from None


def _get(
    client: httpx.Client,
    start: httpx.URL,
    shown: str,
    max_bytes: int,
    max_redirects: int,
    any_host: bool,
) -> Fetched:
    """Walk the redirect chain by hand so every hop is checked before a request is sent.

    The permanent URL follows the chain only while every hop is a 301 or 308: after one
    temporary redirect, the URL asked for is still the one to ask for next time.
    """
    url = start
    permanent = ""
    moved = True
    redirects = 0
    while True:
        with client.stream("GET", url) as response:
            status = response.status_code
            if status not in _REDIRECTS:
                return _finish(response, start, url, permanent, shown, max_bytes)
            if redirects >= max_redirects:
                raise _error(shown, f"too many redirects (more than {max_redirects})")
            url = _redirect_target(response, start, url, shown, any_host)
            moved = moved and status in _PERMANENT
            if moved:
                permanent = str(url)
        redirects += 1


def _finish(
    response: httpx.Response,
    start: httpx.URL,
    url: httpx.URL,
    permanent: str,
    shown: str,
    max_bytes: int,
) -> Fetched:
    """Turn the last response of the chain into a result or an error."""
    status = response.status_code
    etag, modified = response.headers.get("etag"), response.headers.get("last-modified")
    if status == 304:
        return Fetched(str(url), b"", {}, etag, modified, permanent, not_modified=True)
    if not 200 <= status < 300:
        where = "" if url == start else f" (at {_show(str(url))})"
        reason = f"HTTP {status} {_phrase(response)}".rstrip() + where
        if status == 410:
            raise Gone(shown, _reason_text(reason))
        until = _retry_after(response.headers.get("retry-after", "")) if status in _BUSY else None
        if until is not None:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(until))
            raise RetryLater(shown, _reason_text(f"{reason}; retry after {stamp}"), until)
        raise _error(shown, reason)
    content = _gunzip(_read_body(response, shown, max_bytes), shown, max_bytes)
    headers = {
        name.lower(): value
        for name, value in response.headers.items()
        if name.lower() not in _WIRE_HEADERS
    }
    return Fetched(str(url), content, headers, etag, modified, permanent)


def _retry_after(value: str) -> int | None:
    """When a Retry-After (delay in seconds, or an HTTP date) says to come back, at most
    :data:`MAX_WAIT` ahead; None if it says nothing usable or a time already past."""
    value = value.strip()
    now = time.time()
    if value.isascii() and value.isdigit():
        until = now + min(int(value), MAX_WAIT)
    else:
        try:
            until = email.utils.parsedate_to_datetime(value).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
    return int(min(until, now + MAX_WAIT)) if until > now else None


def _phrase(response: httpx.Response) -> str:
    """The standard reason phrase, so a server cannot put its own words in our message."""
    try:
        return http.HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason_phrase


def _redirect_target(
    response: httpx.Response, start: httpx.URL, current: httpx.URL, shown: str, any_host: bool
) -> httpx.URL:
    """Where a redirect points, or SourceError if it may not be followed."""
    location = response.headers.get("location", "").strip()
    if not location:
        raise _error(shown, f"HTTP {response.status_code} redirect without a Location")
    try:
        target = current.join(location)
    except httpx.InvalidURL as error:
        raise _error(shown, f"bad redirect Location {location!r} ({error})") from None
    refusal = _refusal(start, current, target, any_host)
    if refusal is not None:
        raise _error(shown, refusal)
    return target.copy_with(fragment=None)


def _refusal(
    start: httpx.URL, current: httpx.URL, target: httpx.URL, any_host: bool = False
) -> str | None:
    """Why a redirect from ``current`` to ``target`` is refused, or None if it may be followed.

    Only http(s), and never back from https to http. Unless ``any_host``: the same host and
    port as the URL we were given; the one exception is the usual upgrade from http on port 80
    to https on port 443.
    """
    if target.scheme not in _SCHEMES:
        return f"redirect to a non-HTTP URL ({target.scheme or 'no scheme'}:) refused"
    if not target.host:
        return "redirect to a URL without a host refused"
    if current.scheme == "https" and target.scheme == "http":
        return "redirect from https to http refused"
    if any_host:
        return None
    port = target.port or _DEFAULT_PORTS[target.scheme]
    start_port = start.port or _DEFAULT_PORTS[start.scheme]
    upgrade = start.scheme == "http" and target.scheme == "https"
    same_port = port == start_port or (upgrade and (start_port, port) == (80, 443))
    if target.host != start.host or not same_port:
        label = target.host or "no host"
        if target.port is not None:
            label = f"{label}:{target.port}"
        return f"redirect to another host ({label}) refused"
    return None


def _read_body(response: httpx.Response, shown: str, max_bytes: int) -> bytes:
    """Stream the body, stopping as soon as raw or decoded bytes pass ``max_bytes``."""
    too_big = _error(shown, f"larger than {_size(max_bytes)}")
    decoder = _Decoder(_content_encoding(response, shown))
    declared = response.headers.get("content-length", "")
    if decoder.identity and declared.isdigit() and int(declared) > max_bytes:
        raise too_big
    parts: list[bytes] = []
    received = produced = 0
    for chunk in response.iter_raw():
        received += len(chunk)
        if received > max_bytes:
            raise too_big
        try:
            piece = decoder.feed(chunk, max_bytes - produced + 1)
        except zlib.error as error:
            raise _error(shown, f"bad {decoder.encoding} data ({error})") from None
        produced += len(piece)
        if produced > max_bytes:
            raise too_big
        parts.append(piece)
    return b"".join(parts)


def _gunzip(content: bytes, shown: str, max_bytes: int) -> bytes:
    """A gzip payload (not a Content-Encoding) decompressed, within the same cap."""
    if not content.startswith(b"\x1f\x8b"):
        return content
    decoder = _Decoder("gzip")
    try:
        plain = decoder.feed(content, max_bytes + 1)
    except zlib.error as error:
        raise _error(shown, f"gzip-compressed, and the gzip data is bad ({error})") from None
    if len(plain) > max_bytes:
        raise _error(shown, f"larger than {_size(max_bytes)} once decompressed")
    if not decoder.finished:
        raise _error(shown, "gzip-compressed, and the gzip data is cut short")
    return plain


def _content_encoding(response: httpx.Response, shown: str) -> str:
    """The one compression we must undo; anything we did not ask for is an error."""
    codings = [
        coding.strip().lower()
        for coding in response.headers.get("content-encoding", "").split(",")
        if coding.strip() and coding.strip().lower() != "identity"
    ]
    if not codings:
        return "identity"
    if len(codings) == 1 and codings[0] in _ENCODINGS:
        return "gzip" if codings[0] == "x-gzip" else codings[0]
    raise _error(shown, f"unsupported Content-Encoding {', '.join(codings)!r}")


class _Decoder:
    """Undo gzip or deflate a piece at a time, never making more than asked: a bomb stops early."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self.identity = encoding == "identity"
        self._zlib: Any = None if self.identity else self._new()
        self._started = False
        self._between_members = False
        self._done = False

    def _new(self, wbits: int | None = None) -> Any:
        if wbits is None:
            wbits = zlib.MAX_WBITS | 16 if self.encoding == "gzip" else zlib.MAX_WBITS
        return zlib.decompressobj(wbits=wbits)

    @property
    def finished(self) -> bool:
        """Whether the compressed data ended where it should (not cut short)."""
        return self.identity or self._between_members or self._done

    def feed(self, data: bytes, room: int) -> bytes:
        """Decode ``data``, returning at most ``room`` bytes (``room`` means "over the cap")."""
        if self.identity:
            return data
        out: list[bytes] = []
        while data and room > 0 and not self._done:
            if self._between_members:
                # Concatenated gzip members are one body; anything else after the end is junk.
                if self.encoding != "gzip" or not data.startswith(b"\x1f\x8b"):
                    self._done = True
                    break
                self._zlib = self._new()
                self._between_members = False
            try:
                piece: bytes = self._zlib.decompress(data, room)
            except zlib.error:
                if self.encoding != "deflate" or self._started:
                    raise
                # Some servers send raw deflate without the zlib wrapper the RFC asks for.
                self._zlib = self._new(-zlib.MAX_WBITS)
                self._started = True
                continue
            self._started = True
            out.append(piece)
            room -= len(piece)
            if self._zlib.eof:
                data = self._zlib.unused_data
                self._between_members = True
            else:
                data = self._zlib.unconsumed_tail  # only non-empty when room ran out
        return b"".join(out)


class Deadline:
    """One clock for a whole fetch, so no sequence of slow-but-alive steps can outlast it."""

    def __init__(self, seconds: float) -> None:
        self._end = time.monotonic() + seconds

    def clamp(self, timeout: float | None, expired: type[Exception]) -> float:
        """The per-operation timeout cut down to what is left, or ``expired`` if nothing is."""
        left = self._end - time.monotonic()
        if left <= 0:
            raise expired("deadline passed")
        return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket stream whose every read and write is bounded by the fetch deadline."""

    def __init__(self, stream: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._stream = stream
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, self._deadline.clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, self._deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        limit = self._deadline.clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._stream.start_tls(ssl_context, server_hostname, limit), self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class Backend(httpcore.NetworkBackend):
    """httpcore's socket backend with DNS and connect inside the deadline too."""

    def __init__(self, deadline: Deadline) -> None:
        self._deadline = deadline
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        options = list(socket_options or ())
        failure: httpcore.ConnectError | None = None
        for address in self.resolve(host, port):
            limit = self._deadline.clamp(timeout, httpcore.ConnectTimeout)
            try:
                stream = self._sockets.connect_tcp(address, port, limit, local_address, options)
            except httpcore.ConnectError as error:
                failure = error
                continue
            return _Stream(stream, self._deadline)
        assert failure is not None  # _resolve never returns an empty list
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not used for feeds")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def resolve(self, host: str, port: int) -> list[str]:
        """Addresses for ``host``; looked up in a helper thread because getaddrinfo has no timeout.

        If the resolver hangs, the fetch still ends at the deadline; the daemon thread is left
        to finish on the resolver's own timeout.
        """
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            pass
        box: list[list[str] | OSError] = []

        def lookup() -> None:
            try:
                found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                box.append(list(dict.fromkeys(str(info[4][0]) for info in found)))
            except OSError as error:
                box.append(error)

        thread = threading.Thread(target=lookup, name=f"resolve {host}", daemon=True)
        thread.start()
        thread.join(self._deadline.clamp(None, httpcore.ConnectTimeout))
        if not box:
            raise httpcore.ConnectTimeout(f"looking up {host} timed out")
        result = box[0]
        if isinstance(result, OSError) or not result:
            detail = result.strerror if isinstance(result, OSError) else None
            raise httpcore.ConnectError(
                f"cannot resolve host {host}" + (f" ({detail})" if detail else "")
            )
        return result


class _Body(httpx.SyncByteStream):
    """Hands httpcore's body stream to httpx, closing the connection with the response."""

    def __init__(self, response: httpcore.Response) -> None:
        self._response = response

    def __iter__(self) -> Iterator[bytes]:
        yield from self._response.iter_stream()

    def close(self) -> None:
        self._response.close()


class _Transport(httpx.BaseTransport):
    """httpx over httpcore, as httpx's own transport does, but with the deadline backend.

    httpx offers no public way to give its transport a network backend, so this is the small
    bridge it would otherwise be. httpcore exceptions pass through; ``fetch`` maps them.
    """

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(), network_backend=backend, retries=0,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        core = self._pool.handle_request(
            httpcore.Request(
                method=request.method,
                url=httpcore.URL(
                    scheme=request.url.raw_scheme,
                    host=request.url.raw_host,
                    port=request.url.port,
                    target=request.url.raw_path,
                ),
                headers=request.headers.raw,
                extensions=request.extensions,
            )
        )
        return httpx.Response(
            status_code=core.status,
            headers=core.headers,
            stream=_Body(core),
            extensions=core.extensions,
        )

    def close(self) -> None:
        self._pool.close()


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """Certificate verification on, CA bundle loaded once rather than on every fetch."""
    return httpx.create_ssl_context(trust_env=False)


def _parse(url: str, shown: str) -> httpx.URL:
    """Check the URL before any I/O: absolute http(s), with a host and a sane port."""
    if not isinstance(url, str):
        raise _error(shown, "not a URL")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise _error(shown, "not a valid URL (contains whitespace or control characters)")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as error:
        raise _error(shown, f"not a valid URL ({error})") from None
    if not parsed.scheme:
        raise _error(shown, "not an absolute URL (it needs http:// or https://)")
    if parsed.scheme not in _SCHEMES:
        raise _error(shown, f"unsupported URL scheme '{parsed.scheme}:' (only http and https)")
    if not parsed.host:
        raise _error(shown, "no host in URL")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise _error(shown, f"not a valid URL (port {parsed.port} out of range)")
    return parsed.copy_with(fragment=None)


def _sendable(value: str) -> bool:
    """Whether a stored validator can go in a header; one that cannot only costs a full GET."""
    return bool(value) and all(" " <= ch <= "~" for ch in value)


def _describe(error: BaseException) -> str:
    """A short reason for a transport failure, from the OS or TLS error at its root if any."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"TLS certificate not accepted ({seen.verify_message})"
        if isinstance(seen, ssl.SSLError):
            return f"TLS error ({seen.reason or seen})"
        if isinstance(seen, OSError) and seen.strerror:
            return seen.strerror[:1].lower() + seen.strerror[1:]
        seen = seen.__cause__ or seen.__context__
    if isinstance(error, httpcore.RemoteProtocolError | httpx.RemoteProtocolError):
        return f"bad HTTP response ({error})"
    return str(error) or type(error).__name__


def failure(url: str, reason: str) -> FetchError:
    """The one-line error of a fetch of ``url`` (as a caller found it wanting)."""
    return _error(_show(url), reason)


def _error(shown: str, reason: str) -> FetchError:
    """The one-line ``<url>: <what is wrong>`` message every failure carries."""
    return FetchError(shown, _reason_text(reason))


def _reason_text(reason: str) -> str:
    reason = " ".join(_printable(reason).split())
    if len(reason) > _REASON_MAX:
        reason = reason[: _REASON_MAX - 1] + "…"
    return reason


def _show(url: object) -> str:
    """The URL as it may appear in a one-line message: control characters escaped, length cut."""
    text = _printable(url if isinstance(url, str) else repr(url)) or "(empty URL)"
    if len(text) > _SHOWN_URL_MAX:
        text = text[: _SHOWN_URL_MAX - 1] + "…"
    return text


def _printable(text: str) -> str:
    """Escape anything that could break a line or a terminal (newlines, ESC, U+2028, ...)."""
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def _size(n: int) -> str:
    """Human size for the "larger than" message, exact for the round numbers caps use."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} bytes"
