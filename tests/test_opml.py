"""OPML in and out: folders and tags, odd but honest files, hostile files, the round trip."""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from reader.errors import SourceError
from reader.importer import import_sources
from reader.opml import (
    MAX_BYTES,
    MAX_FEEDS,
    MAX_TAG,
    MAX_TAGS,
    Outline,
    export_opml,
    import_opml,
    read_file,
    read_opml,
)
from reader.store import Store
from tests.conftest import FEED, FIXTURES

OPML = FIXTURES / "opml"
ENTITIES = "refused: XML entities are never expanded, and OPML needs none"


def opml(body: str, head: str = "") -> bytes:
    return f'<?xml version="1.0"?>{head}<opml version="2.0"><body>{body}</body></opml>'.encode()


def followed(store: Store) -> dict[str, tuple[str, list[str]]]:
    return {f["url"]: (f["title"], f["tags"]) for f in store.feeds() if f["subscribed"]}


def refusal(data: bytes, name: str) -> str:
    """The one-line message read_opml refuses ``data`` with."""
    with pytest.raises(SourceError) as caught:
        read_opml(data, name)
    message = str(caught.value)
    assert message.startswith(f"{name}: ") and message.isprintable() and len(message) < 400
    return message


def test_every_opml_fixture_is_covered() -> None:
    assert {p.name for p in OPML.iterdir()} == {
        "nested.opml", "opml1.opml", "latin1.opml", "malformed.opml", "not-opml.xml",
        "billion-laughs.opml", *SECRET_FIXTURES,
    }


# --- reading --------------------------------------------------------------------------------


def test_nested_folders_become_tags_and_what_is_not_a_feed_is_skipped() -> None:
    result = read_opml((OPML / "nested.opml").read_bytes(), "nested.opml")
    assert result.feeds == [
        # listed in Tech and again in Tech/Linux: once, with the title attribute, not the text
        Outline("https://lwn.net/headlines/rss", "LWN.net", ("Tech", "Tech/Linux")),
        Outline("https://kernelnewbies.org/feed.xml", "Kernel Newbies", ("Tech", "Tech/Linux")),
        Outline("http://www.phoronix.com/rss.php", "Phoronix", ("Tech", "Tech/Linux")),
        Outline("https://www.theguardian.com/world/rss", "The Guardian", ("News",)),
        # a folder with no name adds no tag
        Outline("https://unnamed.example/feed", "In a folder with no name", ()),
        # a text that only repeats the URL is no title
        Outline("https://untitled.example/rss", "", ()),
        Outline("https://top.example/rss?a=1&b=2", 'Top level & <escaped> "title"', ()),
    ]
    # a note, an empty folder, an empty xmlUrl, a gopher: URL and a local path
    assert result.skipped == 5


def test_opml_1_with_attribute_names_in_any_case() -> None:
    result = read_opml((OPML / "opml1.opml").read_bytes(), "opml1.opml")
    assert result.feeds == [
        Outline("https://cafe.example/rss", "Café news", ()),
        Outline("https://loud.example/atom", "Shouting exporter", ()),
        Outline("https://creme.example/feed", "Crème brûlée", ("Blogs",)),
    ]
    assert result.skipped == 0


def test_declared_encoding_is_honoured() -> None:
    (feed,) = read_opml((OPML / "latin1.opml").read_bytes(), "latin1.opml").feeds
    assert feed.title == "Café latin-1"


def test_a_feed_listed_twice_takes_the_first_title_and_every_tag() -> None:
    data = opml(
        '<outline text="Sport"><outline xmlUrl="https://x.example/rss"/></outline>'
        '<outline text="News"><outline text="First" xmlUrl="https://x.example/rss"/>'
        '<outline text="World"><outline text="Second" xmlUrl="https://x.example/rss"/>'
        "</outline></outline>"
    )
    result = read_opml(data, "twice.opml")
    assert result.feeds == [
        Outline("https://x.example/rss", "First", ("News", "News/World", "Sport"))
    ]


