"""The lxml fast path against feedparser, the parser of record: identical articles, or a bail-out.

The differential test runs both on every feed in fixtures/, on the benchmark's generated corpus
and on a few hundred generated RSS 2.0 and Atom 1.0 documents that combine the constructs where
feedparser has rules of its own (duplicates, element order, guid as link, HTML in text titles,
mangled encodings, authors with e-mails, relative links, unknown namespaces...). Wherever the fast
path does not bail out, ``parse_feed`` must equal ``parse_feed_with_feedparser``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import feedparser
import pytest

from bench.corpus import render_feed
from reader import fastfeed, feedsplit
from reader.errors import SourceError
from reader.feed import Entries, parse_feed, parse_feed_with_feedparser, unique
from tests.conftest import FEED, FIXTURES
from tests.test_feed import ATOM, RELATIVE

BASE = "https://blog.example/feeds/rss.xml"


def outcome(parse: Callable[..., Entries], data: bytes, **kwargs: object) -> Entries | str:
    try:
        return parse(data, "feed.xml", **kwargs)
    except SourceError as error:
        return f"error: {error}"


def same(data: bytes, headers: dict[str, str] | None = None, url: str = "") -> bool:
    """Assert both paths agree on ``data``; say whether the fast path read it."""
    fast = fastfeed.parse(data, dict(headers or {})) is not None
    expected = outcome(parse_feed_with_feedparser, data, headers=headers, url=url)
    got = outcome(parse_feed, data, headers=headers, url=url)
    if got != expected and isinstance(got, Entries) and isinstance(expected, Entries):
        for mine, theirs in zip(got.items, expected.items, strict=False):
            assert mine == theirs, data.decode("utf-8", "replace")
    assert got == expected, data.decode("utf-8", "replace")
    return fast


# --- the fixtures ----------------------------------------------------------------------------

FIXTURE_FILES = sorted(
    path
    for pattern in ("*.xml", "broken/*", "hostile/*")
    for path in FIXTURES.glob(pattern)
    if path.is_file()
)


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_parses_the_same_on_both_paths(path: Path) -> None:
    data = path.read_bytes()
    same(data)
    same(data, url=BASE)
    same(data, headers={"content-type": "application/rss+xml; charset=utf-8"}, url=BASE)
    same(data, headers={"content-type": "text/xml"})  # us-ascii by RFC 3023
    same(data, headers={"etag": '"1"'})  # no Content-Type: ISO-8859-1 unless declared


def test_the_fixture_feed_takes_the_fast_path() -> None:
    assert same(FEED.read_bytes())
    assert len(parse_feed(FEED.read_bytes(), "feed.xml").items) == 20


def test_test_feeds_elsewhere_agree_too() -> None:
    assert not same(ATOM.encode())  # an XHTML title: feedparser's to read
    assert same(RELATIVE, url=BASE)  # xml:base, and feedparser's leak of it to later items
    assert same(RELATIVE)


# --- the benchmark corpus --------------------------------------------------------------------


def test_the_bench_corpus_takes_the_fast_path_and_agrees() -> None:
    data, _, _ = render_feed("world", "World news | The Guardian", 300, 0)
    assert same(data)
    assert same(data, url="https://www.theguardian.com/world/rss")
    assert len(parse_feed(data, "world").items) == 300


# --- what the fast path refuses --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["broken/billion-laughs.xml", "broken/external-entity.xml", "broken/external-dtd.xml"],
)
def test_a_doctype_goes_to_feedparser(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    assert fastfeed.parse(data, {}) is None
    inline = b'<?xml version="1.0"?><!DOCTYPE rss><rss version="2.0"><channel></channel></rss>'
    assert fastfeed.parse(inline, {}) is None


@pytest.mark.parametrize(
    "data",
    [
        b'<rss version="0.91"><channel><title>T</title></channel></rss>',  # another dialect
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        b'xmlns="http://purl.org/rss/1.0/"><channel><title>T</title></channel></rdf:RDF>',
        b'<feed xmlns="http://purl.org/atom/ns#" version="0.3"><title>T</title></feed>',
        b'<rss version="2.0"><channel><title>T</title><item><title>x</title>'
        b"<title>&nbsp;</title></item></channel></rss>",  # not well-formed
        b'<rss version="2.0"><channel><item><abstract>a</abstract></item></channel></rss>',
        # a handler not modelled
        b'<rss version="2.0"><channel><item><x:encoded xmlns:x="urn:x">x</x:encoded></item>'
        b"</channel></rss>",  # an unknown namespace reusing a handled name
        b'<rss version="2.0" xmlns:media="http://purl.org/dc/elements/1.1/"><channel><item>'
        b"<title>t</title></item></channel></rss>",  # a standard prefix bound elsewhere
        b'<rss version="2.0"><channel><item rdf:about="x" xmlns:rdf="http://www.w3.org/1999/'
        b'02/22-rdf-syntax-ns#"><title>t</title></item></channel></rss>',
        b'<rss version="2.0"><channel><item><description>a</description>'
        b'<content type="application/octet-stream">b</content></item></channel></rss>',  # base64
        b'<rss version="2.0"><channel><item><description><p>raw</p></description></item>'
        b"</channel></rss>",  # markup feedparser would serialise
    ],
)
def test_what_the_fast_path_does_not_model_goes_to_feedparser(data: bytes) -> None:
    assert fastfeed.parse(data, {}) is None
    same(data)


# --- feedparser's rules, one at a time ---------------------------------------------------------


def rss(channel: str, namespaces: str = "") -> bytes:
    return f'<rss version="2.0" {namespaces}><channel>{channel}</channel></rss>'.encode()


@pytest.mark.parametrize(
    ("channel", "feed"),
    [
        ("<title>First</title><title>Second</title>", "First"),  # the first non-empty one
        ("<title></title><title>Second</title>", "Second"),
        ("<title>First</title><image><title></title></image><title>Second</title>", "Second"),
        ("<title>First</title><item><title>i</title></item><title>Last</title>", "Last"),
        ("<title>&lt;b&gt;Bold&lt;/b&gt; &amp;amp; more</title>", "Bold & more"),  # HTML-ish
        ("<title>cafÃ©</title>", "café"),  # mojibake undone
    ],
)
def test_the_feed_title_follows_feedparser(channel: str, feed: str) -> None:
    data = rss(channel + "<item><title>x</title></item>")
    assert same(data)
    assert parse_feed(data, "f").items[0].feed == feed


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("<title>A</title><title>B</title>", {"title": "A"}),
        ("<title>A</title><source url='https://s.example/'>S</source><title>B</title>",
         {"title": "B"}),  # a <source> lets the next title in
        ("<guid>https://x.example/g</guid>", {"link": "https://x.example/g"}),
        ("<guid isPermaLink='false'>https://x.example/g</guid>", {"link": ""}),
        ("<link>https://x.example/?a=1&amp;amp;b=2</link>", {"link": "https://x.example/?a=1&b=2"}),
        ("<author>jane@news.com (Jane Doe)</author>", {"author": "Jane Doe"}),
        ("<description>&lt;p&gt;D&lt;/p&gt;</description><content:encoded>&lt;p&gt;C1&lt;/p&gt;"
         "&lt;p&gt;C2&lt;/p&gt;</content:encoded>", {"standfirst": "C1", "body": ["C2"]}),
        ("<pubDate>junk</pubDate><dc:date>2024-01-02T10:00:00Z</dc:date>",
         {"published": 1704189600}),
        ("<description>short</description><description>the longer one</description>",
         {"standfirst": "the longer one"}),  # feedparser: the second one is content
        ("<media:group><media:title>M</media:title><media:description>&lt;p&gt;P&lt;/p&gt;"
         "</media:description></media:group>", {"title": "t", "standfirst": "P"}),  # deeper
        ("<title>T</title><media:group><media:title>M</media:title></media:group>",
         {"title": "T"}),
        ("<description>&lt;b&gt;longer&lt;/b&gt;</description><media:content><media:description "
         "type='plain'>d</media:description></media:content>",  # a second summary: content
         {"standfirst": "longer"}),
    ],
)
def test_items_follow_feedparser(item: str, expected: dict[str, object]) -> None:
    namespaces = ('xmlns:dc="http://purl.org/dc/elements/1.1/" '
                  'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
                  'xmlns:media="http://search.yahoo.com/mrss/"')
    data = rss(f"<title>T</title><item>{item}<title>t</title></item>", namespaces)
    assert same(data, url=BASE)
    (parsed,) = parse_feed(data, "f", url=BASE).items
    assert {key: getattr(parsed, key) for key in expected} == expected


def test_a_deeper_summary_changes_only_the_type_of_the_one_kept() -> None:
    """With content present, a <media:description> nested deeper than the item's description
    does not replace it, but its type="plain" does replace the description's HTML type."""
    data = rss(
        "<title>T</title><item><title>t</title><content:encoded>c</content:encoded>"
        "<description>&lt;b&gt;the description&lt;/b&gt;</description><media:content>"
        "<media:description type='plain'>m</media:description></media:content></item>",
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:media="http://search.yahoo.com/mrss/"',
    )
    assert same(data)
    assert parse_feed(data, "p").items[0].standfirst == "<b>the description</b>"


