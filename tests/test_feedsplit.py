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


def test_a_broken_big_feed_imports_as_if_it_had_not_been_cut(
    tmp_path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    """The import cuts without checking the whole feed; a part that is not well-formed makes
    it parse the whole feed instead, which feedparser reads with its loose parser."""
    from reader.importer import import_sources, parse
    from reader.store import Store

    monkeypatch.setattr(feedsplit, "MIN_SIZE", 0)
    monkeypatch.setattr("os.cpu_count", lambda: 2)  # a pool, and the feed cut in two
    data = FEED.read_bytes()
    # A stray byte that is not UTF-8: the whole feed decodes another way (every typographic
    # quote of every item changes); a part without it would decode as UTF-8.
    at = data.index(b"<item>", len(data) // 5)
    broken = data[:at] + b"<item><title>Stray \xff byte</title></item>" + data[at:]
    assert len(feedsplit.split(broken, 2, check=False)) == 2
    assert feedsplit.split(broken, 2) == [broken]
    path = tmp_path / "broken.xml"
    path.write_bytes(broken)
    store = Store.open(tmp_path / "db")
    (report,) = import_sources(store, [str(path)])
    whole = parse(broken, str(path)).items
    assert report.counts is not None and report.counts.added == len(whole)
    assert sorted(h.title for h in store.headlines()) == sorted(i.title for i in whole)
    pieces = [i.title for part in feedsplit.split(broken, 2, check=False)
              for i in parse(part, str(path)).items]
    assert sorted(pieces) != sorted(i.title for i in whole)  # what parsing the parts gives


def test_every_part_well_formed_and_so_the_whole(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(feedsplit, "MIN_SIZE", 0)
    data = FEED.read_bytes()
    parts = feedsplit.split(data, 3, check=False)
    assert parts == feedsplit.split(data, 3) and len(parts) == 3
    assert all(feedsplit.well_formed(part) for part in parts) and feedsplit.well_formed(data)