def test_missing_attributes_and_odd_outlines() -> None:
    data = opml(
        "<outline/>"  # nothing at all: skipped
        '<outline text="  "><outline xmlUrl="https://a.example/rss"/></outline>'  # blank folder
        '<outline title="Titled" xmlUrl="https://b.example/rss"/>'  # title and no text
        '<outline text="Feed with children" xmlUrl="https://c.example/rss">'
        '<outline text="Under a feed" xmlUrl="https://d.example/rss"/></outline>'
        '<outline text="javascript" xmlUrl="javascript:alert(1)"/>'
        '<outline text="Spaces" xmlUrl="https://e.example/a feed"/>'
        "<head/><!-- a comment --><?pi x?>"
    )
    result = read_opml(data, "odd.opml")
    assert result.feeds == [
        Outline("https://a.example/rss", "", ()),
        Outline("https://b.example/rss", "Titled", ()),
        Outline("https://c.example/rss", "Feed with children", ()),
        Outline("https://d.example/rss", "Under a feed", ()),
    ]
    assert result.skipped == 3


def test_titles_and_folders_are_cleaned_text() -> None:
    data = opml(
        '<outline text="Evil&#x9b;2J folder&#x202e;"><outline text="&#x9d;0;owned&#x9c;Title'
        '&#10;two&#x200b; lines" xmlUrl="https://evil.example/rss"/></outline>'
    )
    (feed,) = read_opml(data, "evil.opml").feeds
    assert feed == Outline("https://evil.example/rss", "Title two lines", ("Evil folder",))
    # ESC itself is not allowed in XML 1.0, not even as a reference
    assert "invalid xmlChar value 27" in refusal(opml('<outline text="&#x1b;[2J"/>'), "esc")


def test_an_opml_without_a_body_lists_nothing() -> None:
    assert read_opml(b"<opml version='1.0'><head/></opml>", "bare.opml").feeds == []


# --- importing ------------------------------------------------------------------------------