def test_two_channel_descriptions_leave_the_items_alone() -> None:
    data = rss(
        "<title>T</title><description>one</description><description>two</description>"
        "<item><title>t</title><description>the longer one</description>"
        "<description>short</description></item>"
    )
    assert same(data)
    assert parse_feed(data, "p").items[0].standfirst == "the longer one"  # 2nd: content


def test_a_channel_summary_makes_the_channel_description_content() -> None:
    """feedparser's hasContent, set by a second channel summary, lasts until the first item
    ends: that item's second description is then a plain overwrite, not content."""
    data = rss(
        "<title>P</title><itunes:summary>s</itunes:summary><description>d</description>"
        "<item><title>one</title><description>first</description>"
        "<description>second</description></item>",
        'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"',
    )
    assert same(data)
    assert parse_feed(data, "p").items[0].standfirst == "second"


# --- generated documents ---------------------------------------------------------------------

NAMESPACES = (
    'xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" '
    'xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
    'xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
    'xmlns:x="urn:example:unknown" '
    'xmlns:xlink="http://www.w3.org/1999/xlink"'
)

TEXTS = [
    "Plain words",
    "",
    "   spaced   out   ",
    "A &amp; B",
    "&lt;b&gt;Bold&lt;/b&gt; title",
    "&lt;b&gt;unclosed &amp;nbsp; tags",
    "Tom &amp;amp; Jerry",
    "<![CDATA[<i>Italic</i> &amp; raw]]>",
    "Ã©tÃ© mojibake",
    "caf\u00e9 au lait",
    "cp1252 \u0093quoted\u0094 \u0085",
    "Emoji \U0001f44d and \u2019quotes\u2019",
    "[bold]markup[/bold] and [@click=app.quit]x[/]",
    "before <!-- a comment --> after",
    "&#x2019;char refs&#8217; &#169;",
    "line\nbreaks\n\nand paragraphs",
    "x < y &gt; z",
    "&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two&lt;/p&gt;",
    "&lt;script&gt;alert(1)&lt;/script&gt;kept",
    "Continue reading...",
    "http://example.com/looks-like-a-link",
]
HTML = [
    "&lt;p&gt;First paragraph.&lt;/p&gt;&lt;p&gt;Second &lt;a href='/x'&gt;link&lt;/a&gt;."
    "&lt;/p&gt;",
    "<![CDATA[<p>Para one</p><p>Para two</p><p><a href=\"/more\">Continue reading...</a></p>]]>",
    "Plain text description\n\nwith two blocks",
    "&lt;div&gt;&lt;ul&gt;&lt;li&gt;one&lt;/li&gt;&lt;li&gt;two&lt;/li&gt;&lt;/ul&gt;&lt;/div&gt;",
    "&lt;p&gt;caf\u00e9 &amp;amp; cr\u00e8me&lt;/p&gt;&lt;br/&gt;after a break",
    "",
    "   ",
    "Ã© &lt;b&gt;bold&lt;/b&gt;",
]
LINKS = [
    "https://x.example/a",
    "/rooted/path",
    "relative/path",
    "http:///three/slashes",
    "https://x.example/?a=1&amp;b=2",
    "https://x.example/?a=1&amp;amp;b=2&amp;c;=3",
    "javascript:alert(1)",
    "",
    "  https://x.example/spaced  ",
    "tag:x.example,2024:1",
    "item-42",
    "https://x.example/caf\u00e9",
]
PEOPLE = [
    "Jane Doe",
    "jane@x.example (Jane Doe)",
    "jane@x.example",
    "Jane Doe &lt;jane@x.example&gt;",
    "(Jane Doe) jane@x.example",
    "",
    "  Ã‰mile  ",
]
BASES = [
    ' xml:base="https://cdn.example/base/"',
    ' xml:base="sub/"',
    ' xml:base="javascript:alert(1)"',
    ' base="https://bare.example/"',  # feedparser reads a plain base= as well
    ' xml:base=""',
]
DATES = [
    "Thu, 14 Sep 2023 05:19:00 GMT",
    "Thu, 14 Sep 2023 05:19:00 +0200",
    "2023-09-14T05:19:00Z",
    "2023-09-14T05:19:00+01:00",
    "2023-09-14",
    "14 Sep 2023",
    "not a date",
    "",
    "Thu, 01 Jan 2099 00:00:00 GMT",
    "Mon, 01 Jan 1900 00:00:00 GMT",
    "2024-02-30T10:00:00Z",
    "Sun Sep 10 10:00:00 2023",
]


