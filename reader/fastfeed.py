"""The fast path: well-formed RSS 2.0 and Atom 1.0 read with lxml, exactly as feedparser reads them.

feedparser is pure Python (about 0.4 ms an item here) and stays the parser of record. This
module returns what :func:`feedparser.parse` would have returned for the keys :mod:`reader.feed`
reads (the feed's title, and per entry title, link, guid, author, content, summary and dates),
by replaying feedparser's own rules on lxml's tree in document order: the same encoding
detection (feedparser's ``convert_to_utf8``), the same well-formedness verdict (expat, which
feedparser's strict parser uses, must accept the document), the same handler semantics for every
element it models, quirks included (the first non-empty title wins, a second summary is
content, a guid is the link only if no <link> came first, an xml:base set inside an entry stays
for the entries after it, a text that looks like UTF-8 read as Latin-1 is repaired...).

Whatever it does not model exactly makes it give up (``None``) and the caller asks feedparser:
a DOCTYPE (and so any entity), another dialect (RSS 0.9x and 1.0, Atom 0.3), XHTML or base64
content, markup inside a text element, an element feedparser would map onto one of those keys
in a way not modelled here (``<abstract>``, ``itunes:owner`` in an entry, an unknown namespace
reusing a handled name, ...). ``tests/test_fastfeed.py`` holds the differential test that keeps
the two paths identical.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import Callable
from typing import Any
from xml.parsers import expat

from feedparser.api import StrictFeedParser
from feedparser.datetimes import _parse_date
from feedparser.encodings import RE_XML_PI_ENCODING, convert_to_utf8, parse_content_type
from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin, make_safe_absolute_uri
from feedparser.util import FeedParserDict
from lxml import etree

Entry = dict[str, Any]

ATOM = "http://www.w3.org/2005/Atom"
_XML = "http://www.w3.org/XML/1998/namespace"
# Namespaces whose declaration sets feedparser's version before the root's handler runs.
_VERSION_NAMESPACES = {"http://purl.org/rss/1.0/", "http://my.netscape.com/rdf/simple/0.9/"}
_DECLARATION = re.compile(rb"""xmlns(?::([^\s=/>]+))?\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_MAX_DECLARATIONS = 256
_FIRST_ELEMENT = re.compile(rb"<\w")  # as feedparser's replace_doctype finds the head
_C1 = re.compile("[\x80-\x9f]")
_AMP_REF = re.compile("&([A-Za-z0-9_]+);")
_EMAIL = re.compile(  # feedparser's, from _sync_author_detail
    r"""(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"""
    r"""([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"""
)

# feedparser's namespace table (URI, lowercased -> its standard prefix, "" for RSS/Atom core).
_MATCH: dict[str, str] = {
    uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()
}
_STANDARD_PREFIXES = {prefix for prefix in _MATCH.values() if prefix}
_HANDLED = {
    name.split("_", 2)[2].lower()
    for name in dir(StrictFeedParser)
    if name.startswith(("_start_", "_end_"))
}
# Keys of an entry that reader.feed reads or that feedparser's handlers touch: an element with
# no handler stores its text under its own name, and must not land on one of these.
_TOUCHED = {
    "title", "title_detail", "link", "links", "guidislink", "id", "author", "author_detail",
    "authors", "content", "summary", "summary_detail", "published", "published_parsed",
    "updated", "updated_parsed", "created", "created_parsed", "expired", "expired_parsed",
    "tags", "contributors", "source", "href", "image", "rights", "rights_detail", "subtitle",
    "subtitle_detail", "publisher", "publisher_detail", "publishers", "language", "cloud",
    "generator", "generator_detail", "textinput", "newlocation", "width", "height", "name",
    "email", "info", "info_detail", "validity_start", "validity_end",
}
_TOUCHED |= {
    key
    for key, target in FeedParserDict.keymap.items()
    if set([target] if isinstance(target, str) else target) & _TOUCHED
}
_TOUCHED |= {f"media_{key}" for key in
             ("content", "thumbnail", "credit", "rating", "restriction", "license", "player")}
