"""Subscriptions in and out as OPML (1.0 and 2.0), the format every feed reader exchanges.

Reading. An ``outline`` with an ``xmlUrl`` is a feed; its title is the ``title`` attribute,
else ``text`` (a ``text`` that only repeats the URL is no title). An outline without
``xmlUrl`` that holds outlines is a folder, and folders become tags: a feed in the folder
``Linux`` inside ``Tech`` gets the tags ``Tech`` and ``Tech/Linux``, so choosing ``Tech``
shows the feeds of every folder in it. Any other outline (a note, an empty folder) is skipped
and counted, and so is a feed whose URL is not http(s). A feed listed twice is one feed with
the tags of every place it is listed. Attribute names are matched in any case (``xmlurl``).

Hostile files. The parser never loads a DTD or an external entity and never touches the
network; a file that declares entities is refused (OPML needs none, and libxml2 stops entity
amplification before we get to look); files over :data:`MAX_BYTES`, listing more than
:data:`MAX_FEEDS` feeds or nested deeper than libxml2's 256 levels are refused in one line.
Tags are bounded too (:data:`MAX_TAG`, :data:`MAX_TAGS`), since each folder level repeats its
parents' names in every feed below it.

Writing. Every followed feed, under folders rebuilt from its tags, so that an export imported
again gives exactly the same feeds, titles and tags: a feed is listed under each of its tags
that no other of its tags implies, and a tag ``A/B`` is the folder ``B`` inside ``A`` only
where ``A`` is also a tag of that feed (else it is one folder named ``A/B``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from lxml import etree  # type: ignore[import-untyped,unused-ignore]

from reader.errors import SourceError
from reader.links import openable
from reader.store import Store, Subscription
from reader.text import clean, clip

MAX_BYTES = 10 * 1024 * 1024  # an OPML file of 5,000 feeds is about 1 MB
MAX_FEEDS = 20_000  # more than anyone follows: a mistake or an attack
MAX_TAG = 200  # characters of one tag (a folder path); deeper folders add no longer tag
MAX_TAGS = 20  # tags per feed; further folders that list the feed add none

_PARSER_OPTIONS: Mapping[str, Any] = {
    "resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False,
    "remove_comments": True, "remove_pis": True,
}
_ENTITIES = "refused: XML entities are never expanded, and OPML needs none"
# What XML 1.0 allows in a document: anything else makes lxml refuse to write it.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Outline(NamedTuple):
    """One feed of an OPML file."""

    url: str
    title: str
    tags: tuple[str, ...]  # sorted


@dataclass(frozen=True)
class OpmlResult:
    """The feeds of an OPML file, and how many outlines were skipped."""

    feeds: list[Outline]
    skipped: int


@dataclass(frozen=True)
class ImportSummary:
    """What ``reader opml import`` did."""

    subscribed: int
    already: int
    skipped: int

    def __str__(self) -> str:
        return (
            f"subscribed {self.subscribed}, already followed {self.already}, "
            f"skipped {self.skipped}"
        )


def read_file(path: str) -> bytes:
    """The bytes of an OPML file, reading no more than the cap (a FIFO, /dev/zero)."""
    try:
        with open(path, "rb") as file:
            data = file.read(MAX_BYTES + 1)
    except OSError as error:
        raise SourceError(f"{clean(path)}: {error.strerror or error}") from None
    _check_size(data, path)
    return data


def read_opml(data: bytes, name: str) -> OpmlResult:
    """The feeds listed in an OPML document, or :class:`SourceError` in one line naming it."""
    _check_size(data, name)
    try:
        root = etree.fromstring(data, etree.XMLParser(**_PARSER_OPTIONS))
    except etree.XMLSyntaxError as error:
        reason = clip(clean(getattr(error, "msg", None) or str(error)), 200)
        if "entit" in reason.lower():  # an external entity, amplification, &nbsp;
            raise SourceError(f"{clean(name)}: {_ENTITIES} ({reason})") from None
        raise SourceError(f"{clean(name)}: not well-formed XML ({reason})") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise SourceError(f"{clean(name)}: {_ENTITIES} (the file declares some)")
    if _local(root) != "opml":
        raise SourceError(f"{clean(name)}: not OPML (the root element is <{_local(root)}>)")
    found: dict[str, tuple[str, set[str]]] = {}  # url -> title, tags; in the order listed
    skipped = 0
    body = next((child for child in root if _local(child) == "body"), None)
    top: tuple[str, ...] = ()
    stack = [(child, top) for child in reversed(_outlines(body))] if body is not None else []
    while stack:
        outline, folders = stack.pop()
        attributes = _attributes(outline)
        children = _outlines(outline)
        url = attributes.get("xmlurl", "").strip()
        label = attributes.get("title", "").strip() or attributes.get("text", "").strip()
        if url:
            if openable(url) is None:
                skipped += 1
            else:
                title = "" if label == url else clip(clean(label))
                known_title, tags = found.setdefault(url, (title, set()))
                if len(tags) < MAX_TAGS:
                    tags.update(_closure(folders))
                if not known_title and title:
                    found[url] = (title, tags)
                if len(found) > MAX_FEEDS:
                    raise SourceError(
                        f"{clean(name)}: lists more than {MAX_FEEDS:,} feeds; split it"
                    )
        elif not children:
            skipped += 1
        else:
            folder = clip(clean(label), MAX_TAG)
            if folder and len("/".join((*folders, folder))) <= MAX_TAG:
                folders = (*folders, folder)
        stack.extend((child, folders) for child in reversed(children))
    feeds = [
        Outline(url, title, tuple(sorted(tags)[:MAX_TAGS]))
        for url, (title, tags) in found.items()
    ]
    return OpmlResult(feeds, skipped)


def import_opml(store: Store, data: bytes, name: str) -> ImportSummary:
    """Follow every feed of an OPML document (without fetching any); a feed followed already
    is left as it is, its tags too, as ``reader add`` leaves it."""
    result = read_opml(data, name)
    done = store.subscribe_many(
        Subscription(feed.url, feed.title, tuple(feed.tags)) for feed in result.feeds
    )
    subscribed = sum(created for _, created in done)
    return ImportSummary(subscribed, len(done) - subscribed, result.skipped)


class _Folder:
    def __init__(self) -> None:
        self.folders: dict[str, _Folder] = {}
        self.feeds: list[Mapping[str, Any]] = []


def export_opml(store: Store) -> bytes:
    """OPML 2.0 of every followed feed, its tags as folders (see the module's docstring)."""
    top = _Folder()
    for feed in store.feeds():
        if not feed["subscribed"]:
            continue
        tags = set(feed["tags"])
        paths = [_folders(tag, tags) for tag in sorted(tags) if tag]
        covered = {tag for path in paths for tag in _closure(path)[:-1]}
        for path in paths:
            if "/".join(path) in covered:
                continue  # another of its tags lists it there already
            where = top
            for name in path:
                where = where.folders.setdefault(name, _Folder())
            where.feeds.append(feed)
        if not paths:
            top.feeds.append(feed)
    root = etree.Element("opml", version="2.0")
    etree.SubElement(etree.SubElement(root, "head"), "title").text = "reader subscriptions"
    _write_folder(etree.SubElement(root, "body"), top)
    data: bytes = etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True
    )
    return data