def pick(rng: random.Random, pool: list[str]) -> str:
    return rng.choice(pool)


def attr(rng: random.Random, *choices: str) -> str:
    return rng.choice(["", "", *choices])


def rss_element(rng: random.Random, wild: bool) -> str:
    """One child of an RSS <item>, from the constructs feedparser has rules for; ``wild`` adds
    those the fast path leaves to feedparser."""
    kind = rng.randrange(30)
    if kind < 4:
        tag = rng.choice(["title", "title", "title", "dc:title"])
        kinds = attr(rng, ' type="html"', ' type="text"', ' TYPE="HTML"',
                     ' type="html" dc:type="text"')  # feedparser files dc:type as type too
        return f"<{tag}{kinds}>{pick(rng, TEXTS)}</{tag}>"
    if kind < 7:
        if rng.random() < 0.2:
            rel = attr(rng, ' rel="alternate"', ' rel="self"', ' rel="enclosure"')
            return f'<atom:link href="{pick(rng, LINKS)}"{rel}/>'
        base = attr(rng, *BASES) if wild else ""
        return f"<link{base}>{pick(rng, LINKS)}</link>"
    if kind < 10:
        permalink = attr(rng, ' isPermaLink="false"', ' isPermaLink="true"', ' isPermaLink="True"')
        return f"<guid{permalink}>{pick(rng, LINKS)}</guid>"
    if kind < 13:
        tag = rng.choice(["description", "description", "dc:description", "summary",
                          "itunes:summary"] if wild else ["description"])
        kinds = attr(rng, ' type="text"', ' type="html"')
        return f"<{tag}{kinds}>{pick(rng, HTML)}</{tag}>"
    if kind < 15:
        return f"<content:encoded>{pick(rng, HTML)}</content:encoded>"
    if kind < 18:
        tag = rng.choice(["author", "dc:creator", "itunes:author", "managingEditor"])
        return f"<{tag}>{pick(rng, PEOPLE)}</{tag}>"
    if kind < 22:
        tag = rng.choice(["pubDate", "dc:date", "atom:updated", "atom:published",
                          "dcterms:modified", "dcterms:created", "lastBuildDate"])
        return f"<{tag}>{pick(rng, DATES)}</{tag}>"
    others = [
            '<category domain="https://x.example/c">News</category>',
            "<category>World</category>",
            '<enclosure url="https://x.example/a.mp3" length="1" type="audio/mpeg"/>',
            "<comments>https://x.example/comments</comments>",
            '<source url="https://x.example/src">Elsewhere</source>',
            '<media:thumbnail url="https://x.example/t.jpg" width="1"/>',
            '<media:content url="https://x.example/m.jpg"><media:credit>c</media:credit>'
            "</media:content>",
            f"<media:content><media:title>{pick(rng, TEXTS)}</media:title><media:description>"
            f"{pick(rng, HTML)}</media:description></media:content>",
            f"<media:group><media:description type='plain'>{pick(rng, HTML)}"
            "</media:description></media:group>",
            "<x:custom>unknown namespace</x:custom>",
            '<x:thing attr="1"><x:inner>deep</x:inner></x:thing>',
            "<wfw:commentRss>https://x.example/c.rss</wfw:commentRss>",
            "<itunes:duration>12:00</itunes:duration>",
            "<itunes:explicit>no</itunes:explicit>",
            "<!-- a comment between elements -->",
            "<generic>text of an element feedparser does not know</generic>",
    ]
    if wild:
        others += [
            '<media:title type="plain">media title</media:title>',
            "<x:title>unknown namespace title</x:title>",
            "<abstract>an abstract</abstract>",
        ]
    return rng.choice(others)