_TOUCHED |= {"itunes_block", "itunes_explicit", "itunes_image", "itunes_keywords",
             "media_keywords"}


def _suffixes(name: str) -> set[str]:
    parts = name.split("_")
    return {"_".join(parts[i:]) for i in range(len(parts))}


# An element in a namespace feedparser does not know is named after whichever prefix the
# document bound that namespace to, or after none: any such name ending in one of these could
# reach a handler or a touched key.
_DANGEROUS_LOCAL = set().union(*(_suffixes(name) for name in _HANDLED | _TOUCHED))

_TEXT_TYPES = {"text/plain", "text/html"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}

# Names (feedparser's: standard prefix, "_", lowercased local name) of elements that set none
# of the keys read and change no parser state that matters, and what they may contain.
LEAF, NESTED, PEOPLE = "leaf", "nested", "people"
_INERT: dict[str, str] = {
    **dict.fromkeys(
        ("category", "dc_subject", "keywords", "media_category", "enclosure",
         "media_thumbnail", "media_credit", "media_rating", "media_restriction", "media_license",
         "media_player", "cc_license", "itunes_image", "itunes_link", "itunes_explicit",
         "itunes_block",
         "dc_contributor", "language", "dc_language", "webmaster", "dc_publisher",
         "newlocation", "generator", "cloud",
         # content-like elements whose text goes to keys not read; a child would turn them
         # into XHTML, hence leaves only
         "rights", "copyright", "dc_rights", "subtitle", "tagline", "itunes_subtitle", "info",
         "feedburner_browserfriendly"),
        LEAF,
    ),
    **dict.fromkeys(("media_content", "media_group", "itunes_category"), NESTED),
    "contributor": PEOPLE,
}
# Elements whose end handler pops a text its start handler did not push when they carry
# attributes (feedparser then fails on None.split): only without attributes.
_NO_ATTRIBUTES = {"itunes_keywords", "media_keywords"}
_PERSON_PARTS = {"name", "itunes_name", "email", "itunes_email", "uri", "url", "homepage"}

_TITLE = {"title", "dc_title"}
_AUTHOR = {"author", "managingeditor", "dc_author", "dc_creator", "itunes_author"}
_DATES = {
    **dict.fromkeys(("pubdate", "published", "issued", "dcterms_issued"), "published"),
    **dict.fromkeys(
        ("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"), "updated"
    ),
    **dict.fromkeys(("created", "dcterms_created"), "created"),
}


class Date:
    """An entry's date as feedparser would parse it, parsed only when asked: most entries need
    only their first date (reader.feed takes the first believable one)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def parsed(self) -> Any:
        """feedparser's ``*_parsed`` value: a UTC ``struct_time``, or None."""
        return _parse_date(self.text)


class _Bail(Exception):
    """Something feedparser would read in a way this module does not model."""


def parse(data: bytes, headers: dict[str, str]) -> dict[str, Any] | None:
    """What ``feedparser.parse`` returns for ``data`` (the keys reader.feed reads), or None.

    ``headers`` are the response headers feedparser would be given (they choose the encoding).
    None means: not a feed this path reads exactly; ask feedparser.
    """
    converted = _declared_utf8(data, headers)
    if converted is not None and (_has_doctype(converted) or not well_formed(converted)):
        converted = None  # not UTF-8 after all, or worse: feedparser's decoding decides
    if converted is None:
        result: dict[str, Any] = {}
        converted = convert_to_utf8(headers, data, result)
        if not result.get("encoding"):
            return None  # feedparser's loose parser reads it
        if _has_doctype(converted):
            return None  # a DOCTYPE (and its entities): feedparser's own defences handle it
        if not well_formed(converted):
            return None  # feedparser falls back to its loose parser
    data = converted
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError:
        return None
    if root.getroottree().docinfo.doctype:
        return None
    try:
        _check_namespaces(data)
        track_base = bool(root.xpath("boolean(//@*[local-name()='base'])"))
        return _Reader(root, track_base).read()
    except _Bail:
        return None


