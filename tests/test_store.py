"""The store's promises, one at a time: what persists, what a change rewrites, how merges count."""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import astuple
from pathlib import Path
from typing import Any

import orjson
import pytest

from reader import store as store_module
from reader.article import Item
from reader.errors import StoreError
from reader.repair import repair
from reader.storage import load_tables
from reader.store import Counts, Store

ROOT = Path(__file__).resolve().parent.parent
FEED_URL = "https://example.org/feed.xml"  # where feed_item()s come from
SEED_PATH = "/home/user/seed.txt"  # where seed_item()s come from
AS_FEED: dict[str, Any] = {"authoritative": True, "source": FEED_URL}
AS_SEED: dict[str, Any] = {"authoritative": False, "source": SEED_PATH}


def feed_item(i: int, version: str = "first", **change: object) -> Item:
    item = Item(
        title=f"Story {i}", standfirst=f"Standfirst {i} ({version})", body=[f"Body {i} {version}"],
        link=f"https://example.org/{i}", guid=f"urn:story:{i}", author=f"Author {i}",
        feed="Example feed", published=1_700_000_000 + i,
    )
    for name, value in change.items():
        setattr(item, name, value)
    return item


def seed_item(i: int) -> Item:
    return Item(title=f"Story {i}", standfirst=f"Seed standfirst {i}", body=[f"Seed body {i}"],
                feed="seed")


def stamp(path: Path) -> tuple[int, int, int]:
    status = path.stat()
    return (status.st_ino, status.st_mtime_ns, status.st_size)


def files(path: Path) -> dict[str, bytes]:
    """Every file of a store (the search index's too), by its path inside the store."""
    return {
        str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*"))
        if p.is_file() and p.name != "store.lock"
    }