def _write_folder(parent: etree._Element, folder: _Folder) -> None:
    for name in sorted(folder.folders, key=lambda n: (n.casefold(), n)):
        element = etree.SubElement(parent, "outline", text=_xml(name), title=_xml(name))
        _write_folder(element, folder.folders[name])
    for feed in sorted(folder.feeds, key=lambda f: (f["title"].casefold(), f["url"])):
        attributes = {"type": "rss", "text": _xml(feed["title"] or feed["url"])}
        if feed["title"]:
            attributes["title"] = _xml(feed["title"])
        attributes["xmlUrl"] = _xml(feed["url"])
        if openable(feed["link"]):
            attributes["htmlUrl"] = feed["link"]
        etree.SubElement(parent, "outline", attributes)


def _folders(tag: str, tags: set[str]) -> tuple[str, ...]:
    """The folders a tag is written as: split at a ``/`` only where the part before it is a
    tag too and both sides read back unchanged, so reading gives back exactly ``tags``."""
    path: list[str] = []
    start = 0
    for slash in (i for i, char in enumerate(tag) if char == "/"):
        if tag[:slash] in tags and _folder_name(tag[start:slash]) and _folder_name(
            tag[slash + 1:]
        ):
            path.append(tag[start:slash])
            start = slash + 1
    return (*path, tag[start:])


def _folder_name(text: str) -> bool:
    """A folder name that reading keeps as it is."""
    return bool(text) and clip(clean(text), MAX_TAG) == text


def _closure(folders: Iterable[str]) -> list[str]:
    """The tags of a feed inside these nested folders: each folder's path from the top."""
    tags: list[str] = []
    for folder in folders:
        tags.append(f"{tags[-1]}/{folder}" if tags else folder)
    return tags


def _check_size(data: bytes, name: str) -> None:
    if len(data) > MAX_BYTES:
        raise SourceError(f"{clean(name)}: larger than {MAX_BYTES // (1024 * 1024)} MiB")


def _local(element: etree._Element) -> str:
    return str(etree.QName(element).localname)


def _outlines(element: etree._Element) -> list[etree._Element]:
    """The outline children (comments, entity references and other elements are not)."""
    return [
        child for child in element
        if isinstance(child.tag, str) and _local(child) == "outline"
    ]


def _attributes(element: etree._Element) -> dict[str, str]:
    """Attributes by lower-cased name (exporters write ``xmlUrl``, ``xmlurl``, ``XMLURL``)."""
    return {
        str(key).lower(): str(value) for key, value in element.attrib.items()
        if not str(key).startswith("{")
    }


def _xml(text: str) -> str:
    return _NOT_XML.sub("", text)