def _parser() -> Any:
    """A new parser each time (a parser is not to be shared between threads), one that
    fetches nothing, expands no entity, loads no DTD and keeps libxml2's size limits."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,  # feedparser ignores comments and processing instructions: the
        remove_pis=True,  # text around one is one text, as lxml then gives it
    )


_XML_DECLARATION = re.compile(rb"^<\?xml[^>]*?>")  # feedparser's RE_XML_DECLARATION, on bytes
_UTF8_DECLARATION = b"<?xml version='1.0' encoding='utf-8'?>"  # the one feedparser writes


def _declared_utf8(data: bytes, headers: dict[str, str]) -> bytes | None:
    """What feedparser's ``convert_to_utf8`` makes of a document that can only be UTF-8 to it,
    without decoding and re-encoding megabytes: no byte-order mark, ``encoding="utf-8"``
    declared, and no Content-Type or an XML one with no other charset. Else None: ask
    ``convert_to_utf8``. (Bytes that are not UTF-8 after all are refused by expat next, and
    ``convert_to_utf8`` decides.)"""
    if not data.startswith(b"<?xml"):
        return None
    declared = RE_XML_PI_ENCODING.match(data)
    if declared is None or declared.group(1).lower() != b"utf-8":
        return None
    if "content-type" in headers:
        kind, charset = parse_content_type(headers["content-type"])
        xml = kind in ("application/xml", "application/xml-dtd",
                       "application/xml-external-parsed-entity")
        xml = xml or (kind.startswith("application/") and kind.endswith("+xml"))
        if not xml or charset.lower() not in ("", "utf-8"):
            return None
    declaration = _XML_DECLARATION.match(data)
    assert declaration is not None  # data starts with "<?xml" and holds a '?>' after it
    return _UTF8_DECLARATION + data[declaration.end() :]


def _has_doctype(data: bytes) -> bool:
    """A DOCTYPE or entity declaration before the first element (checked before any parser
    sees the document)."""
    first = _FIRST_ELEMENT.search(data)
    head = data[: first.start()] if first else data
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head


def well_formed(data: bytes) -> bool:
    """Whether expat, as ``xml.sax`` sets it up for feedparser, finds the document well-formed:
    feedparser then reads it with its strict parser, else with its loose one."""
    parser = expat.ParserCreate(None, " ")
    parser.namespace_prefixes = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return True


def _check_namespaces(data: bytes) -> None:
    """Refuse documents where feedparser's prefix bookkeeping would rename a known element.

    feedparser maps document prefixes to its standard ones in one table for the whole document:
    ``xmlns:media="http://purl.org/dc/elements/1.1/"`` makes every ``media:`` element a ``dc:``
    one. Every declaration is scanned (a declaration-like text in content only costs a bail).
    Real feeds declare a few dozen; thousands would make every namespaced attribute slow.
    """
    for count, match in enumerate(_DECLARATION.finditer(data)):
        if count == _MAX_DECLARATIONS:
            raise _Bail
        prefix = match.group(1)
        uri = match.group(2) if match.group(2) is not None else match.group(3)
        if b"&" in uri or any(c in uri for c in b" \t\r\n"):
            raise _Bail  # an escaped or spaced URI: compare nothing, assume the worst
        if prefix is None:
            continue
        standard = _MATCH.get(_canonical(uri.decode("utf-8", "replace")))
        name = prefix.decode("utf-8", "replace")
        if standard is not None and name != standard and name in _STANDARD_PREFIXES:
            raise _Bail


def _canonical(namespace: str) -> str:
    lowered = namespace.lower()
    if "backend.userland.com/rss" in lowered:
        return "http://backend.userland.com/rss"
    return lowered


_UNKNOWN = "?"  # an element in a namespace feedparser does not know, with a harmless name
_names: dict[str, str] = {}


def _name(tag: object) -> str:
    """feedparser's name for an element: its standard prefix and lowercased local name."""
    if not isinstance(tag, str):
        raise _Bail  # an entity reference left in the tree
    known = _names.get(tag)
    if known is not None:
        return known
    namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
    local = local.lower()
    if not local.isascii():
        raise _Bail
    prefix = _MATCH.get(_canonical(namespace))
    if prefix is None:
        if local in _DANGEROUS_LOCAL:
            raise _Bail
        name = _UNKNOWN
    else:
        name = f"{prefix.lower()}_{local}" if prefix else local
    if len(_names) > 4096:  # tags are the feed's to choose: keep the cache small
        _names.clear()
    _names[tag] = name
    return name


