"""The search index on disk: it agrees with a from-scratch build, survives damage and deletion,
follows the store (only what changed is indexed again) and answers at once after loading.

Stores are built with the store's public API; deletions (which the store cannot do yet) and
racing syncs use a small in-memory source with the same two methods the index reads.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from unittest.mock import patch

import pytest

from reader import index_files
from reader.article import Content, Headline, Item
from reader.index_files import StoredIndex
from reader.search import Searcher, SearchIndex
from reader.store import Store

QUERIES = [
    "putin", "prigo", "erdogan", "jong-un", "korea", '"full support"', '"the war', "wagner grain",
    "article", "body", "paragraph seven", '"paragraph seven"', "zzz", "number",
]


def _merge(store: Store, items: list[Item]) -> None:
    """Merge through the store's API, with ``source`` once the store asks for it."""
    if "source" in inspect.signature(store.merge).parameters:
        store.merge(items, authoritative=True, source="test-feed")
    else:
        store.merge(items, authoritative=True)


def _item(number: int, extra: str = "") -> Item:
    words = ["putin", "prigozhin", "erdoğan", "jong-un", "wagner", "grain", "korea", "war"]
    return Item(
        title=f"Article {number} about {words[number % len(words)]}",
        standfirst=f"Standfirst {number}: full support for {words[(number * 3) % len(words)]}.",
        body=[f"Body paragraph {p} of number {number} {extra}".strip() for p in range(number % 4)]
        + [f"The war goes on, says {words[(number * 5) % len(words)]}’s office."],
        guid=f"guid-{number}",
        link=f"https://example.org/{number}",
        feed="test",
        published=1_700_000_000 + number,
    )


def make_store(path: Path, count: int) -> Store:
    store = Store.open(path)
    _merge(store, [_item(n) for n in range(count)])
    return store


def hits(index: SearchIndex | StoredIndex, heads: Sequence[Headline], query: str) -> list[str]:
    found = Searcher(index).search(query, heads)
    assert found is not None
    return [head.id for head in found]


def scratch(store: Store) -> SearchIndex:
    """The index built in memory from every article: what the stored index must agree with."""
    index = SearchIndex()
    for head, content in store.contents():
        index.add(head, content)
    index.complete = True
    return index


def assert_agrees(index: StoredIndex, store: Store) -> None:
    reference = scratch(store)
    heads = store.headlines()
    for query in QUERIES:
        assert hits(index, heads, query) == hits(reference, heads, query), query
    assert len(index) == len(store)


@pytest.fixture
def small_parts() -> Iterator[None]:
    """Parts of 8 articles (2 count as small), so that a few dozen articles make many parts."""
    with patch.multiple(index_files, PART_DOCS=8, _SMALL=2, _MAX_SMALL=2):
        yield


def part_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("part-*.idx"))


# --- agreement and loading ---------------------------------------------------------------------


def test_the_stored_index_agrees_with_a_build_from_scratch(
    tmp_path: Path, small_parts: None
) -> None:
    store = make_store(tmp_path / "store", 30)
    synced = StoredIndex.open(store.path / "search").sync(store)
    assert synced.indexed == 30 and synced.error is None
    assert len(part_files(store.path / "search")) == 4  # 8 + 8 + 8 + 6
    loaded = StoredIndex.open(store.path / "search")
    assert_agrees(loaded, store)
    # Whatever the query, results are among and in the order of the headlines given.
    heads = store.headlines()
    assert hits(loaded, heads[::-1], "article") == [h.id for h in heads[::-1]]