def rss_document(rng: random.Random) -> bytes:
    wild = rng.random() < 0.5
    channel = []
    for _ in range(rng.choice([0, 1, 1, 1, 2])):
        kinds = attr(rng, ' type="html"')
        channel.append(f"<title{kinds}>{pick(rng, TEXTS)}</title>")
    if rng.random() < 0.3:
        channel.append(
            f"<image><url>https://x.example/i.png</url><title>{pick(rng, TEXTS)}</title>"
            "<link>https://x.example/</link></image>"
        )
    if rng.random() < 0.2:
        channel.append("<itunes:summary>podcast summary</itunes:summary>")
    channel += rng.sample(
        [
            "<link>https://x.example/</link>",
            "<description>The channel</description>",
            "<language>en</language>",
            "<pubDate>Thu, 14 Sep 2023 05:19:00 GMT</pubDate>",
            '<atom:link href="https://x.example/rss" rel="self" type="application/rss+xml"/>',
            "<generator>gen</generator>",
            "<ttl>60</ttl>",
            "<itunes:owner><itunes:name>o</itunes:name></itunes:owner>",
        ],
        rng.randint(0, 3),
    )
    items = []
    for _ in range(rng.randint(0, 5)):
        elements = [rss_element(rng, wild) for _ in range(rng.randint(0, 7))]
        extra = attr(rng, ' xml:lang="en"', *BASES * wild)
        items.append(f"<item{extra}>{''.join(elements)}</item>")
    parts = channel + items
    if rng.random() < 0.2:  # a channel title after the items
        parts.append(f"<title>{pick(rng, TEXTS)}</title>")
    body = "".join(parts)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" {NAMESPACES}>'
        f"<channel>{body}</channel></rss>"
    ).encode()