def test_import_follows_every_feed_without_fetching(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    summary = import_opml(store, (OPML / "nested.opml").read_bytes(), "nested.opml")
    assert str(summary) == "subscribed 7, already followed 0, skipped 5"
    feeds = followed(store)
    assert feeds["https://lwn.net/headlines/rss"] == ("LWN.net", ["Tech", "Tech/Linux"])
    assert feeds["https://www.theguardian.com/world/rss"] == ("The Guardian", ["News"])
    assert len(feeds) == 7
    assert all(f["fetched"] is None for f in store.feeds())
    assert len(store) == 0
    assert followed(Store.open(tmp_path / "store")) == feeds  # on disk


def test_import_again_changes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    store.subscribe("https://lwn.net/headlines/rss", title="Mine", tags=["Linux news"])
    data = (OPML / "nested.opml").read_bytes()
    assert str(import_opml(store, data, "n")) == "subscribed 6, already followed 1, skipped 5"
    before = followed(store)
    assert before["https://lwn.net/headlines/rss"] == ("Mine", ["Linux news"])
    assert str(import_opml(store, data, "n")) == "subscribed 0, already followed 7, skipped 5"
    assert followed(store) == before


def test_a_refused_file_subscribes_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    with pytest.raises(SourceError, match=r"^malformed\.opml: not well-formed XML \("):
        import_opml(store, (OPML / "malformed.opml").read_bytes(), "malformed.opml")
    assert store.feeds() == []


# --- exporting and the round trip -------------------------------------------------------------

ROUND_TRIP = {
    "https://lwn.net/headlines/rss": ("LWN.net", ["Tech", "Tech/Linux"]),
    "https://kernel.example/rss": ("Kernel", ["Tech", "Tech/Linux", "Tech/Linux/Kernel"]),
    "https://only-leaf.example/rss": ("Only the leaf tag", ["Tech/Linux"]),
    "https://skip.example/rss": ("A gap", ["Tech", "Tech/Linux/Kernel"]),
    "https://two.example/rss": ("Two tags", ["News", "Sport"]),
    "https://slashes.example/rss": ("Slashes", ["/D", "A//B", "C/"]),
    "https://spaced.example/rss": ("Spaced", ["S", "S/ T"]),
    "https://escape.example/rss?a=1&b=2": ('Tom & Jerry\'s "<b>news</b>"', []),
    "https://untitled.example/rss": ("", ["Untitled"]),
    "https://unicode.example/rss": ("Ünïcödé 新闻 🦀", ["Ünïcödé", "Ünïcödé/新闻"]),
}


def round_trip_store(path: Path) -> Store:
    store = Store.open(path)
    for url, (title, tags) in ROUND_TRIP.items():
        store.subscribe(url, title=title, tags=tags)
    import_sources(store, [str(FEED)])  # a one-shot import: a feed that is not followed
    assert any(not f["subscribed"] for f in store.feeds())
    return store


def test_export_then_import_gives_the_same_feeds_titles_and_tags(tmp_path: Path) -> None:
    data = export_opml(round_trip_store(tmp_path / "one"))
    fresh = Store.open(tmp_path / "two")
    summary = import_opml(fresh, data, "export.opml")
    assert str(summary) == f"subscribed {len(ROUND_TRIP)}, already followed 0, skipped 0"
    assert followed(fresh) == ROUND_TRIP
    assert export_opml(fresh) == data


def test_import_export_import_keeps_a_real_file(tmp_path: Path) -> None:
    first = Store.open(tmp_path / "one")
    import_opml(first, (OPML / "nested.opml").read_bytes(), "nested.opml")
    second = Store.open(tmp_path / "two")
    import_opml(second, export_opml(first), "export.opml")
    assert followed(second) == followed(first)


def paths(data: bytes) -> list[tuple[tuple[str, ...], str]]:
    """(folders, xmlUrl) of every feed outline of an export, in document order."""
    found = []
    for element in etree.fromstring(data).iter("outline"):
        if element.get("xmlUrl"):
            folders = tuple(a.get("text") for a in element.iterancestors("outline"))
            found.append((folders[::-1], element.get("xmlUrl")))
    return found


def test_export_rebuilds_nested_folders_and_lists_a_feed_under_each_tag(tmp_path: Path) -> None:
    data = export_opml(round_trip_store(tmp_path / "store"))
    root = etree.fromstring(data)
    assert root.get("version") == "2.0" and root.find("head/title") is not None
    assert sorted(paths(data)) == sorted([
        (("A//B",), "https://slashes.example/rss"),
        (("C/",), "https://slashes.example/rss"),
        (("/D",), "https://slashes.example/rss"),
        (("News",), "https://two.example/rss"),
        (("S",), "https://spaced.example/rss"),  # " T" would not read back: one folder "S/ T"
        (("S/ T",), "https://spaced.example/rss"),
        (("Sport",), "https://two.example/rss"),
        (("Tech", "Linux"), "https://lwn.net/headlines/rss"),  # under Linux only: Tech follows
        (("Tech", "Linux", "Kernel"), "https://kernel.example/rss"),
        (("Tech", "Linux/Kernel"), "https://skip.example/rss"),  # Tech/Linux is not its tag
        (("Tech/Linux",), "https://only-leaf.example/rss"),  # nor is Tech
        (("Untitled",), "https://untitled.example/rss"),
        (("Ünïcödé", "新闻"), "https://unicode.example/rss"),
        ((), "https://escape.example/rss?a=1&b=2"),
    ])


def test_export_escapes_titles_and_urls(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "store")
    store.subscribe("https://e.example/?a=1&b=<2>", title='Tom & Jerry\'s "<b>news</b>"')
    store.subscribe("https://untitled.example/rss")
    data = export_opml(store)
    assert b"&amp;b=&lt;2&gt;" in data and b"Tom &amp; Jerry's &quot;&lt;b&gt;" in data
    untitled, titled = etree.fromstring(data).iter("outline")
    assert titled.get("title") == titled.get("text") == 'Tom & Jerry\'s "<b>news</b>"'
    assert titled.get("xmlUrl") == "https://e.example/?a=1&b=<2>"
    assert untitled.get("title") is None  # text is required: the URL stands in
    assert untitled.get("text") == untitled.get("xmlUrl") == "https://untitled.example/rss"


def test_export_of_an_empty_store_is_an_empty_opml(tmp_path: Path) -> None:
    data = export_opml(Store.open(tmp_path / "store"))
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert read_opml(data, "empty.opml").feeds == []


# --- hostile and broken files -----------------------------------------------------------------

SECRET_FIXTURES = ["external-entity.opml", "external-entity-text.opml", "external-dtd.opml"]


@contextlib.contextmanager
def watched_secret(path: Path) -> Iterator[list[str]]:
    """A FIFO at ``path`` that reports any attempt to open it for reading.

    Opening a FIFO to read blocks until a writer comes, so a parser that tried would still be
    waiting; the watcher opens the writing end whenever a reader is there (ENXIO otherwise),
    hands it a secret so that nothing hangs, and records that it was read."""
    os.mkfifo(path)
    opened: list[str] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.001):
            try:
                fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as error:
                assert error.errno == errno.ENXIO
                continue
            opened.append("SECRET")
            with contextlib.suppress(OSError):
                os.write(fd, b"SECRET-d41d8cd98f00")
            os.close(fd)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield opened
    finally:
        stop.set()
        watcher.join(5)