def test_a_search_right_after_loading_finds_body_text_without_indexing(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", 12)
    StoredIndex.open(store.path / "search").sync(store)
    reopened = Store.open(store.path)  # a new launch: new store object, new index object
    with patch.object(index_files, "Builder", side_effect=AssertionError("indexed again")):
        loaded = StoredIndex.open(reopened.path / "search")
        heads = reopened.headlines()
        # "paragraph" is only in bodies, never in a title: this is full text, not titles.
        found = hits(loaded, heads, '"body paragraph 2"')
    with_two = ("Article 3 ", "Article 7 ", "Article 11 ")  # number % 4 == 3: 3 paragraphs
    expected = [h.id for h in heads if h.title.startswith(with_two)]
    assert found == expected
    assert len(loaded) == 12


def test_an_index_that_agrees_with_the_store_indexes_nothing(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", 10)
    StoredIndex.open(store.path / "search").sync(store)
    before = {p.name: p.stat().st_mtime_ns for p in (store.path / "search").iterdir()}
    synced = StoredIndex.open(store.path / "search").sync(store)
    assert (synced.indexed, synced.removed, synced.dropped) == (0, 0, 0)
    after = {p.name: p.stat().st_mtime_ns for p in (store.path / "search").iterdir()}
    assert after == before  # not even the manifest was rewritten


# --- missing and damaged files -----------------------------------------------------------------


def test_a_deleted_index_is_rebuilt(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", 20)
    StoredIndex.open(store.path / "search").sync(store)
    for entry in (store.path / "search").iterdir():
        entry.unlink()
    (store.path / "search").rmdir()
    index = StoredIndex.open(store.path / "search")
    assert len(index) == 0
    assert index.sync(store).indexed == 20
    assert_agrees(StoredIndex.open(store.path / "search"), store)


def test_a_deleted_manifest_is_rebuilt_and_the_orphans_go(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", 20)
    StoredIndex.open(store.path / "search").sync(store)
    orphans = part_files(store.path / "search")
    (store.path / "search" / "manifest.json").unlink()
    for orphan in orphans:  # left by a kill long ago
        os.utime(orphan, (0, 0))
    assert StoredIndex.open(store.path / "search").sync(store).indexed == 20
    assert not set(orphans) & set(part_files(store.path / "search"))
    assert_agrees(StoredIndex.open(store.path / "search"), store)


def test_a_deleted_part_is_indexed_again_and_only_its_articles(
    tmp_path: Path, small_parts: None
) -> None:
    store = make_store(tmp_path / "store", 20)
    StoredIndex.open(store.path / "search").sync(store)
    part_files(store.path / "search")[0].unlink()
    index = StoredIndex.open(store.path / "search")
    assert index.problem is not None
    lost = 20 - len(index)
    assert lost in (8, 4)  # a full part or the last one
    assert index.sync(store).indexed == lost
    assert_agrees(StoredIndex.open(store.path / "search"), store)


@pytest.mark.parametrize(
    "damage",
    ["truncated", "garbage", "flipped", "manifest-garbage", "manifest-wrong-shape", "empty"],
)
def test_a_damaged_file_is_rebuilt_without_an_exception(
    tmp_path: Path, small_parts: None, damage: str
) -> None:
    store = make_store(tmp_path / "store", 20)
    StoredIndex.open(store.path / "search").sync(store)
    directory = store.path / "search"
    victim = max(part_files(directory), key=lambda path: path.stat().st_size)  # 8 articles
    data = victim.read_bytes()
    if damage == "truncated":
        victim.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        victim.write_bytes(os.urandom(len(data)))
    elif damage == "flipped":  # same size, header intact: only the checksum can tell
        middle = len(data) - 9
        victim.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif damage == "manifest-garbage":
        (directory / "manifest.json").write_bytes(b"\x00{not json")
    elif damage == "manifest-wrong-shape":
        (directory / "manifest.json").write_text(json.dumps({"format": 1, "parts": [{"x": 1}]}))
    elif damage == "empty":
        victim.write_bytes(b"")
    index = StoredIndex.open(directory)
    heads = store.headlines()
    for query in QUERIES:  # searching a damaged index never raises
        Searcher(index).search(query, heads)
    synced = index.sync(store)
    assert synced.error is None
    expected = 20 if damage.startswith("manifest") else 8  # the part's articles only
    assert synced.indexed == expected
    assert_agrees(index, store)
    assert_agrees(StoredIndex.open(directory), store)


def test_an_index_that_cannot_be_written_still_searches_in_memory(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", 10)
    (store.path / "search").write_text("a file where the index directory should be")
    index = StoredIndex.open(store.path / "search")
    synced = index.sync(store)
    assert synced.indexed == 10
    assert synced.error is not None and "cannot save the search index" in synced.error
    assert_agrees(index, store)


# --- following the store -----------------------------------------------------------------------


class Source:
    """A store in memory: the two methods the index reads, and a count of articles read."""

    def __init__(self, articles: dict[str, tuple[str, str, int]]) -> None:
        self.articles = articles  # id -> (title, body, rev)
        self.read = 0

    def headlines(self) -> list[Headline]:
        return [
            Headline(key, title, "feed", None, "", "", "", seq, rev=rev)
            for seq, (key, (title, _, rev)) in enumerate(self.articles.items())
        ]

    def contents(self, ids: Iterable[str] | None = None) -> Iterator[tuple[Headline, Content]]:
        wanted = None if ids is None else set(ids)
        for head in self.headlines():
            if wanted is None or head.id in wanted:
                self.read += 1
                yield head, Content("", [self.articles[head.id][1]])


def test_sync_indexes_only_what_changed_and_masks_what_went(tmp_path: Path) -> None:
    source = Source({f"a{n}": (f"Title {n}", f"body text {n} common", 1) for n in range(30)})
    index = StoredIndex.open(tmp_path / "search")
    assert index.sync(source).indexed == 30
    source.articles["a3"] = ("Title 3", "rewritten with fresh prigozhin text", 2)  # rev bumped
    source.articles["new"] = ("A new one", "freshly imported wagner text", 1)
    del source.articles["a7"]
    source.read = 0
    synced = StoredIndex.open(tmp_path / "search").sync(source)
    assert (synced.indexed, synced.removed) == (2, 2)  # a3 and new; a7 and the old a3
    assert source.read == 2
    loaded = StoredIndex.open(tmp_path / "search")
    heads = source.headlines()
    assert hits(loaded, heads, "prigozhin") == ["a3"]
    assert hits(loaded, heads, '"body text 3"') == []  # the old text of a3 is gone
    assert hits(loaded, heads, "wagner") == ["new"]
    assert len(hits(loaded, heads, "common")) == 28
    stale_heads = [*heads, Headline("a7", "Title 7", "feed", None, "", "", "", 99)]
    assert "a7" not in hits(loaded, stale_heads, "common")
    assert len(loaded) == 30


def test_a_changed_text_in_the_store_is_indexed_again(tmp_path: Path) -> None:
    """Needs the store to bump ``rev`` when an article's text changes (issue 7's new store)."""
    store = make_store(tmp_path / "store", 10)
    index = StoredIndex.open(store.path / "search")
    index.sync(store)
    changed = _item(5, extra="now with a zeppelin")
    _merge(store, [changed])
    assert index.sync(store).indexed == 1
    heads = store.headlines()
    assert [h.title for h in Searcher(index).search("zeppelin", heads) or []] == [changed.title]
    added = _item(10)
    _merge(store, [added])
    assert index.sync(store).indexed == 1
    assert_agrees(StoredIndex.open(store.path / "search"), store)


def test_an_import_adds_a_part_for_the_new_articles_only(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", 40)
    StoredIndex.open(store.path / "search").sync(store)
    before = set(part_files(store.path / "search"))
    _merge(store, [_item(n) for n in range(40, 45)])
    synced = StoredIndex.open(store.path / "search").sync(store)
    assert synced.indexed == 5
    after = set(part_files(store.path / "search"))
    assert before < after and len(after - before) == 1  # the old parts are untouched
    assert_agrees(StoredIndex.open(store.path / "search"), store)


def test_small_parts_and_masked_documents_are_merged(tmp_path: Path, small_parts: None) -> None:
    source = Source({f"a{n}": (f"Title {n}", f"text {n}", 1) for n in range(16)})
    index = StoredIndex.open(tmp_path / "search")
    index.sync(source)
    assert len(part_files(tmp_path / "search")) == 2
    # Articles arriving one at a time make small parts; the third small one merges them.
    for n in range(16, 19):
        source.articles[f"a{n}"] = (f"Title {n}", f"text {n}", 1)
        index.sync(source)
    assert len(part_files(tmp_path / "search")) == 3
    # Masking most of a part (its articles changed) gets its live articles indexed again.
    for n in range(5):
        source.articles[f"a{n}"] = (f"Title {n}", f"changed {n}", 2)
    source.read = 0
    synced = index.sync(source)
    assert synced.indexed == 8  # the 5 changed, and the 3 still live in their half-empty part
    loaded = StoredIndex.open(tmp_path / "search")
    heads = source.headlines()
    assert len(hits(loaded, heads, "changed")) == 5
    assert len(hits(loaded, heads, "text")) == 14
    assert len(loaded) == 19


def test_a_cancelled_sync_leaves_a_usable_index_that_the_next_sync_completes(
    tmp_path: Path, small_parts: None
) -> None:
    source = Source({f"a{n}": (f"Title {n}", f"text {n}", 1) for n in range(20)})
    index = StoredIndex.open(tmp_path / "search")
    calls = iter(range(1000))
    synced = index.sync(source, cancelled=lambda: next(calls) >= 10)
    assert synced.cancelled and synced.indexed == 8  # one whole part was saved
    resumed = StoredIndex.open(tmp_path / "search")
    assert len(resumed) == 8
    assert resumed.sync(source).indexed == 12
    assert len(hits(StoredIndex.open(tmp_path / "search"), source.headlines(), "text")) == 20


def test_titles_stand_in_while_the_text_is_indexed(tmp_path: Path, small_parts: None) -> None:
    source = Source({f"a{n}": (f"Title {n} kremlin", f"text {n}", 1) for n in range(12)})
    index = StoredIndex.open(tmp_path / "search")
    seen: list[list[str]] = []
    progress_calls: list[tuple[int, int]] = []
    original = source.contents

    def contents(ids: Iterable[str] | None = None) -> Iterator[tuple[Headline, Content]]:
        for number, pair in enumerate(original(ids)):
            if number == 3:  # nothing of the text is saved yet: titles answer
                seen.append(hits(index, source.headlines(), "kremlin"))
            yield pair

    source.contents = contents  # type: ignore[method-assign]
    index.sync(source, progress=lambda done, total: progress_calls.append((done, total)))
    assert len(seen[0]) == 12
    assert progress_calls[-1] == (12, 12)


def test_two_syncs_at_once_both_leave_a_correct_index(tmp_path: Path) -> None:
    source = Source({f"a{n}": (f"Title {n}", f"text {n}", 1) for n in range(10)})
    first = StoredIndex.open(tmp_path / "search")
    first.sync(source)
    second = StoredIndex.open(tmp_path / "search")  # another process, loaded at the same time
    # The first process sees a newer text of a1; the second, an older view of the store, still
    # sees a1 at rev 1 but a new article a10. Each saves on top of the other's manifest.
    newer = Source(dict(source.articles))
    newer.articles["a1"] = ("Title 1", "newer text of one", 2)
    older = Source(dict(source.articles))
    older.articles["a10"] = ("Title 10", "text 10 added", 1)
    assert first.sync(newer).indexed == 1
    second.sync(older)
    loaded = StoredIndex.open(tmp_path / "search")
    heads = Source({**newer.articles, "a10": older.articles["a10"]}).headlines()
    assert hits(loaded, heads, "newer") == ["a1"]  # the highest rev wins, whoever saved last
    assert hits(loaded, heads, "added") == ["a10"]
    assert len(loaded) == 11


def test_stale_documents_never_answer_for_a_rev_the_store_does_not_have(tmp_path: Path) -> None:
    source = Source({"a": ("Alpha", "old words", 1)})
    index = StoredIndex.open(tmp_path / "search")
    index.sync(source)
    source.articles["a"] = ("Alpha", "new words", 2)
    index.sync(source)
    heads = [replace(h) for h in source.headlines()]
    assert hits(index, heads, "new") == ["a"] and hits(index, heads, "old") == []


# --- an import saves the index its workers built ------------------------------------------------


def _feed_file(path: Path, numbers: Iterable[int]) -> Path:
    """An RSS 2.0 file of _item()s (their text as HTML paragraphs)."""
    entries = []
    for n in numbers:
        item = _item(n)
        html = "".join(f"<p>{p}</p>" for p in (item.standfirst, *item.body))
        entries.append(
            f"<item><title>{item.title}</title><guid>{item.guid}</guid><link>{item.link}</link>"
            f"<description><![CDATA[{html}]]></description></item>"
        )
    path.write_text(f'<rss version="2.0"><channel><title>{path.stem}</title>{"".join(entries)}'
                    "</channel></rss>", encoding="utf-8")
    return path


@pytest.mark.parametrize("feeds", [1, 3])
def test_an_import_of_new_feeds_saves_the_index_built_as_they_were_parsed(
    tmp_path: Path, small_parts: None, feeds: int
) -> None:
    from reader.importer import import_sources

    store = Store.open(tmp_path / "store")
    files = [_feed_file(tmp_path / f"f{k}.xml", range(k * 20, k * 20 + 20)) for k in range(feeds)]
    with patch("reader.importer.update_index"):  # no sync after the import: nothing from it
        import_sources(store, [str(f) for f in files])
    assert len(part_files(store.path / "search")) == 3 * feeds  # 8 + 8 + 4 a feed
    assert_agrees(StoredIndex.open(store.path / "search"), store)
    assert StoredIndex.open(store.path / "search").sync(store).indexed == 0


def test_items_that_become_no_new_article_are_masked_in_the_saved_index(tmp_path: Path) -> None:
    from reader.importer import import_sources

    store = Store.open(tmp_path / "store")
    titles = [Item(title=_item(n).title, standfirst=f"Seed text {n}") for n in range(3)]
    store.merge(titles, authoritative=False, source=str(tmp_path / "seed.txt"))
    StoredIndex.open(store.path / "search").sync(store)
    # A new feed: its 10 items are indexed as they are parsed; 3 of them claim the seed text.
    with patch("reader.importer.update_index"):
        (report,) = import_sources(store, [str(_feed_file(tmp_path / "feed.xml", range(10)))])
    assert str(report.counts) == "added 7, updated 3, unchanged 0"
    assert len(StoredIndex.open(store.path / "search")) == 10  # the 3 still at the seed's rev
    assert StoredIndex.open(store.path / "search").sync(store).indexed == 3
    assert_agrees(StoredIndex.open(store.path / "search"), store)
    assert hits(StoredIndex.open(store.path / "search"), store.headlines(), "seed") == []


def test_a_built_part_mostly_of_no_article_is_left_to_the_sync(tmp_path: Path) -> None:
    store = make_store(tmp_path / "store", 4)
    heads = [head for head, _ in store.contents()]
    (built,) = index_files.build([(h.title, *c.searchable()) for h, c in store.contents()])
    index = StoredIndex.open(store.path / "search")
    assert index.add_built([(built, [heads[0].id, "", "", ""], [1] * 4)]) == 0
    assert part_files(store.path / "search") == []
    assert index.add_built([(built, [h.id for h in heads[:2]] + ["", ""], [1] * 4)]) == 1
    assert index.sync(store).indexed == 2  # the two masked ones, from the store
    assert_agrees(StoredIndex.open(store.path / "search"), store)