def atom_element(rng: random.Random, wild: bool) -> str:
    kind = rng.randrange(24)
    if kind < 4:
        kinds = attr(rng, ' type="text"', ' type="html"', *[' type="xhtml"'] * wild)
        text = pick(rng, TEXTS)
        if "xhtml" in kinds:
            text = f'<div xmlns="http://www.w3.org/1999/xhtml">{escape("<b>x</b>")}</div>'
        return f"<title{kinds}>{text}</title>"
    if kind < 9:
        rel = attr(rng, ' rel="alternate"', ' rel="self"', ' rel="enclosure"', ' rel="related"',
                   ' rel="ALTERNATE"')
        kinds = attr(rng, ' type="text/html"', ' type="application/atom+xml"',
                     ' type="application/xhtml+xml"')
        if rng.random() < 0.1:
            return f"<link{rel}>{pick(rng, LINKS)}</link>"
        if rng.random() < 0.1:
            return f'<link{rel} xlink:href="{pick(rng, LINKS)}"/>'  # not an href
        if rng.random() < 0.1:  # both an href, in feedparser's eyes: the plain one wins
            return f'<link{rel} href="{pick(rng, LINKS)}" a:href="{pick(rng, LINKS)}"/>'
        return f'<link{rel}{kinds} href="{pick(rng, LINKS)}"/>'
    if kind < 11:
        return f"<id>{pick(rng, LINKS)}</id>"
    if kind < 14:
        tag = rng.choice(["published", "updated", "updated", "created", "issued", "modified"])
        return f"<{tag}>{pick(rng, DATES)}</{tag}>"
    if kind < 17:
        parts = rng.sample(
            [f"<name>{pick(rng, PEOPLE)}</name>", "<email>a@x.example</email>",
             "<uri>https://x.example/a</uri>", "<uri>/rel</uri>"],
            rng.randint(0, 3),
        )
        return f"<author>{''.join(parts)}</author>"
    if kind < 19:
        kinds = attr(rng, ' type="html"', ' type="text"')
        return f"<summary{kinds}>{pick(rng, HTML)}</summary>"
    if kind < 21:
        kinds = attr(rng, ' type="html"', ' type="text"', ' type="text/html"',
                     ' type="html" xml:base="https://x.example/post/"',  # Jekyll's
                     *[' type="xhtml"', ' src="https://x.example/c"'] * wild)
        text = pick(rng, HTML)
        if "xhtml" in kinds:
            text = '<div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div>'
        return f"<content{kinds}>{text}</content>"
    return rng.choice(
        [
            '<category term="t" scheme="s"/>',
            "<contributor><name>C</name></contributor>",
            "<rights>(c)</rights>",
            "<source><title>elsewhere</title></source>",
            '<link rel="replies" href="https://x.example/r" thr:count="2" '
            'xmlns:thr="http://purl.org/syndication/thread/1.0"/>',
            "<x:custom>unknown</x:custom>",
            '<media:thumbnail url="https://x.example/t.jpg"/>',
            f"<media:group><media:title>{pick(rng, TEXTS)}</media:title><media:description>"
            f"{pick(rng, HTML)}</media:description><media:thumbnail url='t.jpg'/></media:group>",
        ]
    )


def atom_document(rng: random.Random) -> bytes:
    wild = rng.random() < 0.5
    head = []
    for _ in range(rng.choice([0, 1, 1, 1, 2])):
        kinds = attr(rng, ' type="html"', ' type="text"')
        head.append(f"<title{kinds}>{pick(rng, TEXTS)}</title>")
    head += rng.sample(
        [
            "<id>urn:feed</id>",
            '<link href="https://x.example/"/>',
            '<link rel="self" href="https://x.example/atom"/>',
            "<updated>2023-09-14T05:19:00Z</updated>",
            "<subtitle>sub</subtitle>",
            "<author><name>Feed Author</name></author>",
            "<generator uri='https://gen.example'>gen</generator>",
            "<icon>https://x.example/i.png</icon>",
        ],
        rng.randint(0, 4),
    )
    entries = []
    for _ in range(rng.randint(0, 5)):
        elements = [atom_element(rng, wild) for _ in range(rng.randint(0, 7))]
        base = attr(rng, *BASES) if wild else ""
        entries.append(f"<entry{base}>{''.join(elements)}</entry>")
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" {NAMESPACES.replace("xmlns:atom", "xmlns:a")}>'
        f"{''.join(head + entries)}</feed>"
    ).encode()