@pytest.fixture
def small_segments(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Segments of 10 articles, so that a test can fill several."""
    monkeypatch.setattr(store_module, "SEGMENT_SIZE", 10)
    yield 10


# --- what persists ------------------------------------------------------------------------------


def test_flags_persist_across_reopen(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(5)], **AS_FEED)
    ids = [head.id for head in store.headlines()]
    store.set_read(ids[0])
    store.set_starred(ids[1])
    store.set_read(ids[2])
    store.set_read(ids[2], False)
    store.set_starred(ids[3])
    store.set_read(ids[3])

    again = Store.open(db)
    flags = {head.id: (head.read, head.starred) for head in again.headlines()}
    assert flags == {
        ids[0]: (True, False), ids[1]: (False, True), ids[2]: (False, False),
        ids[3]: (True, True), ids[4]: (False, False),
    }
    newest = again.headlines()[0]
    assert newest.title == "Story 4"  # newest first
    assert again.content(newest.id).standfirst == "Standfirst 4 (first)"


def test_merged_articles_persist_across_reopen(tmp_path: Path) -> None:
    db = tmp_path / "db"
    Store.open(db).merge([feed_item(i) for i in range(3)], **AS_FEED)
    again = Store.open(db)
    assert sorted(head.title for head in again.headlines()) == ["Story 0", "Story 1", "Story 2"]
    head = next(h for h in again.headlines() if h.title == "Story 1")
    assert (head.link, head.guid, head.author, head.published) == (
        "https://example.org/1", "urn:story:1", "Author 1", 1_700_000_001,
    )
    assert again.content(head.id).body == ["Body 1 first"]


# --- what a change rewrites ---------------------------------------------------------------------


def test_marking_read_rewrites_only_the_flags_file(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(5)], **AS_FEED)
    article_id = store.headlines()[0].id
    before = {name: stamp(db / name) for name in files(db)}
    time.sleep(0.01)

    store.set_read(article_id)
    store.set_starred(article_id)

    after = {name: stamp(db / name) for name in files(db)}
    changed = {name for name in after if after[name] != before.get(name)}
    assert changed == {"00000.flags.json"}
    state = load_tables(db / "00000.flags.json", (db / "00000.flags.json").read_bytes())
    assert list(state["flags"].values()) == [{"read": True, "starred": True}]


def test_import_does_not_rewrite_full_segments(tmp_path: Path, small_segments: int) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(25)], **AS_FEED)
    assert sorted(p.name for p in db.glob("*.heads.json")) == [
        "00000.heads.json", "00001.heads.json", "00002.heads.json",
    ]
    full = [db / f"0000{n}.{kind}.json" for n in (0, 1) for kind in ("00.text", "heads")]
    before = {path: stamp(path) for path in full}
    last = stamp(db / "00002.00.text.json")
    time.sleep(0.01)

    counts = store.merge([feed_item(i) for i in range(20, 40)], **AS_FEED)

    assert counts == Counts(added=15, updated=0, unchanged=5)
    assert {path: stamp(path) for path in full} == before
    assert stamp(db / "00002.00.text.json") != last  # the part-full segment takes new articles
    assert (db / "00003.heads.json").exists()
    assert len(Store.open(db)) == 40


def test_an_article_in_a_slot_past_the_segment_size_stays_where_it_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store migrated from format 1 keeps its doc ids as slots, which may run past the
    segment size: such an article must still be read, flagged and updated in its own slot."""
    monkeypatch.setattr(store_module, "SEGMENT_SIZE", 7)
    db = tmp_path / "db"
    Store.open(db).merge([feed_item(i) for i in range(5)], **AS_FEED)
    for name, table in (("00000.heads.json", "heads"), ("00000.00.text.json", "text")):
        tables = orjson.loads((db / name).read_bytes())
        tables[table]["9"] = tables[table].pop("5")  # slot 9 of segment 0: seq 9 is 1's slot 2
        (db / name).write_bytes(orjson.dumps(tables))
    store = Store.open(db)
    moved = next(h for h in store.headlines() if h.title == "Story 4")
    store.set_read(moved.id)
    assert store.content(moved.id).standfirst == "Standfirst 4 (first)"
    assert store.merge([feed_item(4, "second"), feed_item(5)], **AS_FEED) == Counts(
        added=1, updated=1
    )
    store = Store.open(db)
    head = store.get(moved.id)
    assert head is not None and head.read and head.seq == 9
    assert store.content(moved.id).standfirst == "Standfirst 4 (second)"
    assert sorted(h.title for h in store.headlines()) == [f"Story {i}" for i in range(6)]
    assert "9" in orjson.loads((db / "00000.heads.json").read_bytes())["heads"]


def test_after_each_merge_memory_is_what_a_fresh_open_reads(
    tmp_path: Path, small_segments: int
) -> None:
    """A merge keeps the headlines it placed instead of reading its own files back: they must
    be exactly what opening the store again gives, flags, names and match maps included."""
    db = tmp_path / "db"
    store = Store.open(db)

    def same() -> None:
        fresh = Store.open(db)
        assert [astuple(h) for h in store.headlines()] == [astuple(h) for h in fresh.headlines()]
        store._ensure_keys()
        fresh._ensure_keys()
        assert store._claimable == fresh._claimable
        for feed in fresh.feeds():
            assert store._keys(feed["id"]) == fresh._keys(feed["id"]), feed["url"]
        assert {n: s.last for n, s in store._segments.items()} == {
            n: s.last for n, s in fresh._segments.items()
        }

    store.merge([seed_item(i) for i in range(7)], **AS_SEED)
    same()
    store.set_read(store.headlines()[2].id)
    store.set_starred(store.headlines()[5].id)
    store.merge([feed_item(i) for i in range(4, 16)], **AS_FEED)  # claims 4-6; a new segment
    same()
    store.merge([feed_item(i, "second") for i in range(0, 20, 3)], **AS_FEED)
    same()
    store.merge([feed_item(i, "third", title=f"Renamed {i}") for i in range(3)], **AS_FEED)
    same()


def test_reimport_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(5)], **AS_FEED)
    before = files(db)
    stamps = {name: stamp(db / name) for name in before}
    counts = Store.open(db).merge([feed_item(i) for i in range(5)], **AS_FEED)
    assert counts == Counts(unchanged=5)
    assert {name: stamp(db / name) for name in files(db)} == stamps