def _attributes(element: Any) -> dict[str, str]:
    """The element's attributes as feedparser's handlers see them.

    Keys lowercased, ``rel`` and ``type`` values too; a namespaced attribute is filed under its
    standard prefix (``thr:count``, or its bare local name in a core or unknown namespace), then
    again under the name the document wrote (``t:count``), as feedparser's SAX handler does.
    """
    out: dict[str, str] = {}
    written: list[tuple[str, str]] = []
    for key, value in element.attrib.items():
        if key[0] == "{":
            namespace, _, local = key[1:].partition("}")
            prefix = _MATCH.get(namespace.lower(), "")
            out[(f"{prefix}:{local}" if prefix else local).lower()] = value
            given = (
                ["xml"]
                if namespace == _XML
                else [p for p, uri in element.nsmap.items() if p and uri == namespace]
            )
            if len(given) != 1:
                raise _Bail  # which prefix the document wrote is not known
            written.append((f"{given[0]}:{local}".lower(), value))
        else:
            out[key.lower()] = value
            written.append((key.lower(), value))
    out.update(written)
    for key in ("rel", "type"):
        if key in out:
            out[key] = out[key].lower()
    return out


def _leaf_text(element: Any) -> str:
    if len(element):
        raise _Bail  # markup inside: feedparser would serialise or dispatch it
    text = element.text
    return text if text is not None else ""


def _content_type(element: Any, default: str) -> str:
    """The type feedparser gives a title, summary or content: one of the text types, or bail."""
    if not element.attrib:
        return default
    attributes = _attributes(element)
    if "mode" in attributes or "src" in attributes:
        raise _Bail  # base64 or out-of-line content
    kind = str(_FeedParserMixin.map_content_type(attributes.get("type", default)))
    if kind not in _TEXT_TYPES:
        raise _Bail  # XHTML, base64 and other types
    return kind


@functools.lru_cache(maxsize=256)
def _moved_base(base: str, given: str) -> str:
    """feedparser's new base URI on entering an element (cached: on most elements the base
    "moves" to itself, which still costs feedparser a URL join)."""
    if base:
        return str(make_safe_absolute_uri(base, given) or base)
    return str(_urljoin(base, given))


class _Scope:
    """An entry being read: feedparser's entry dict, and the depth each of its title and
    summary came from (a deeper element, ``media:title`` in a ``media:group``, never replaces a
    shallower one's value, though it still replaces its ``_detail``)."""

    __slots__ = ("data", "depths")

    def __init__(self, data: Entry) -> None:
        self.data = data
        self.depths: dict[str, int] = {}

    def store(self, key: str, value: str, kind: str, depth: int) -> None:
        old = self.depths.get(key)
        if old is None or depth <= old:
            self.depths[key] = depth
            self.data[key] = value
        self.data[f"{key}_detail"] = {"type": kind}