def variants(data: bytes, rng: random.Random) -> list[tuple[bytes, dict[str, str], str]]:
    """The document as it might arrive: with or without a URL, headers, another encoding."""
    out: list[tuple[bytes, dict[str, str], str]] = [(data, {}, ""), (data, {}, BASE)]
    roll = rng.random()
    if roll < 0.2:
        out.append((data, {"content-type": "text/xml"}, BASE))
    elif roll < 0.4:
        out.append((data, {"content-type": "application/atom+xml; charset=iso-8859-1"}, ""))
    elif roll < 0.5:
        latin = data.replace(b'encoding="utf-8"', b'encoding="iso-8859-1"')
        out.append((latin.decode().encode("latin-1", "xmlcharrefreplace"), {}, ""))
        out.append((latin, {}, ""))  # UTF-8 bytes declared Latin-1: read as Latin-1
    elif roll < 0.6:
        out.append((data.decode().encode("utf-16"), {}, ""))
    elif roll < 0.7:
        out.append((b"\xef\xbb\xbf" + data, {}, ""))
    elif roll < 0.8:
        upper = data.replace(b'encoding="utf-8"', b'encoding="UTF-8"')
        out.append((upper, {"content-type": "application/rss+xml; charset=UTF-8"}, BASE))
    elif roll < 0.9:  # no declaration, and headers without a type: ISO-8859-1 to feedparser
        out.append((data.split(b"\n", 1)[1], {"etag": '"1"'}, ""))
    return out


@pytest.mark.parametrize("kind", ["rss", "atom"])
def test_generated_documents_parse_the_same_on_both_paths(kind: str) -> None:
    rng = random.Random(f"fastfeed-{kind}")
    make = rss_document if kind == "rss" else atom_document
    fast = total = 0
    for _ in range(400):
        document = make(rng)
        for data, headers, url in variants(document, rng):
            total += 1
            fast += same(data, headers, url)
    assert fast > total // 4, (fast, total)  # the fast path reads a good share of them


def test_the_fast_path_never_changes_a_date_decision() -> None:
    """A date a little ahead of now, or far ahead, is judged the same on both paths."""
    soon = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 86400))
    data = (
        '<rss version="2.0"><channel><item><title>a</title><guid>a</guid>'
        f"<pubDate>{soon}</pubDate></item><item><title>b</title><guid>b</guid>"
        "<pubDate>Thu, 01 Jan 2099 00:00:00 GMT</pubDate>"
        "<dc:date xmlns:dc='http://purl.org/dc/elements/1.1/'>2024-01-02T10:00:00Z</dc:date>"
        "</item></channel></rss>"
    ).encode()
    assert same(data)
    assert [i.published for i in parse_feed(data, "d").items][1] == 1704189600


def test_the_feedparser_path_is_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = feedparser.parse

    def spy(*args: object, **kwargs: object) -> object:
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(feedparser, "parse", spy)
    parse_feed(FEED.read_bytes(), "feed.xml")
    assert calls == []
    parse_feed_with_feedparser(FEED.read_bytes(), "feed.xml")
    assert len(calls) == 1


# --- a big feed cut across cores -------------------------------------------------------------


def test_a_cut_feed_reads_like_the_whole_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The importer parses the parts of a cut feed apart (reader.feedsplit): on either path the
    parts must give the items of the whole, which rules out cutting feeds where feedparser
    carries state from one item to the next."""
    monkeypatch.setattr(feedsplit, "MIN_SIZE", 0)
    cut = 0
    for kind, make in (("rss", rss_document), ("atom", atom_document)):
        rng = random.Random(f"split-{kind}")
        for _ in range(300):
            data = make(rng)
            parts = feedsplit.split(data, 3)
            if len(parts) == 1:
                continue
            cut += 1
            for parse in (parse_feed, parse_feed_with_feedparser):
                whole = parse(data, "f")
                pieces = [parse(part, "f") for part in parts]
                assert unique(i for p in pieces for i in p.items) == whole.items, data.decode()
                assert sum(p.skipped for p in pieces) == whole.skipped
    assert cut > 50


@pytest.mark.parametrize(
    "channel",
    [
        '<item xml:base="https://cdn.example/"><title>a</title><link>x</link></item>',  # leaks
        "<itunes:summary>s</itunes:summary><description>d</description>",  # content flag
        "<content:encoded>c</content:encoded>",
        "<item><title>x &amp; y < z</title></item>",  # not well-formed: loose parser
    ],
)
def test_feeds_that_carry_state_across_items_are_left_whole(
    monkeypatch: pytest.MonkeyPatch, channel: str
) -> None:
    monkeypatch.setattr(feedsplit, "MIN_SIZE", 0)
    items = "".join(f"<item><title>t{i}</title><link>l{i}</link></item>" for i in range(6))
    namespaces = ('xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
                  'xmlns:content="http://purl.org/rss/1.0/modules/content/"')
    plain = rss("<title>T</title>" + items, namespaces)
    assert len(feedsplit.split(plain, 2)) == 2
    in_head = not channel.startswith("<item")
    data = rss("<title>T</title>" + (channel + items if in_head else items + channel), namespaces)
    assert feedsplit.split(data, 2) == [data]


# --- shapes of feeds in the wild ------------------------------------------------------------

WILD = {
    "wordpress": """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wfw="http://wellformedweb.org/CommentAPI/" xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:atom="http://www.w3.org/2005/Atom" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"
  xmlns:slash="http://purl.org/rss/1.0/modules/slash/">
