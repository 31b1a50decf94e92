"""A big feed cut into parts parses to exactly the items of the whole feed, in order."""

from __future__ import annotations

from reader import feedsplit
from reader.feed import parse_feed
from tests.conftest import FEED


def test_split_parts_parse_to_the_same_items(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feedsplit, "MIN_SIZE", 0)
    data = FEED.read_bytes()
    parts = feedsplit.split(data, 3)
    assert len(parts) == 3
    whole = parse_feed(data, "whole").items
    pieces = [item for part in parts for item in parse_feed(part, "whole").items]
    assert pieces == whole and len(whole) == 20


def test_atom_is_cut_between_entries(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feedsplit, "MIN_SIZE", 0)
    entries = "".join(
        f"<entry><title>T{i}</title><id>urn:{i}</id><summary>S{i}</summary></entry>\n"
        for i in range(10)
    )
    data = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>F</title>{entries}</feed>'.encode()
    parts = feedsplit.split(data, 2)
    assert len(parts) == 2
    titles = [item.title for part in parts for item in parse_feed(part, "atom").items]
    assert titles == [f"T{i}" for i in range(10)]


def test_anything_unusual_is_left_whole(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feedsplit, "MIN_SIZE", 0)
    odd = (
        b"<rss><channel><item>a</item><!-- x --><item>b</item><!-- y --><item>c</item>"
        b"</channel></rss>"
    )
    assert feedsplit.split(odd, 2) == [odd]  # every cut would fall before a comment
    assert feedsplit.split(b"not a feed at all", 2) == [b"not a feed at all"]
    small = FEED.read_bytes()
    monkeypatch.setattr(feedsplit, "MIN_SIZE", len(small) + 1)
    assert feedsplit.split(small, 2) == [small]