# --- atomic writes ------------------------------------------------------------------------------

_WRITER = """
import sys
from reader.store import Store
store = Store.open(sys.argv[1])
ids = [h.id for h in store.headlines()]
for n in range(int(sys.argv[2])):
    store.set_read(ids[n % len(ids)], n % 3 == 0)
"""


def test_no_partial_file_is_ever_visible(tmp_path: Path) -> None:
    """A reader polling a file while another process rewrites it sees only whole versions."""
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(200)], **AS_FEED)
    store.set_read(store.headlines()[0].id)
    state = db / "00000.flags.json"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(db), "400"], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    reads = versions = 0
    seen = b""
    try:
        while writer.poll() is None:
            data = state.read_bytes()
            load_tables(state, data)  # raises StoreDamaged on a partial file
            reads += 1
            versions += data != seen
            seen = data
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == 0
    assert versions > 10, (reads, versions)  # we did read while the file was being replaced


def test_failed_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(5)], **AS_FEED)
    first, second = (head.id for head in store.headlines()[:2])
    store.set_read(first)
    before = files(db)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError) as raised:
        store.set_read(second)
    monkeypatch.undo()

    message = str(raised.value)
    assert "\n" not in message and "00000.flags.json" in message and "disk full" in message
    assert files(db) == before  # no temporary file either: `files` lists hidden ones too
    head = store.get(second)
    assert head is not None and not head.read  # memory agrees with the disk
    assert [h.read for h in Store.open(db).headlines() if h.id in (first, second)].count(True) == 1


def test_leftover_temporaries_are_ignored_and_removed_on_open(tmp_path: Path) -> None:
    db = tmp_path / "db"
    Store.open(db).merge([feed_item(i) for i in range(3)], **AS_FEED)
    leftovers = [db / ".00000.heads.json.4242.tmp", db / ".00000.00.text.json.4242.tmp"]
    leftovers[0].write_bytes(b'{"heads":{"1":{"id":"half-writ')
    leftovers[1].write_bytes(b"")
    store = Store.open(db)
    assert len(store) == 3
    assert not any(path.exists() for path in leftovers)


def test_temporaries_are_left_alone_while_another_process_writes(tmp_path: Path) -> None:
    db = tmp_path / "db"
    Store.open(db).merge([feed_item(i) for i in range(3)], **AS_FEED)
    in_flight = db / ".00000.heads.json.4242.tmp"
    in_flight.write_bytes(b'{"heads":{')
    fd = os.open(db / "store.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a writer in another process would hold it
        assert len(Store.open(db)) == 3
        assert in_flight.exists()
    finally:
        os.close(fd)


def test_each_version_of_a_file_is_newer_than_the_last(tmp_path: Path) -> None:
    """Other processes tell versions apart by (inode, mtime, size): mtime must never repeat.

    Inode numbers are reused at once by the next rename, and a coarse or stepped-back clock
    repeats mtimes; the store moves each new version's mtime past the old one's.
    """
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(3)], **AS_FEED)
    article_id = store.headlines()[0].id
    store.set_read(article_id)
    state = db / "00000.flags.json"
    future = time.time_ns() + 3600 * 10**9
    os.utime(state, ns=(future, future))  # as if the clock had since been set back an hour
    other = Store.open(db)

    store.set_read(article_id, False)

    assert state.stat().st_mtime_ns > future
    assert other.refresh()
    head = other.get(article_id)
    assert head is not None and not head.read


# --- merge semantics ----------------------------------------------------------------------------


