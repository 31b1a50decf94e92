"""The feed parser: the RSS fixture, Atom, what feedparser is handed, what a feed may lie about."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import feedparser
import pytest

from reader.errors import SourceError
from reader.feed import parse_feed, parse_feed_with_feedparser
from tests.conftest import FEED

FIRST_LINK = (
    "https://www.theguardian.com/world/2023/sep/14/"
    "kim-jong-un-invites-putin-to-north-korea-after-summit-brings-ties-to-a"
)

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Science &amp;amp; &lt;i&gt;Nature&lt;/i&gt;</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2024-03-02T12:00:00Z</updated>
  <link href="https://atom.example/"/>
  <entry>
    <title type="html">&lt;b&gt;Comet&lt;/b&gt; seen over Lisbon</title>
    <link rel="alternate" type="text/html" href="https://atom.example/comet"/>
    <link rel="enclosure" href="https://atom.example/comet.jpg"/>
    <id>tag:atom.example,2024:comet</id>
    <published>2024-03-01T21:30:00+01:00</published>
    <updated>2024-03-02T08:00:00Z</updated>
    <author><name>Ana Sousa</name><email>ana@atom.example</email></author>
    <summary type="text">A short summary.</summary>
    <content type="html">&lt;p&gt;A bright comet crossed the sky.&lt;/p&gt;
      &lt;p&gt;Astronomers &lt;a href="https://atom.example/more"&gt;explain&lt;/a&gt;
      why.&lt;/p&gt;&lt;p&gt;&lt;a href="https://atom.example/comet"&gt;Continue
      reading...&lt;/a&gt;&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Plain [bold]text[/bold] title &lt;not a tag&gt;</title>
    <link href="/relative/link"/>
    <id>tag:atom.example,2024:plain</id>
    <updated>2024-03-01T08:00:00Z</updated>
    <content type="text">First plain paragraph.

Second plain paragraph,
wrapped.</content>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X<em>HTML</em> title</div></title>
    <link href="javascript:alert(1)"/>
    <id>tag:atom.example,2024:xhtml</id>
    <updated>2024-02-28T08:00:00Z</updated>
  </entry>
</feed>
"""


@pytest.fixture
def atom_file(tmp_path: Path) -> Path:
    path = tmp_path / "science.atom"
    path.write_text(ATOM, encoding="utf-8")
    return path


# --- the RSS fixture ------------------------------------------------------------------------


def test_rss_fixture_gives_20_items_with_everything() -> None:
    items = parse_feed(FEED.read_bytes(), "feed.xml").items
    assert len(items) == 20
    first = items[0]
    assert first.title == (
        "Kim Jong-un invites Putin to North Korea after summit brings ties to ‘a new level’"
    )
    assert first.link == FIRST_LINK and first.guid == FIRST_LINK
    assert first.published == 1694668740  # Thu, 14 Sep 2023 05:19:00 GMT
    assert first.author == "Justin McCurry"
    assert first.feed == "World news | The Guardian"
    assert first.standfirst == (
        "North Korean media report that Kim was briefed on space vehicles during his meetings "
        "in Russia, though no specific detail of any deal has emerged"
    )
    assert len(first.body) == 2
    assert first.body[0].startswith("Kim Jong-un invited President Vladimir Putin")
    assert first.body[1].endswith("news agency KCNA said.")
    for item in items:
        assert item.link.startswith("https://www.theguardian.com/world/")
        assert item.guid == item.link and item.author and item.published
        assert item.standfirst and item.body
        assert all("Continue reading" not in p for p in item.body)
    dates = [i.published for i in items]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    glance = next(i for i in items if i.title.startswith("Russia-Ukraine war at a glance"))
    assert len(glance.body) == 10


# --- Atom ----------------------------------------------------------------------------------