class _Reader:
    """One document, replayed through feedparser's handler rules in document order."""

    def __init__(self, root: Any, track_base: bool) -> None:
        self.root = root
        self.atom = False
        self.feed: Entry = {}
        self.entries: list[Entry] = []
        self.title_depth = -1  # feedparser's title_depth: the first non-empty title wins
        self.has_content = 0  # feedparser's hasContent, reset only at the end of an entry
        self.feed_has_summary = False
        self.base = ""  # feedparser's baseuri, moved by xml:base
        self.bases: list[str] | None = [] if track_base else None

    # --- xml:base, as feedparser's unknown_starttag and unknown_endtag track it -------------

    def _enter(self, element: Any) -> None:
        if self.bases is None:
            return
        given = ""
        if element.attrib:
            attributes = _attributes(element)
            given = attributes.get("xml:base", attributes.get("base")) or ""
        self.base = _moved_base(self.base, given or self.base)
        self.bases.append(self.base)

    def _leave(self) -> None:
        if self.bases is None:
            return
        self.bases.pop()
        if self.bases and self.bases[-1]:  # an empty base does not come back: feedparser's quirk
            self.base = self.bases[-1]

    def _resolve(self, uri: str) -> str:
        """feedparser's resolve_uri; with no base all it can change is the slashes after
        "scheme://" (no Content-Location reaches feedparser)."""
        if not self.base and ":///" not in uri:
            return uri
        return str(_urljoin(self.base, uri))

    # --- the document ---------------------------------------------------------------------

    def read(self) -> dict[str, Any]:
        root = self.root
        name = _name(root.tag)
        self._enter(root)
        if name == "rss":
            if _attributes(root).get("version") != "2.0" or len(root) != 1:
                raise _Bail
            (channel,) = root
            if _name(channel.tag) != "channel":
                raise _Bail
            self._enter(channel)
            self._feed(channel, depth=3, entry="item")
            version = "rss20"
        elif name == "feed" and root.tag == f"{{{ATOM}}}feed":
            if any(_canonical(uri) in _VERSION_NAMESPACES for uri in root.nsmap.values()):
                raise _Bail  # feedparser would take it for RSS 1.0 or 0.90
            self.atom = True
            self._feed(root, depth=2, entry="entry")
            version = "atom10"
        else:
            raise _Bail
        return {"feed": self.feed, "entries": self.entries, "version": version}

    def _feed(self, parent: Any, depth: int, entry: str) -> None:
        for child in parent:
            name = _name(child.tag)
            self._enter(child)
            if name == entry:
                self._entry(child, depth + 1)
            elif name in ("image", "textinput") and not self.atom:
                self._box(child, name, depth)
            elif name in ("link", "guid", "id"):
                _leaf_text(child)
            elif name in _DATES:
                _parse_date(self._pop(_leaf_text(child))[0])
            elif name in _AUTHOR or name == "itunes_owner":
                self._people(child, None)  # the feed's people: not read
            else:
                self._element(child, name, depth, None)
            self._leave()

    def _element(self, element: Any, name: str, depth: int, scope: _Scope | None) -> None:
        """An element of the feed (``scope`` None) or of an entry that reader.feed may read,
        at any depth (``media:title`` in a ``media:group``); else one it must not."""
        if name in _TITLE or name == "media_title":
            self._title(scope, element, name, depth)
        elif name in _SUMMARY:
            self._summary(scope, element, name, depth)
        elif name in _CONTENT:
            self._content(scope, element, name, depth)
        else:
            self._inert(element, name, depth, scope)

    def _box(self, box: Any, name: str, depth: int) -> None:
        """An RSS channel's <image> or <textInput>: its title is its own, not the feed's."""
        self.title_depth = -1
        allowed = (
            {"title", "url", "link", "width", "height", "description"}
            if name == "image"
            else {"title", "link", "description", "name"}
        )
        for child in box:
            part = _name(child.tag)
            if part not in allowed:
                raise _Bail  # feedparser would leave the box early and file the rest elsewhere
            self._enter(child)
            text = _leaf_text(child)
            if part == "title":
                kind = _content_type(child, "text/plain")
                if self._pop(text, kind)[0]:
                    self.title_depth = depth + 1
            self._leave()

    def _inert(self, element: Any, name: str, depth: int, scope: _Scope | None) -> None:
        """An element feedparser files away under keys not read; refuse anything else."""
        kind = _INERT.get(name)
        if kind is None:
            if name != _UNKNOWN and name in _HANDLED:
                raise _Bail  # feedparser has a handler for it that is not modelled here
            if name in _TOUCHED:
                raise _Bail
            kind = NESTED  # no handler: feedparser stores its text under its name
        if name in _NO_ATTRIBUTES and len(element.attrib):
            raise _Bail
        if kind == LEAF:
            _leaf_text(element)
        elif kind == PEOPLE:
            self._people(element, None)
        else:
            for child in element:
                self._enter(child)
                self._element(child, _name(child.tag), depth + 1, scope)
                self._leave()

    def _people(self, element: Any, author: Entry | None) -> None:
        """The parts of an author or contributor; given ``author`` (an entry), saved into it."""
        for child in element:
            part = _name(child.tag)
            if part not in _PERSON_PARTS:
                raise _Bail
            self._enter(child)
            text = _leaf_text(child)
            if author is not None:
                if part in ("name", "itunes_name"):
                    _save_author(author, "name", text.strip())
                elif part in ("email", "itunes_email"):
                    _save_author(author, "email", text.strip())
                else:
                    value = text.strip()
                    value = self._pop(self._resolve(value) if value else "")[0]
                    _save_author(author, "href", value)
            self._leave()

    # --- entries ---------------------------------------------------------------------------

    def _entry(self, item: Any, depth: int) -> None:
        if item.attrib and {"rdf:about", "lastmod", "href"} & _attributes(item).keys():
            raise _Bail  # feedparser reads them as the entry's id, date and link
        scope = _Scope({})
        self.entries.append(scope.data)
        self.title_depth = -1
        tracking = self.bases is not None
        for child in item:
            name = _names.get(child.tag) or _name(child.tag)
            if tracking:
                self._enter(child)
            handler = _IN_ENTRY.get(name)
            if handler is None:
                self._inert(child, name, depth, scope)
            else:
                handler(self, scope, child, name, depth)
            if tracking:
                self._leave()
        self.has_content = 0

    def _date(self, scope: _Scope, element: Any, name: str, depth: int) -> None:
        key = _DATES[name]
        text = self._pop(_leaf_text(element))[0]
        scope.data[key] = text
        scope.data[f"{key}_parsed"] = Date(text)

    def _source(self, scope: _Scope, element: Any, name: str, depth: int) -> None:
        _leaf_text(element)
        self.title_depth = -1  # feedparser's _start_source

    def _pop(self, text: str, kind: str = "") -> tuple[str, str]:
        """feedparser's ``pop`` for an element that expects text: strip, guess HTML, un-mangle."""
        output = text.strip()
        if kind == "text/plain" and not self.atom and _FeedParserMixin.looks_like_html(output):
            kind = "text/html"
        if output.isascii():
            return output, kind  # what follows changes only non-ASCII text
        # "address common error where people take data that is already utf-8, presume that it
        # is iso-8859-1, and re-encode it" (feedparser)
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            output = output.encode("iso-8859-1").decode("utf-8")
        if not output.isprintable() and _C1.search(output):  # C1 controls are unprintable
            output = output.translate(_cp1252)
        return output, kind

    def _title(self, scope: _Scope | None, element: Any, name: str, depth: int) -> None:
        kind = _content_type(element, "text/plain")
        output, kind = self._pop(_leaf_text(element), kind)
        if not -1 < self.title_depth <= depth:
            if scope is None:
                self.feed["title"] = output
                self.feed["title_detail"] = {"type": kind}
            else:
                scope.store("title", output, kind, depth)
        if output and name != "media_title":  # which leaves title_depth as it was
            self.title_depth = depth

    def _summary(self, scope: _Scope | None, element: Any, name: str, depth: int) -> None:
        """<description> (HTML unless said otherwise) and <summary> (text unless said otherwise)."""
        has_summary = self.feed_has_summary if scope is None else "summary" in scope.data
        if has_summary and not self.has_content:
            self._content(scope, element, "content", depth)  # feedparser: a second one is content
            return
        default = _SUMMARY[name]
        kind = _content_type(element, default)
        output, kind = self._pop(_leaf_text(element), kind)
        if scope is not None:
            scope.store("summary", output, kind, depth)
        elif default == "text/plain":  # a feed's <summary>; its <description> is its subtitle
            self.feed_has_summary = True

    def _content(self, scope: _Scope | None, element: Any, name: str, depth: int) -> None:
        """Atom's <content> (text unless said otherwise) and RSS's <content:encoded> (HTML)."""
        self.has_content = 1
        kind = _content_type(element, _CONTENT[name])
        output, kind = self._pop(_leaf_text(element), kind)
        if scope is None:
            self.feed_has_summary = True  # copied there
            return
        scope.data.setdefault("content", []).append({"type": kind, "value": output})
        scope.data.setdefault("summary", output)

    def _link(self, scope: _Scope, element: Any, name: str, depth: int) -> None:
        entry = scope.data
        attributes = _attributes(element)
        text = _leaf_text(element)
        rel = attributes.setdefault("rel", "alternate")
        default = "application/atom+xml" if rel == "self" else "text/html"
        kind = attributes.setdefault("type", default)
        href = attributes.get("url", attributes.get("uri", attributes.get("href")))
        if href:
            attributes["href"] = href
        if "href" in attributes:  # Atom's way; the element's text is not read
            if rel == "alternate" and _FeedParserMixin.map_content_type(kind) in _HTML_TYPES:
                entry["link"] = self._resolve(attributes["href"])
            return
        output = text.strip()
        output = self._pop(self._resolve(output) if output else output)[0]
        if "&" in output:  # feedparser's repair of query strings
            output = _AMP_REF.sub(r"&\g<1>", output.replace("&amp;", "&"))
        entry["link"] = output

    def _guid(self, scope: _Scope, element: Any, name: str, depth: int) -> None:
        entry = scope.data
        permalink = _attributes(element).get("ispermalink", "true") == "true"
        output = _leaf_text(element).strip()
        if output and permalink:
            output = self._resolve(output)
        output = self._pop(output)[0]
        entry["id"] = output
        entry.setdefault("guidislink", permalink and "link" not in entry)
        if permalink:
            entry.setdefault("link", output)

    def _author(self, scope: _Scope, element: Any, name: str, depth: int) -> None:
        entry = scope.data
        entry.setdefault("authors", []).append({})
        text = element.text or ""
        if len(element):
            self._people(element, entry)
            text += "".join(child.tail or "" for child in element)
        entry["author"] = self._pop(text)[0]
        _sync_author_detail(entry)