def test_seed_then_feed_enriches_and_reimport_is_idempotent(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    assert store.merge([seed_item(i) for i in range(4)], **AS_SEED) == Counts(added=4)
    ids = {head.title: head.id for head in store.headlines()}

    assert store.merge([feed_item(i) for i in range(4)], **AS_FEED) == Counts(updated=4)

    assert len(store) == 4
    assert {head.title: head.id for head in store.headlines()} == ids  # same articles, enriched
    head = store.get(ids["Story 2"])
    assert head is not None
    assert (head.link, head.guid, head.author, head.published, head.feed) == (
        "https://example.org/2", "urn:story:2", "Author 2", 1_700_000_002, "Example feed",
    )
    assert store.content(head.id).standfirst == "Standfirst 2 (first)"  # the feed wins

    assert store.merge([feed_item(i) for i in range(4)], **AS_FEED) == Counts(unchanged=4)
    assert store.merge([seed_item(i) for i in range(4)], **AS_SEED) == Counts(
        unchanged=4
    )
    assert store.content(head.id).standfirst == "Standfirst 2 (first)"  # seed never overwrites


def test_feed_then_seed_fills_only_what_is_missing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    store.merge([feed_item(0, body=[]), feed_item(1)], **AS_FEED)
    counts = store.merge([seed_item(0), seed_item(1)], **AS_SEED)
    assert counts == Counts(updated=1, unchanged=1)
    by_title = {head.title: head for head in store.headlines()}
    assert store.content(by_title["Story 0"].id).body == ["Seed body 0"]  # was missing
    assert store.content(by_title["Story 0"].id).standfirst == "Standfirst 0 (first)"
    assert store.content(by_title["Story 1"].id).body == ["Body 1 first"]


def test_counts_added_updated_unchanged(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    assert store.merge([feed_item(i) for i in range(5)], **AS_FEED) == Counts(added=5)
    batch = [feed_item(i) for i in range(3)] + [feed_item(3, "second")]
    batch += [feed_item(i) for i in range(10, 12)]
    assert store.merge(batch, **AS_FEED) == Counts(added=2, updated=1, unchanged=3)
    assert len(store) == 7
    updated = next(h for h in store.headlines() if h.title == "Story 3")
    assert store.content(updated.id).standfirst == "Standfirst 3 (second)"


def test_a_feed_item_is_matched_by_its_guid_even_if_retitled(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    store.merge([feed_item(1)], **AS_FEED)
    counts = store.merge([feed_item(1, title="Story 1, corrected")], **AS_FEED)
    assert counts == Counts(updated=1)
    assert [head.title for head in store.headlines()] == ["Story 1, corrected"]


def test_a_merge_keeps_flags(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(1)], **AS_FEED)
    article_id = store.headlines()[0].id
    store.set_starred(article_id)
    Store.open(db).merge([feed_item(1, "second")], **AS_FEED)
    head = Store.open(db).get(article_id)
    assert head is not None and head.starred


def test_reimport_brings_an_index_left_behind_by_a_crash_up_to_date(tmp_path: Path) -> None:
    """A kill between the text rename and the headlines rename leaves the headline old."""
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(1)], **AS_FEED)
    articles = db / "00000.00.text.json"
    tables = orjson.loads(articles.read_bytes())
    tables["text"]["1"]["author"] = "Author, corrected"  # the text went in, the headline did not
    articles.write_bytes(orjson.dumps(tables))

    again = Store.open(db)
    assert again.headlines()[0].author == "Author 1"
    counts = again.merge([feed_item(1, author="Author, corrected")], **AS_FEED)

    assert counts == Counts(updated=1)
    assert Store.open(db).headlines()[0].author == "Author, corrected"


# --- identity per feed --------------------------------------------------------------------------


OTHER_URL = "https://other.example.net/rss"