@pytest.mark.parametrize("name", SECRET_FIXTURES)
def test_external_entities_never_open_the_file(name: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    data = (OPML / name).read_bytes().replace(b"SECRET_FILE", str(secret).encode())
    assert str(secret).encode() in data
    store = Store.open(tmp_path / "store")
    with watched_secret(secret) as opened:
        try:
            summary = str(import_opml(store, data, name))
        except SourceError as error:
            summary = str(error)
    assert opened == []
    if name == "external-dtd.opml":  # the DTD is not loaded; the file is fine without it
        assert summary == "subscribed 1, already followed 0, skipped 0"
        assert list(followed(store)) == ["https://dtd.example/rss"]
    else:
        assert summary.startswith(f"{name}: {ENTITIES} (")
        assert store.feeds() == []


def test_billion_laughs_is_refused_not_expanded() -> None:
    message = refusal((OPML / "billion-laughs.opml").read_bytes(), "billion-laughs.opml")
    assert message.startswith(f"billion-laughs.opml: {ENTITIES} (")
    assert "lollol" not in message


def test_one_big_entity_used_many_times_is_refused() -> None:
    big = "A" * 100_000
    data = opml(f'<outline text="{"&a;" * 50_000}" xmlUrl="https://q.example/"/>',
                f'<!DOCTYPE opml [<!ENTITY a "{big}">]>')
    assert refusal(data, "quadratic.opml").startswith(f"quadratic.opml: {ENTITIES} (")


def test_an_internal_entity_is_refused_even_when_small() -> None:
    data = opml('<outline text="x" xmlUrl="https://a.example/"/>',
                '<!DOCTYPE opml [<!ENTITY a "harmless">]>')
    assert refusal(data, "e.opml") == f"e.opml: {ENTITIES} (the file declares some)"


def test_an_undefined_html_entity_is_refused_in_one_line() -> None:
    data = opml('<outline text="a&nbsp;b" xmlUrl="https://a.example/"/>')
    message = refusal(data, "nbsp.opml")
    assert message.startswith(f"nbsp.opml: {ENTITIES} (Entity 'nbsp' not defined, line 1")


def test_a_huge_file_is_refused_without_being_read_whole(tmp_path: Path) -> None:
    huge = tmp_path / "huge.opml"
    with huge.open("wb") as file:
        file.write(b'<?xml version="1.0"?><opml version="2.0"><body>')
        line = b'<outline text="Feed" xmlUrl="https://big.example/rss"/>\n'
        file.write(line * (50 * 1024 * 1024 // len(line)))
        file.write(b"</body></opml>")
    assert huge.stat().st_size > 50 * 1024 * 1024
    with pytest.raises(SourceError, match=rf"^{huge}: larger than 10 MiB$"):
        read_file(str(huge))
    assert refusal(huge.read_bytes(), "huge.opml") == "huge.opml: larger than 10 MiB"


def test_an_endless_file_is_read_only_up_to_the_cap() -> None:
    with pytest.raises(SourceError, match=r"^/dev/zero: larger than 10 MiB$"):
        read_file("/dev/zero")


def test_a_file_at_the_cap_is_read(tmp_path: Path) -> None:
    path = tmp_path / "full.opml"
    line = b'<outline text="x" xmlUrl="https://a.example/"/>\n'
    body = line * ((MAX_BYTES - len(opml(""))) // len(line))
    data = opml(body.decode())
    path.write_bytes(data + b" " * (MAX_BYTES - len(data)))
    assert path.stat().st_size == MAX_BYTES
    result = read_opml(read_file(str(path)), "full.opml")
    assert result.feeds == [Outline("https://a.example/", "x", ())]


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=rf"^{tmp_path}/no.opml: No such file or directory$"):
        read_file(str(tmp_path / "no.opml"))
    with pytest.raises(SourceError, match=rf"^{tmp_path}: Is a directory$"):
        read_file(str(tmp_path))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ((OPML / "malformed.opml").read_bytes(), "not well-formed XML (Opening and ending tag "
         "mismatch: outline line 4 and body, line 5, column 8)"),
        ((OPML / "not-opml.xml").read_bytes(), "not OPML (the root element is <rss>)"),
        (b"", "not well-formed XML (Document is empty, line 1, column 1)"),
        (b"\x00\xff\xfe binary", "not well-formed XML ("),
        (b"<html><body>A web page</body></html>", "not OPML (the root element is <html>)"),
        (b"<opml><body>" + b"<outline>" * 1000 + b"</outline>" * 1000 + b"</body></opml>",
         "not well-formed XML (Excessive depth in document: 256"),
    ],
    ids=["malformed", "rss", "empty", "binary", "html", "deep"],
)
def test_broken_files_are_one_line_naming_the_file(data: bytes, expected: str) -> None:
    assert refusal(data, "subs.opml").startswith(f"subs.opml: {expected}")


def test_a_name_with_controls_is_cleaned_in_the_message() -> None:
    with pytest.raises(SourceError, match=r"^evil\.opml: not well-formed XML \(Document is empty"):
        read_opml(b"", "evil\x1b[2J.opml")


def test_more_feeds_than_the_cap_are_refused(tmp_path: Path) -> None:
    outlines = "".join(f'<outline xmlUrl="https://f.example/{i}"/>' for i in range(MAX_FEEDS))
    assert len(read_opml(opml(outlines), "max.opml").feeds) == MAX_FEEDS
    outlines += '<outline xmlUrl="https://f.example/one-more"/>'
    message = refusal(opml(outlines), "many.opml")
    assert message == "many.opml: lists more than 20,000 feeds; split it"


def test_deep_folders_with_long_names_give_bounded_tags() -> None:
    name = "N" * 2000
    data = opml(
        f'<outline text="{name}">' * 200 + '<outline xmlUrl="https://deep.example/"/>'
        + "</outline>" * 200
        + "".join(f'<outline text="F{i}"><outline xmlUrl="https://deep.example/"/></outline>'
                  for i in range(100))
    )
    (feed,) = read_opml(data, "deep.opml").feeds
    assert len(feed.tags) == MAX_TAGS
    assert all(len(tag) <= MAX_TAG for tag in feed.tags)
    assert "N" * (MAX_TAG - 1) + "…" in feed.tags  # one folder, clipped; none below it