def test_atom(atom_file: Path) -> None:
    comet, plain, xhtml = parse_feed(atom_file.read_bytes(), str(atom_file)).items
    assert comet.feed == "Science & Nature"  # an HTML title: tags gone, entities decoded
    assert comet.title == "Comet seen over Lisbon"
    assert comet.link == "https://atom.example/comet"
    assert comet.guid == "tag:atom.example,2024:comet"
    assert comet.published == 1709325000  # 21:30 at +01:00
    assert comet.author == "Ana Sousa"
    assert comet.standfirst == "A bright comet crossed the sky."
    assert comet.body == ["Astronomers explain why."]
    assert plain.title == "Plain [bold]text[/bold] title <not a tag>"
    assert plain.standfirst == "First plain paragraph."
    assert plain.body == ["Second plain paragraph, wrapped."]
    assert plain.published == 1709280000  # only <updated>: used when there is no <published>
    assert plain.link == "", "a relative link is no use to a browser: not kept"
    assert xhtml.title == "XHTML title"
    assert xhtml.link == "", "a javascript: link is not kept"


# --- feedparser is only ever handed bytes --------------------------------------------------


def test_feedparser_is_never_handed_a_str(monkeypatch: pytest.MonkeyPatch, atom_file: Path) -> None:
    from reader.importer import import_sources
    from reader.store import Store
    from tests.conftest import SEED

    handed: list[type] = []
    real = feedparser.parse

    def spy(source: Any, *args: Any, **kwargs: Any) -> Any:
        handed.append(type(source))
        return real(source, *args, **kwargs)

    monkeypatch.setattr(feedparser, "parse", spy)
    parse_feed_with_feedparser(FEED.read_bytes(), "feed")
    parse_feed(atom_file.read_bytes(), "atom")  # an XHTML title: not for the fast path
    import_sources(Store.open(atom_file.parent / "store"), [str(atom_file), str(FEED), str(SEED)])
    assert len(handed) >= 2 and all(t is io.BytesIO for t in handed), handed
    with pytest.raises(TypeError):
        parse_feed(str(FEED), "feed")  # type: ignore[arg-type]


def test_feed_bytes_that_look_like_a_path_are_not_opened(tmp_path: Path) -> None:
    secret = tmp_path / "secret-feed.xml"
    secret.write_bytes(FEED.read_bytes().replace(b"Kim Jong-un", b"SECRET-7f3a"))
    for data in (str(secret).encode(), f"file://{secret}".encode(), f" {secret}\n".encode()):
        with pytest.raises(SourceError) as caught:
            parse_feed(data, "looks-like-a-path")
        assert "SECRET-7f3a" not in str(caught.value)


def test_feed_bytes_that_look_like_a_url_are_not_fetched() -> None:
    start = time.monotonic()
    with pytest.raises(SourceError, match="not an RSS or Atom feed"):
        parse_feed(b"http://10.255.255.1/feed.xml", "looks-like-a-url")  # unroutable: would hang
    assert time.monotonic() - start < 2