def test_two_feeds_sharing_a_guid_keep_two_articles_that_never_flip(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    a = Item(title="From A", guid="1", standfirst="A's text", feed="Feed A")
    b = Item(title="From B", guid="1", standfirst="B's text", feed="Feed B")
    assert store.merge([a], **AS_FEED) == Counts(added=1)
    assert store.merge([b], authoritative=True, source=OTHER_URL) == Counts(added=1)
    assert store.merge([a], **AS_FEED) == Counts(unchanged=1)

    again = Store.open(tmp_path / "db")
    found = {h.feed_url: (h.title, h.feed, again.content(h.id).standfirst)
             for h in again.headlines()}
    assert found == {
        FEED_URL: ("From A", "Feed A", "A's text"),
        OTHER_URL: ("From B", "Feed B", "B's text"),
    }


def test_items_sharing_one_link_without_guid_are_distinct_articles(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    status = "https://status.example.org/incident/42"
    items = [Item(title=t, link=status, feed="Status") for t in
             ("Outage began", "Outage update", "Outage resolved")]
    assert store.merge(items, **AS_FEED) == Counts(added=3)
    assert store.merge(items, **AS_FEED) == Counts(unchanged=3)


def test_a_title_only_item_never_overwrites_another_feeds_article(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    store.merge([Item(title="Weekly digest", standfirst="Feed A's digest", feed="A")],
                **AS_FEED)
    counts = store.merge([Item(title="Weekly digest", standfirst="Feed B's digest", feed="B")],
                         authoritative=True, source=OTHER_URL)
    assert counts == Counts(added=1)
    texts = sorted(store.content(h.id).standfirst for h in store.headlines())
    assert texts == ["Feed A's digest", "Feed B's digest"]


def test_every_article_belongs_to_a_feed_record_with_defaults(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    store.merge([feed_item(1)], **AS_FEED)
    store.merge([seed_item(2)], **AS_SEED)
    feeds = {f["url"]: f for f in Store.open(tmp_path / "db").feeds()}
    assert set(feeds) == {FEED_URL, SEED_PATH}
    feed = feeds[FEED_URL]
    assert (feed["kind"], feed["title"], feed["tags"], feed["full_text"]) == (
        "feed", "Example feed", [], False
    )
    assert feed["etag"] == "" and feed["error"] is None and feed["updated"] is not None
    assert feeds[SEED_PATH]["kind"] == "text"
    assert {h.feed_id for h in store.headlines()} == {feeds[FEED_URL]["id"], feeds[SEED_PATH]["id"]}


def test_a_feed_without_a_title_is_named_by_its_file_or_host(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    store.merge([Item(title="x", guid="x")], authoritative=True, source="/home/me/feeds/news.xml")
    store.merge([Item(title="y", guid="y")], authoritative=True, source="https://blog.example/f")
    assert sorted(h.feed for h in store.headlines()) == ["blog.example", "news"]


def test_a_record_without_a_newer_optional_field_still_loads(tmp_path: Path) -> None:
    """A later release adds fields with defaults: an older store must not look damaged."""
    db = tmp_path / "db"
    Store.open(db).merge([feed_item(1)], **AS_FEED)
    path = db / "00000.heads.json"
    tables = orjson.loads(path.read_bytes())
    for record in tables["heads"].values():
        del record["rev"]
        record["a_field_from_the_future"] = [1, 2]
    path.write_bytes(orjson.dumps(tables))
    head = Store.open(db).headlines()[0]
    assert head.rev == 0 and head.title == "Story 1"


# --- text apart from headlines ------------------------------------------------------------------


def test_opening_one_article_reads_one_small_text_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db"
    Store.open(db).merge([feed_item(i) for i in range(450)], **AS_FEED)
    store = Store.open(db)
    read: list[str] = []
    real = Path.read_bytes

    def spy(self: Path) -> bytes:
        read.append(self.name)
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    oldest = store.headlines()[-1]
    content = store.content(oldest.id)
    monkeypatch.undo()

    assert content.standfirst == "Standfirst 0 (first)"
    assert read == ["00000.00.text.json"]
    texts = sum(p.stat().st_size for p in db.glob("*.text.json"))
    assert (db / read[0]).stat().st_size < texts / 4


def test_changing_one_articles_text_rewrites_one_text_file(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(450)], **AS_FEED)
    before = {p.name: stamp(p) for p in db.glob("*.text.json")}
    time.sleep(0.01)
    counts = store.merge([feed_item(300, "second")], **AS_FEED)
    after = {p.name: stamp(p) for p in db.glob("*.text.json")}
    assert counts == Counts(updated=1)
    assert {n for n in after if after[n] != before[n]} == {"00000.03.text.json"}
    head = next(h for h in Store.open(db).headlines() if h.title == "Story 300")
    assert head.rev == 2  # the search index re-reads an article whose rev changed


# --- deleting: tombstones -----------------------------------------------------------------------


def test_a_deleted_article_does_not_come_back_while_its_feed_carries_it(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(5)], **AS_FEED)
    gone = [h.id for h in store.headlines() if h.title in ("Story 1", "Story 3")]
    store.set_starred(gone[0])
    assert store.delete(gone) == 2

    again = Store.open(db)
    assert len(again) == 3 and all(again.get(i) is None for i in gone)
    counts = again.merge([feed_item(i) for i in range(6)], **AS_FEED)
    assert counts == Counts(added=1, unchanged=5)
    assert len(Store.open(db)) == 4


def test_a_merge_maps_only_its_own_feeds_items_and_tombstones_still_hold(tmp_path: Path) -> None:
    """Item keys are mapped per feed, at the first merge into that feed: a new feed needs
    none of the store's other keys, and a feed mapped after a delete sees its tombstones."""
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(5)], **AS_FEED)
    gone = [h.id for h in store.headlines() if h.title == "Story 2"]
    store.delete(gone)
    other = {"authoritative": True, "source": "https://other.example/feed.xml"}
    again = Store.open(db)
    assert again.merge([feed_item(i) for i in range(100, 103)], **other) == Counts(added=3)
    assert [f["url"] for f in again.feeds() if f["id"] in again._by_key] == [other["source"]]
    assert again.merge([feed_item(i) for i in range(6)], **AS_FEED) == Counts(
        added=1, unchanged=5
    )
    assert again.merge([feed_item(i) for i in range(100, 104)], **other) == Counts(
        added=1, unchanged=3
    )
    assert sorted(h.title for h in Store.open(db).headlines()) == sorted(
        f"Story {i}" for i in [0, 1, 3, 4, 5, 100, 101, 102, 103]
    )


# --- threads ------------------------------------------------------------------------------------


def test_a_second_thread_cannot_enter_the_write_lock(tmp_path: Path) -> None:
    import threading

    store = Store.open(tmp_path / "db")
    store.merge([feed_item(1)], **AS_FEED)
    article_id = store.headlines()[0].id
    done = threading.Event()

    def other_thread() -> None:
        store.set_read(article_id)
        done.set()

    with store._lock:  # as a write under way in this thread
        worker = threading.Thread(target=other_thread)
        worker.start()
        assert not done.wait(0.3)  # held off: no flag written under our feet
        head = Store.open(tmp_path / "db").get(article_id)
        assert head is not None and not head.read
    assert done.wait(5)
    worker.join()
    head = Store.open(tmp_path / "db").get(article_id)
    assert head is not None and head.read


# --- only a store, or an empty or new folder ----------------------------------------------------


def test_a_folder_that_is_not_a_store_is_refused_and_left_untouched(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    (documents / "letter.txt").write_text("dear reader")
    with pytest.raises(StoreError, match="not a reader store"):
        Store.open(documents)
    assert sorted(p.name for p in documents.iterdir()) == ["letter.txt"]


def test_an_empty_folder_becomes_a_store(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert len(Store.open(empty)) == 0
    assert (empty / "meta.json").exists()


def test_a_feed_retitled_renames_its_articles_everywhere(
    tmp_path: Path, small_segments: int
) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(25)], **AS_FEED)
    store.merge([feed_item(1, feed="Example feed, renamed")], **AS_FEED)
    assert {h.feed for h in store.headlines()} == {"Example feed, renamed"}
    assert {h.feed for h in Store.open(db).headlines()} == {"Example feed, renamed"}


# --- following feeds ----------------------------------------------------------------------------


def test_subscribing_twice_changes_nothing_and_settings_persist(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    record, created = store.subscribe(FEED_URL, tags=["news", "world"], full_text=True)
    assert created and record["subscribed"] and record["tags"] == ["news", "world"]
    again, created = store.subscribe(FEED_URL, tags=["other"])
    assert not created and again["tags"] == ["news", "world"]
    store.set_feed(record["id"], etag='"v1"', last_modified="Tue, 01 Oct 2026 10:00:00 GMT")
    feed = Store.open(tmp_path / "db").feed(FEED_URL)
    assert feed is not None and (feed["etag"], feed["full_text"]) == ('"v1"', True)
    with pytest.raises(StoreError, match="'fetched' of wrong type"):
        store.set_feed(record["id"], fetched="yesterday")


def test_unfollowing_deletes_all_but_starred_and_following_again_brings_them_back(
    tmp_path: Path,
) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    record, _ = store.subscribe(FEED_URL)
    store.merge([feed_item(i) for i in range(4)], **AS_FEED)
    starred = store.headlines()[0].id
    store.set_starred(starred)

    assert store.remove_feed(record["id"]) == 3
    again = Store.open(db)
    assert [h.id for h in again.headlines()] == [starred]
    feed = again.feed(FEED_URL)
    assert feed is not None and not feed["subscribed"]

    again.subscribe(FEED_URL)
    counts = again.merge([feed_item(i) for i in range(4)], **AS_FEED)
    assert counts == Counts(added=3, unchanged=1)
    assert str(repair(db)).endswith("nothing to repair")


def test_full_text_is_kept_apart_from_the_feeds_text_and_bumps_rev(tmp_path: Path) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(150)], **AS_FEED)
    head = next(h for h in store.headlines() if h.title == "Story 120")
    rev = head.rev
    before = {p.name: stamp(p) for p in db.glob("*.text.json")}
    time.sleep(0.01)
    store.set_full_text(head.id, ["Whole paragraph one.", "Two [1]."], ["https://e.org/x"])
    after = {p.name: stamp(p) for p in db.glob("*.text.json")}
    assert {n for n in after if after[n] != before[n]} == {"00000.01.text.json"}

    again = Store.open(db)
    content = again.content(head.id)
    assert content.full_text == ["Whole paragraph one.", "Two [1]."]
    assert content.links == ["https://e.org/x"] and content.standfirst == "Standfirst 120 (first)"
    assert again.get(head.id).rev == rev + 1  # type: ignore[union-attr]
    assert head.rev == rev + 1  # the object this store handed out, brought up to date
    store.set_full_text(head.id, None, [], "paywall: the page has less text than the feed")
    assert Store.open(db).content(head.id).full_text_error == (
        "paywall: the page has less text than the feed"
    )
    # A re-import of the feed keeps the full text.
    assert store.merge([feed_item(120)], **AS_FEED) == Counts(unchanged=1)