<channel>
  <title>Example Blog</title>
  <atom:link href="https://blog.example/feed/" rel="self" type="application/rss+xml" />
  <link>https://blog.example</link>
  <description>Just another WordPress site</description>
  <lastBuildDate>Mon, 04 Mar 2024 10:00:00 +0000</lastBuildDate>
  <language>en-US</language>
  <sy:updatePeriod>hourly</sy:updatePeriod>
  <generator>https://wordpress.org/?v=6.4.3</generator>
  <image><url>https://blog.example/icon.png</url><title>Example Blog</title>
    <link>https://blog.example</link><width>32</width><height>32</height></image>
  <item>
    <title>Hello world &#8211; again</title>
    <link>https://blog.example/2024/03/hello-world/</link>
    <comments>https://blog.example/2024/03/hello-world/#respond</comments>
    <dc:creator><![CDATA[admin]]></dc:creator>
    <pubDate>Mon, 04 Mar 2024 09:00:00 +0000</pubDate>
    <category><![CDATA[Uncategorized]]></category>
    <guid isPermaLink="false">https://blog.example/?p=1</guid>
    <description><![CDATA[Welcome to WordPress. This is your first post. [&#8230;]]]></description>
    <content:encoded><![CDATA[<p>Welcome to WordPress. This is your first post.</p>
<!-- wp:paragraph --><p>Edit it, then <a href="/start">start writing</a>!</p>
<figure><img src="/a.jpg" alt=""/><figcaption>A caption</figcaption></figure>]]></content:encoded>
    <wfw:commentRss>https://blog.example/2024/03/hello-world/feed/</wfw:commentRss>
    <slash:comments>0</slash:comments>
  </item>
</channel>
</rss>""",
    "jekyll": """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" >
<generator uri="https://jekyllrb.com/" version="4.3.2">Jekyll</generator>
<link href="https://me.github.io/feed.xml" rel="self" type="application/atom+xml" />
<link href="https://me.github.io/" rel="alternate" type="text/html" />
<updated>2024-03-04T10:00:00+00:00</updated><id>https://me.github.io/feed.xml</id>
<title type="html">My &amp;amp; Blog</title><subtitle>Notes</subtitle>
<author><name>Me</name></author>
<entry><title type="html">Parsing feeds, fast</title>
<link href="https://me.github.io/2024/03/04/feeds.html" rel="alternate" type="text/html"
 title="Parsing feeds, fast" /><published>2024-03-04T10:00:00+00:00</published>
<updated>2024-03-04T10:00:00+00:00</updated><id>https://me.github.io/2024/03/04/feeds</id>
<content type="html" xml:base="https://me.github.io/2024/03/04/feeds.html">&lt;p&gt;Some
&lt;em&gt;text&lt;/em&gt;.&lt;/p&gt;

&lt;p&gt;More.&lt;/p&gt;</content><author><name>Me</name></author><category term="code" />
<summary type="html">Some text.</summary></entry>
<entry><title type="html">Second</title><link href="/2024/03/01/second.html" rel="alternate"
 type="text/html" title="Second" /><published>2024-03-01T10:00:00+00:00</published>
<id>/2024/03/01/second</id><content type="html"
 xml:base="https://me.github.io/2024/03/01/second.html">&lt;p&gt;Two.&lt;/p&gt;</content></entry>
</feed>""",
    "youtube": """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" xmlns:media="http://search.yahoo.com/mrss/"
 xmlns="http://www.w3.org/2005/Atom">
 <link rel="self" href="http://www.youtube.com/feeds/videos.xml?channel_id=UCxyz"/>
 <id>yt:channel:UCxyz</id><yt:channelId>UCxyz</yt:channelId><title>A Channel</title>
 <link rel="alternate" href="https://www.youtube.com/channel/UCxyz"/>
 <author><name>A Channel</name><uri>https://www.youtube.com/channel/UCxyz</uri></author>
 <published>2015-01-01T00:00:00+00:00</published>
 <entry>
  <id>yt:video:abc</id><yt:videoId>abc</yt:videoId><yt:channelId>UCxyz</yt:channelId>
  <title>Video one</title><link rel="alternate" href="https://www.youtube.com/watch?v=abc"/>
  <author><name>A Channel</name><uri>https://www.youtube.com/channel/UCxyz</uri></author>
  <published>2024-03-01T12:00:00+00:00</published><updated>2024-03-02T12:00:00+00:00</updated>
  <media:group>
   <media:title>Video one</media:title>
   <media:content url="https://www.youtube.com/v/abc?version=3"
    type="application/x-shockwave-flash" width="640" height="390"/>
   <media:thumbnail url="https://i.ytimg.com/vi/abc/hqdefault.jpg" width="480" height="360"/>
   <media:description>What this video is about.

Links: https://example.com</media:description>
   <media:community><media:starRating count="10" average="5.00" min="1" max="5"/>
    <media:statistics views="100"/></media:community>
  </media:group>
 </entry>
</feed>""",
    "podcast": """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"
 xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom"
 xmlns:podcast="https://podcastindex.org/namespace/1.0">
<channel>
<title>The Show</title><link>https://show.example</link><language>en</language>
<copyright>2024 Show</copyright><itunes:author>Host</itunes:author>
<description>A show about things.</description><itunes:summary>A show about things.</itunes:summary>
<itunes:type>episodic</itunes:type>
<itunes:owner><itunes:name>Host</itunes:name><itunes:email>host@show.example</itunes:email>
</itunes:owner><itunes:image href="https://show.example/art.jpg"/>
<itunes:category text="Technology"/><itunes:explicit>false</itunes:explicit>
<item>
<title>Episode 1: Start</title>
<description><![CDATA[<p>The first episode.</p><p>Notes.</p>]]></description>
<itunes:summary>The first episode.</itunes:summary>
<content:encoded><![CDATA[<p>The first episode.</p><p>Notes and links.</p>]]></content:encoded>
<enclosure url="https://show.example/1.mp3" length="123" type="audio/mpeg"/>
<guid isPermaLink="false">show-ep-1</guid><pubDate>Fri, 01 Mar 2024 08:00:00 GMT</pubDate>
<itunes:duration>00:42:00</itunes:duration><itunes:episode>1</itunes:episode>
<itunes:explicit>false</itunes:explicit>
<podcast:transcript url="https://show.example/1.vtt" type="text/vtt"/>
</item>
</channel>
</rss>""",
    "reddit": """<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"
 xmlns:media="http://search.yahoo.com/mrss/"><category term="python" label="r/python"/>
<updated>2024-03-04T10:00:00+00:00</updated><icon>https://www.redditstatic.com/icon.png/</icon>
<id>/r/python.rss</id><link rel="self" href="https://www.reddit.com/r/python.rss"
 type="application/atom+xml" /><link rel="alternate" href="https://www.reddit.com/r/python"
 type="text/html" /><subtitle>News about Python</subtitle><title>Python</title>
<entry><author><name>/u/someone</name><uri>https://www.reddit.com/user/someone</uri></author>
<category term="python" label="r/python"/><content type="html">&lt;!-- SC_OFF --&gt;&lt;div
 class="md"&gt;&lt;p&gt;Question about lxml&lt;/p&gt; &lt;/div&gt;&lt;!-- SC_ON --&gt; &amp;#32;
 submitted by &amp;#32; &lt;a href="https://www.reddit.com/user/someone"&gt; /u/someone
 &lt;/a&gt;</content><id>t3_abc</id><media:thumbnail url="https://b.thumbs.example/x.jpg" />
<link href="https://www.reddit.com/r/python/comments/abc/q/" />
<updated>2024-03-04T09:00:00+00:00</updated><published>2024-03-04T09:00:00+00:00</published>
<title>Question about lxml</title></entry></feed>""",
    "news": """<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"
 xmlns:media="http://search.yahoo.com/mrss/" xmlns:nyt="http://www.nytimes.com/namespaces/rss/2.0"
 version="2.0">
  <channel>
    <title>NYT &gt; World News</title>
    <link>https://www.nytimes.com/section/world</link>
    <atom:link href="https://rss.example/World.xml" rel="self" type="application/rss+xml"/>
    <description></description><language>en-us</language>
    <lastBuildDate>Mon, 04 Mar 2024 10:00:00 +0000</lastBuildDate>
    <image><title>NYT &gt; World News</title><url>https://static.example/logo.png</url>
      <link>https://www.nytimes.com/section/world</link></image>
    <item>
      <title>A Headline About the World</title>
      <link>https://www.nytimes.com/2024/03/04/world/story.html</link>
      <guid isPermaLink="true">https://www.nytimes.com/2024/03/04/world/story.html</guid>
      <atom:link href="https://www.nytimes.com/2024/03/04/world/story.html" rel="standout"/>
      <description>A summary of the story, in one sentence.</description>
      <dc:creator>Jane Reporter and John Writer</dc:creator>
      <pubDate>Mon, 04 Mar 2024 08:00:00 +0000</pubDate>
      <category domain="http://www.nytimes.com/namespaces/keywords/nyt_geo">Europe</category>
      <media:content height="1800" medium="image" url="https://static.example/x.jpg"
       width="1800"/>
      <media:credit>Photographer for The New York Times</media:credit>
      <media:description>A caption of the photo.</media:description>
    </item>
  </channel>
</rss>""",
}


@pytest.mark.parametrize("name", sorted(WILD))
def test_feeds_shaped_like_those_in_the_wild_take_the_fast_path(name: str) -> None:
    data = WILD[name].encode()
    assert same(data, url="https://site.example/feed")
    assert same(data, headers={"content-type": "application/xml"})
    assert parse_feed(data, name).items
