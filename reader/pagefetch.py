"""Fetching an article's web page: feed fetching's rules, and a guard for the user's network.

A page is fetched as a feed is (:mod:`reader.fetch`: http and https only, one deadline for
the whole fetch, a size cap before and after gzip, redirects checked hop by hop and never to
another scheme nor from https down to http), except that an article link may redirect to
another host: news sites do.

The guard: a feed from the internet must not be able to make the reader fetch addresses on
the user's own machine or network (a router's admin page, a service on localhost). Every
connection, the first and the one after each redirect, resolves the host itself, drops the
addresses that are internal (loopback, private, shared, link-local, unique-local, multicast,
unspecified, reserved; IPv4 and IPv6, including IPv4 inside IPv6) and connects only to an
address it has checked, so DNS cannot answer one address to the check and another to the
connection. A feed that itself lives on an internal address (an intranet feed, a test
server) may link to internal pages: the caller says which with ``private``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpcore

from reader.fetch import Backend, Deadline, failure, get
from reader.text import MAX_SOURCE

TIMEOUT = 15.0  # seconds for a page's whole fetch, as reader.refresh gives a feed
MAX_REDIRECTS = 5
ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def internal(address: Address) -> bool:
    """Whether an address is on this machine or its network, or is no one's to fetch from:
    anything but a global unicast address. IPv4 carried in IPv6 (mapped, 6to4, NAT64) is
    judged as the IPv4 address it carries."""
    if isinstance(address, ipaddress.IPv6Address):
        carried = address.ipv4_mapped or address.sixtofour
        if carried is None and any(address in net for net in _NAT64):
            carried = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if carried is not None:
            return internal(carried)
    return not address.is_global or address.is_multicast


def private_source(url: str, timeout: float = 5.0) -> bool:
    """Whether ``url`` (a feed's, or a page the user asked for) lives on an internal address:
    then the pages it links to may too. Every address its host resolves to must be internal;
    a name that does not resolve, or a file, counts as the internet."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or 0
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not host:
        return False
    try:
        found = Backend(Deadline(timeout)).resolve(host, port)
    except (httpcore.ConnectError, httpcore.ConnectTimeout):
        return False
    return all(internal(ipaddress.ip_address(address)) for address in found)


class Refused(httpcore.ConnectError):
    """A connection the guard would not make; the text says why."""


class _GuardedBackend(Backend):
    """Feed fetching's backend (deadline on DNS and connect) that resolves, checks, and
    connects only to the addresses it checked."""

    def __init__(self, deadline: Deadline, private: bool) -> None:
        super().__init__(deadline)
        self._private = private

    def resolve(self, host: str, port: int) -> list[str]:
        found = super().resolve(host, port)
        if self._private:
            return found
        allowed = [a for a in found if not internal(ipaddress.ip_address(a))]
        if not allowed:
            raise Refused(f"{host} is on this machine or its network ({found[0]}): "
                          "not fetched for a feed from the internet")
        return allowed


@dataclass(frozen=True, slots=True)
class Page:
    """A fetched page: where it ended up after redirects, its bytes and their type."""

    url: str
    content: bytes
    content_type: str


def fetch_page(
    url: str, *, private: bool, timeout: float = TIMEOUT, max_bytes: int = MAX_SOURCE
) -> Page:
    """Fetch a web page; raises :class:`reader.errors.SourceError` (one line) on any failure,
    including a body that is not a web page. ``private``: internal addresses allowed."""
    got = get(url, timeout=timeout, max_bytes=max_bytes, max_redirects=MAX_REDIRECTS,
              any_host=True, accept=ACCEPT,
              backend=lambda deadline: _GuardedBackend(deadline, private))
    if got.not_modified:
        raise failure(url, "HTTP 304 Not Modified, and no page")
    content_type = got.headers.get("content-type", "")
    if not _is_page(content_type, got.content):
        kind = content_type.split(";")[0].strip() or "no Content-Type"
        raise failure(url, f"not a web page ({kind})")
    return Page(got.url, got.content, content_type)


def _is_page(content_type: str, content: bytes) -> bool:
    """HTML or XHTML by its type; with no type (or a generic one), by its first bytes."""
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/html", "application/xhtml+xml"):
        return True
    if kind not in ("", "application/octet-stream", "text/plain"):
        return False
    head = content[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--"))