def test_an_article_keeps_one_headline_object_through_every_reload(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the app holds (its list, the open article) never goes stale: a write of this
    process, another process's import into the same segment, and a failed write all bring
    the same object up to date."""
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(5)], **AS_FEED)
    held = {head.id: head for head in store.headlines()}
    story = next(h for h in held.values() if h.title == "Story 3")
    store.set_read(story.id)
    store.set_full_text(story.id, ["The whole story, from its page."], [])  # rewrites heads
    assert store.get(story.id) is story and story.read and story.rev == 2

    other = Store.open(db)
    other.merge([feed_item(3, "second", title="Story 3, updated"), feed_item(9)], **AS_FEED)
    other.set_starred(story.id)
    assert store.refresh()
    assert store.get(story.id) is story
    assert (story.title, story.read, story.starred, story.rev) == ("Story 3, updated", True,
                                                                   True, 3)
    assert all(store.get(i) is head for i, head in held.items())
    assert story in store.headlines() and len(store) == 6

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(StoreError):
        store.merge([feed_item(3, "third", title="Story 3, not saved")], **AS_FEED)
    monkeypatch.undo()
    assert store.get(story.id) is story and story.title == "Story 3, updated"


def test_many_full_texts_are_one_write_per_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "db"
    store = Store.open(db)
    store.merge([feed_item(i) for i in range(300)], **AS_FEED)
    heads = store.headlines()[:150]  # the newest: slots 151-300, text files 01 to 03
    written: list[str] = []
    real = os.replace

    def spy(src: str, dst: str) -> None:
        written.append(Path(dst).name)
        real(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    changed = store.set_full_texts((h.id, [f"Whole {h.title}"], [], None) for h in heads)
    monkeypatch.undo()
    assert changed == 150
    assert sorted(n for n in written if n.endswith(".text.json")) == [
        "00000.01.text.json", "00000.02.text.json", "00000.03.text.json",
    ]
    assert written.count("00000.heads.json") == 1


def test_merge_many_is_one_write_and_counts_like_merges_one_by_one(tmp_path: Path) -> None:
    from reader.store import Batch

    other = "https://example.net/feed.xml"
    one = Store.open(tmp_path / "one")
    one.merge([feed_item(1)], **AS_FEED)
    one.merge([feed_item(1, "second"), feed_item(2)], **AS_FEED)
    one.merge([feed_item(3, feed="Other")], authoritative=True, source=other)
    many = Store.open(tmp_path / "many")
    many.merge([feed_item(1)], **AS_FEED)
    heads = many.path / "00000.heads.json"
    before = stamp(heads)
    counts = many.merge_many([
        Batch([feed_item(1, "second"), feed_item(2)], True, FEED_URL, {"etag": '"e1"'}),
        Batch([feed_item(3, feed="Other")], True, other, {"fetched": 5}),
    ])
    assert counts == [Counts(1, 1, 0), Counts(1, 0, 0)]
    assert stamp(heads) != before
    assert [(h.id, h.title, h.feed) for h in many.headlines()] == [
        (h.id, h.title, h.feed) for h in one.headlines()
    ]
    again = Store.open(tmp_path / "many")
    assert again.feed(FEED_URL)["etag"] == '"e1"'  # type: ignore[index]
    assert again.feed(other)["fetched"] == 5  # type: ignore[index]


def test_merge_many_writes_the_headlines_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reader.store import Batch

    store = Store.open(tmp_path / "store")
    writes: list[int] = []
    real = Store._write

    def count(self: Store, *args: Any, **kwargs: Any) -> None:
        writes.append(1)
        real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "_write", count)
    store.merge_many([
        Batch([feed_item(i, feed=f"Feed {i}")], True, f"https://example.org/{i}.xml")
        for i in range(20)
    ])
    assert len(writes) == 1 and len(store) == 20


def test_set_feeds_changes_many_feeds_in_one_write_or_none(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    a, _ = store.subscribe("https://a.example/feed")
    b, _ = store.subscribe("https://b.example/feed")
    feeds = store.path / "feeds.json"
    before = feeds.read_bytes()
    with pytest.raises(StoreError):
        store.set_feeds({a["id"]: {"fetched": 1}, "nope": {"fetched": 2}})
    with pytest.raises(StoreError):
        store.set_feeds({a["id"]: {"fetched": "yesterday"}})
    assert feeds.read_bytes() == before
    assert store.feed("https://a.example/feed")["fetched"] is None  # type: ignore[index]
    store.set_feeds({a["id"]: {"fetched": 1}, b["id"]: {"fetched": 2, "error": "x"}})
    again = Store.open(tmp_path / "store")
    assert [(f["fetched"], f["error"]) for f in again.feeds()] == [(1, None), (2, "x")]