def test_titles_and_bodies_that_look_like_paths_or_urls_stay_text(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-91c2")
    data = f"""<rss version="2.0"><channel><title>{secret}</title>
    <item><title>{secret}</title><guid>p</guid><description>file://{secret}</description></item>
    <item><title>http://127.0.0.1:9/x</title><guid>u</guid><description>{FEED}</description></item>
    </channel></rss>""".encode()
    path_item, url_item = parse_feed(data, "paths").items
    assert path_item.title == str(secret) and path_item.feed == str(secret)
    assert path_item.standfirst == f"file://{secret}"
    assert url_item.title == "http://127.0.0.1:9/x" and url_item.standfirst == str(FEED)


# --- what a feed may lie about -------------------------------------------------------------


def rfc822(when: time.struct_time) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", when)


def rss(items: str) -> bytes:
    return f'<rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def test_a_date_in_2099_is_no_date_and_cannot_top_the_list() -> None:
    items = parse_feed(
        rss(
            "<item><title>future</title><guid>f</guid>"
            "<pubDate>Thu, 01 Jan 2099 00:00:00 GMT</pubDate></item>"
            "<item><title>tomorrow</title><guid>t</guid>"
            f"<pubDate>{rfc822(time.gmtime(time.time() + 86400))}"
            "</pubDate></item>"
            "<item><title>future published, sane updated</title><guid>u</guid>"
            "<pubDate>Sat, 01 Jan 2150 00:00:00 GMT</pubDate>"
            '<atom:updated xmlns:atom="http://www.w3.org/2005/Atom">2024-01-02T10:00:00Z'
            "</atom:updated></item>"
        ),
        "dates",
    ).items
    future, tomorrow, fallback = items
    assert future.published is None
    assert tomorrow.published is not None and tomorrow.published > time.time()  # a fast clock
    assert fallback.published == 1704189600


def test_the_same_future_date_gives_the_same_result_on_every_import() -> None:
    data = rss("<item><title>f</title><guid>f</guid><pubDate>Thu, 01 Jan 2099 00:00:00 GMT"
               "</pubDate></item>")
    first = parse_feed(data, "x")
    time.sleep(1.1)
    assert parse_feed(data, "x") == first and first.items


@pytest.mark.parametrize(
    "date", ["not a date", "Mon, 01 Jan 1900 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "",
             "Mon, 32 Foo 2024 99:99:99 XYZ", "0", "-1"],
)
def test_unusable_dates_are_no_date(date: str) -> None:
    (item,) = parse_feed(rss(f"<item><title>x</title><pubDate>{date}</pubDate></item>"), "d").items
    assert item.published is None


def test_duplicate_entries_are_dropped_and_empty_ones_counted() -> None:
    parsed = parse_feed(
        rss(
            "<item><title>first</title><guid>dup</guid></item>"
            "<item><title>second</title><guid>dup</guid></item>"
            "<item><title>by link</title><link>https://x.example/a</link></item>"
            "<item><title>by link</title><link>https://x.example/a</link></item>"
            "<item><title>by link again</title><link>https://x.example/a</link></item>"
            "<item><title>keyless</title><description>one</description></item>"
            "<item><title>keyless</title><description>two</description></item>"
            "<item></item><item><title> </title><description>\x1b[2J</description></item>"
        ),
        "dups",
    )
    assert [(i.title, i.standfirst) for i in parsed.items] == [
        ("first", ""), ("by link", ""), ("by link again", ""), ("keyless", "one")
    ]
    assert parsed.skipped == 2


def test_items_sharing_a_link_without_guids_are_separate_articles() -> None:
    """A status page: one link, no guids, one item per update."""
    updates = ["Outage began", "Outage update", "Outage resolved"]
    link = "https://status.example/incidents/42"
    parsed = parse_feed(
        rss("".join(f"<item><title>{t}</title><link>{link}</link></item>" for t in updates)),
        "status",
    )
    assert [i.title for i in parsed.items] == updates
    assert all(i.link == link for i in parsed.items)


def test_item_without_a_title_is_named_from_its_text() -> None:
    long = "word " * 100
    items = parse_feed(
        rss(f"<item><description>{long}</description></item>"
            "<item><link>https://x.example/only-a-link</link></item>"),
        "untitled",
    ).items
    assert items[0].title == long.strip()[:120]
    assert items[1].title == "(untitled)" and items[1].link == "https://x.example/only-a-link"


def test_bozo_reason_is_one_clean_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return {"bozo": 1, "bozo_exception": ValueError("bad \x1b]0;PWNED\x07 doc\nline two"),
                "entries": [], "version": ""}

    monkeypatch.setattr(feedparser, "parse", broken)
    with pytest.raises(SourceError) as caught:
        parse_feed(b"<x/>", "n")
    assert str(caught.value) == "n: not an RSS or Atom feed (bad doc line two)"


def test_feedparser_raising_is_a_source_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("feedparser bug")

    monkeypatch.setattr(feedparser, "parse", explode)
    with pytest.raises(SourceError, match=r"^n: cannot parse feed \(RuntimeError\)$"):
        parse_feed(b"<rss/>", "n")


def test_hostile_feed_text_is_clean(tmp_path: Path) -> None:
    from tests.test_hostile import assert_clean

    data = rss(
        "<item><title>Clear \x1b[2J \x1b]0;PWNED\x07 [bold]x[/bold]</title><guid>h</guid>"
        "<author>\u202eevil\u202c author</author><link>https://x.example/\u200bh</link>"
        "<description><![CDATA[<p>NUL \x00 C1 \xc2\x9b31m \u200b</p><p>\x1b]52;c;Zm9v\x07</p>]]>"
        "</description></item>".replace("\xc2\x9b", "\x9b")
    )
    (item,) = parse_feed(data, "hostile").items
    assert item.title == "Clear [bold]x[/bold]"
    assert item.author == "evil author"
    assert item.link == "https://x.example/h"
    assert_clean(item)


# --- links and names relative to where the feed came from ----------------------------------

RELATIVE = b"""<rss version="2.0"><channel><title>Blog</title>
<item><title>rooted</title><link>/posts/hello-world</link></item>
<item><title>relative</title><link>posts/second</link></item>
<item><title>script</title><link>javascript:alert(1)</link></item>
<item><title>bare guid</title><guid>item-42</guid></item>
<item><title>absolute</title><link>https://elsewhere.example/x</link></item>
<item xml:base="https://cdn.example/base/"><title>based</title><link>third</link></item>
</channel></rss>"""  # xml:base last: feedparser lets an item's xml:base reach the items after it


def test_relative_links_resolve_against_the_feed_url_and_xml_base() -> None:
    parsed = parse_feed(RELATIVE, "http://blog.example/feeds/rss.xml",
                        url="https://blog.example/feeds/rss.xml")
    links = {i.title: i.link for i in parsed.items}
    assert links == {
        "rooted": "https://blog.example/posts/hello-world",
        "relative": "https://blog.example/feeds/posts/second",
        "based": "https://cdn.example/base/third",
        "script": "",  # resolved or not, only http(s) is kept
        "bare guid": "",  # a guid is not a link: not made into one against the feed's URL
        "absolute": "https://elsewhere.example/x",
    }
    guid = next(i for i in parsed.items if i.title == "bare guid").guid
    assert guid == "item-42", "the article's identity does not depend on where it came from"


def test_a_content_location_header_changes_no_guid() -> None:
    headers = {"content-location": "/moved/rss.xml", "content-type": "application/rss+xml"}
    parsed = parse_feed(RELATIVE, "u", headers, url="https://blog.example/feeds/rss.xml")
    by_title = {i.title: i for i in parsed.items}
    assert by_title["bare guid"].guid == "item-42"
    assert by_title["relative"].link == "https://blog.example/moved/posts/second"
    alone = parse_feed(RELATIVE, "u", {"content-location": "https://blog.example/rss"})
    assert {i.title: i for i in alone.items}["bare guid"].guid == "item-42"


def test_relative_links_in_a_file_resolve_only_against_xml_base() -> None:
    parsed = parse_feed(RELATIVE, "/home/me/feeds/blog.xml")
    links = {i.title: i.link for i in parsed.items}
    assert links["rooted"] == links["relative"] == ""
    assert links["based"] == "https://cdn.example/base/third"


@pytest.mark.parametrize(
    ("name", "url", "expected"),
    [
        ("/home/me/feeds/status-page.xml", "", "status-page"),
        ("feeds/blog.atom", "", "blog"),
        ("https://status.example/feed?x=1", "https://status.example/feed?x=1", "status.example"),
        ("http://127.0.0.1:8080/rss", "http://127.0.0.1:8080/rss", "127.0.0.1"),
        ("https://old.example/rss", "https://new.example/rss", "new.example"),  # redirected
    ],
)
def test_a_feed_without_a_title_is_named_after_its_file_or_host(
    name: str, url: str, expected: str
) -> None:
    untitled = b'<rss version="2.0"><channel><item><title>x</title></item></channel></rss>'
    (item,) = parse_feed(untitled, name, url=url).items
    assert item.feed == expected
