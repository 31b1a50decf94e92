"""Properties that hold for any input: clean() output, and parsers that only ever return items
or raise SourceError (never another exception), with every returned field clean."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.article import Item
from reader.errors import SourceError
from reader.importer import parse
from reader.seed import parse_seed
from reader.text import MAX_TEXT, MAX_TITLE, clean
from tests.test_hostile import assert_clean
from tests.test_text import stray

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# The characters escape sequences are made of, and the ones that hide or reorder text.
NASTY = (
    "\x1b\x07\x9b\x9c\x9d\x90\x98\x9e\x9f\x00\r\n\t\x0b\x0c\x7f\x85"
    "[]();:\\/?0123456789PX^_@~ JmHc"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\ufe0f\u034f\u3164"
    "\u0301\u0308e\u00e9\u1100\u1161漢👨🏳🌈"
)
nasty_text = st.text(alphabet=st.sampled_from(NASTY), max_size=80)
any_text = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=200
)  # every code point, surrogates included


@SETTINGS
@given(st.one_of(any_text, nasty_text, st.lists(st.one_of(any_text, nasty_text)).map("".join)))
def test_clean_is_idempotent_and_leaves_no_control_bidi_or_zero_width(text: str) -> None:
    once = clean(text)
    assert clean(once) == once
    assert stray(once) == []
    assert once == once.strip() and "  " not in once and "\n" not in once


def check_items(items: list[Item]) -> None:
    assert isinstance(items, list)
    for item in items:
        assert isinstance(item, Item)
        assert item.title and len(item.title) <= MAX_TITLE
        assert sum(len(p) for p in [item.standfirst, *item.body]) <= MAX_TEXT
        assert item.published is None or isinstance(item.published, int)
        assert_clean(item)


seed_lines = st.lists(
    st.one_of(
        st.just(""), st.just("Continue reading..."), st.just("  continue READING… "),
        any_text, nasty_text,
    ),
    max_size=30,
).map("\n".join)


@SETTINGS
@given(st.one_of(
    st.binary(max_size=400),
    seed_lines.map(lambda s: s.encode("utf-8", "surrogatepass")),
    seed_lines.map(
        lambda s: b"\xef\xbb\xbf" + s.encode("utf-8", "surrogatepass").replace(b"\n", b"\r\n")
    ),
))
def test_seed_parser_returns_items_or_source_error(data: bytes) -> None:
    try:
        items = parse_seed(data, "any.txt")
    except SourceError as error:
        assert str(error).startswith("any.txt: ") and "\n" not in str(error)
    else:
        assert items
        check_items(items)


TAGS = ["rss", "channel", "item", "title", "link", "guid", "pubDate", "description",
        "feed", "entry", "content", "summary", "updated", "published", "author", "id",
        "dc:creator", "p", "a", "br", "script", "html", "body"]
PIECES = st.one_of(
    st.sampled_from(TAGS).map(lambda t: f"<{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"</{t}>"),
    st.sampled_from(TAGS).map(lambda t: f"<{t}/>"),
    st.sampled_from([
        '<?xml version="1.0"?>', '<?xml version="1.0" encoding="windows-1251"?>',
        '<?xml version="1.0" encoding="bogus"?>', '<?xml version="1.0" encoding="utf-16"?>',
        '<rss version="2.0">', '<feed xmlns="http://www.w3.org/2005/Atom">',
        '<!DOCTYPE rss [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]>',
        '<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        "&a;", "&b;", "&x;", "&amp;", "&lt;b&gt;", "&#0;", "&#x1b;", "&#xd800;", "&#1114111;",
        "<![CDATA[<p>x</p>]]>", "<![CDATA[", "]]>", "<!--", "-->", "&", "<", ">",
        "Thu, 01 Jan 2099 00:00:00 GMT", "2024-01-01T00:00:00Z", "not a date",
        "http://x.example/", "javascript:alert(1)", '<link href="http://x.example/a"/>',
        '<content type="text">', '<title type="html">', '<content type="xhtml">',
    ]),
    nasty_text,
    st.text(max_size=20),
)
xmlish = st.lists(PIECES, max_size=40).map("".join)


@SETTINGS
@given(st.one_of(
    st.binary(max_size=400),
    xmlish.map(lambda s: s.encode("utf-8", "surrogatepass")),
    xmlish.map(lambda s: ('<rss version="2.0"><channel><item><title>' + s).encode(
        "utf-8", "surrogatepass")),
    xmlish.map(lambda s: s.encode("utf-16")),
    st.binary(max_size=200).map(lambda b: b"<" + b),
))
def test_importer_parse_returns_items_or_source_error(data: bytes) -> None:
    try:
        parsed = parse(data, "any-source")
    except SourceError as error:
        assert str(error).startswith("any-source: ") and str(error).isprintable()
    else:
        assert isinstance(parsed.authoritative, bool) and parsed.skipped >= 0
        check_items(parsed.items)
