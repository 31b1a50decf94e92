"""Cutting one big feed into several smaller feeds, so that every core can parse a part.

A feed is a head (channel or feed elements), a run of items, and a tail, so it can be cut
between two items into documents that each carry the same head and tail. Parsing still costs
about 0.15 ms an item on the fast path (reader.fastfeed: most of it turning each item's HTML
into paragraphs) and 0.5 ms through feedparser, so a 10,000-item feed is worth spreading.

A cut must not change what a part's first item reads. feedparser carries two things from one
element to the items after it: an ``xml:base`` (a base set inside an item stays for the next
ones) and its "has content" flag (set by a content element, or a second summary, in the head,
it lasts until the end of the first item, and makes that item read a second summary as a
summary rather than as content). A feed that could carry either is left whole, like anything
that does not look exactly like head, items, tail. So is a feed that is not well-formed XML: a
part without the broken item would be well-formed, and feedparser reads well-formed and broken
XML with different parsers (and decodes a part without the stray byte in another encoding).
"""

from __future__ import annotations

import re
from itertools import pairwise

from reader.fastfeed import well_formed

MIN_SIZE = 2 * 1024 * 1024  # below this, starting another process costs more than it saves
_FIRST = re.compile(rb"<(item|entry)[\s>/]")
_BASE = re.compile(rb"base\s*=")  # xml:base, or a bare base= (feedparser reads both), lowercased
_CONTENT = re.compile(rb"<(?:[^\s>:/]+:)?(?:content|encoded|fullitem)[\s>/]", re.IGNORECASE)
_SUMMARY = re.compile(rb"<(?:[^\s>:/]+:)?(?:summary|description|abstract)[\s>/]", re.IGNORECASE)


def split(data: bytes, parts: int, *, check: bool = True) -> list[bytes]:
    """``data`` as up to ``parts`` documents, cut only between ``</item>`` and ``<item``.

    ``check=False`` leaves out the check that the whole document is well-formed (expat over
    all of it, the slowest step here): the caller then checks each part where it is parsed
    and parses the whole feed instead if one is not. Every part well-formed makes the whole
    well-formed: each part is the same head and tail around its own run of the content.
    """
    if parts < 2 or len(data) < MIN_SIZE:
        return [data]
    first = _FIRST.search(data)
    if first is None:
        return [data]
    head = data[: first.start()]
    if _BASE.search(data.lower()) or _CONTENT.search(head) or len(_SUMMARY.findall(head)) > 1:
        return [data]  # state a part's first item would not see in the whole feed
    tag = first.group(1)
    close, opening = b"</" + tag + b">", b"<" + tag
    end = data.rfind(close)
    if end < first.start():
        return [data]
    end += len(close)
    body, tail = data[first.start() : end], data[end:]
    cuts = [0]
    for part in range(1, parts):
        at = body.find(close, max(len(body) * part // parts, cuts[-1]))
        if at < 0:
            break
        at += len(close)
        following = body[at : at + 4096].lstrip()
        if not (following.startswith(opening) and _FIRST.match(following)):
            return [data]  # not a plain run of items (a comment, CDATA, another element)
        cuts.append(at)
    cuts.append(len(body))
    if len(cuts) > 2 and check and not well_formed(data):
        return [data]
    return [head + body[a:b] + tail for a, b in pairwise(cuts) if b > a]