_SUMMARY = {
    **dict.fromkeys(("description", "dc_description", "media_description"), "text/html"),
    **dict.fromkeys(("summary", "itunes_summary"), "text/plain"),
}
_CONTENT = {"content": "text/plain", "content_encoded": "text/html", "fullitem": "text/html"}
_IN_ENTRY: dict[str, Callable[[_Reader, _Scope, Any, str, int], None]] = {
    "link": _Reader._link,
    **dict.fromkeys(("guid", "id"), _Reader._guid),
    **dict.fromkeys(_AUTHOR, _Reader._author),
    **dict.fromkeys(_DATES, _Reader._date),
    "source": _Reader._source,
    **dict.fromkeys((*_TITLE, "media_title"), _Reader._title),
    **dict.fromkeys(_SUMMARY, _Reader._summary),
    **dict.fromkeys(_CONTENT, _Reader._content),
}


def _save_author(entry: Entry, key: str, value: str) -> None:
    """feedparser's _save_author: the detail first, then a sync, then the authors list."""
    entry.setdefault("author_detail", {})[key] = value
    _sync_author_detail(entry)
    entry.setdefault("authors", [{}])[-1][key] = value


def _sync_author_detail(entry: Entry) -> None:
    """feedparser's _sync_author_detail, on a plain dict: "Name (email)" both ways."""
    detail = entry.get("authors", [{}])[-1]
    if detail:
        name, email = detail.get("name"), detail.get("email")
        if name and email:
            entry["author"] = f"{name} ({email})"
        elif name:
            entry["author"] = name
        elif email:
            entry["author"] = email
        return
    author, email = entry.get("author"), None
    if not author:
        return
    match = _EMAIL.search(author)
    if match:
        email = match.group(0)
        author = author.replace(email, "").replace("()", "").replace("<>", "")
        author = author.replace("&lt;&gt;", "").strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    if author or email:
        entry.setdefault("author_detail", detail)
    if author:
        detail["name"] = author
    if email:
        detail["email"] = email
