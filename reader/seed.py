"""The plain-text article format of the seed file.

An article is a title line, a blank line, a standfirst paragraph, blank-line separated body
paragraphs, and a closing ``Continue reading...`` line. Real files are messier than that, so the
parser keys on the closing line and on blank lines only.
"""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING

from reader.article import Item
from reader.errors import SourceError
from reader.text import clean, clip, clip_paragraphs

if TYPE_CHECKING:
    from reader.store import Store

BUNDLED_SOURCE = "bundled:seed"

_CONTINUE = re.compile(r"^\s*continue reading(?:\.\.\.|\u2026)?\s*$", re.IGNORECASE)


def decode(data: bytes, name: str) -> str:
    """UTF-8 (with or without a BOM) or a one-line error naming the file and the bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise SourceError(
            f"{name}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None


def parse_seed(data: bytes, name: str, feed: str = "") -> list[Item]:
    """Parse seed text into items, in file order; refuse a file that holds no article."""
    text = decode(data, name).replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise SourceError(f"{name}: binary data, not article text")
    items: list[Item] = []
    blocks: list[list[str]] = []
    current: list[str] = []

    def close_block() -> None:
        nonlocal current
        if current:
            blocks.append(current)
            current = []

    def close_article() -> None:
        close_block()
        item = _article(blocks, feed)
        if item is not None:
            items.append(item)
        blocks.clear()

    for line in text.split("\n"):
        if _CONTINUE.match(line):
            close_article()
        elif line.strip():
            current.append(line)
        else:
            close_block()
    close_article()
    if not items:
        raise SourceError(f"{name}: no articles found (expected a title line, then paragraphs)")
    return items


def _article(blocks: list[list[str]], feed: str) -> Item | None:
    paragraphs = [clean(" ".join(block)) for block in blocks]
    # The title is a single line: anything written straight under it is the standfirst.
    if blocks and len(blocks[0]) > 1:
        paragraphs[0:1] = [clean(blocks[0][0]), clean(" ".join(blocks[0][1:]))]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return None
    title, *rest = paragraphs
    rest = clip_paragraphs(rest)
    return Item(title=clip(title), standfirst=rest[0] if rest else "", body=rest[1:], feed=feed)


def read_seed(path: Path, feed: str = "") -> list[Item]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise SourceError(f"{path}: cannot read ({error.strerror})") from None
    return parse_seed(data, str(path), feed or path.stem)


def bundled_seed() -> bytes:
    """The seed articles shipped inside the package, so a wheel install has them too."""
    return files("reader").joinpath("data/seed.txt").read_bytes()


def seed_first_run(store: Store) -> int:
    """Fill a new store with the bundled seed articles; how many were added. A first run is
    the only time the reader adds articles by itself: a store that holds articles, or feeds
    (followed from OPML or with ``add --no-fetch``, not fetched yet), gets none."""
    if len(store) != 0 or store.feeds():
        return 0
    items = parse_seed(bundled_seed(), "bundled seed", feed="seed")
    return store.merge(items, authoritative=False, source=BUNDLED_SOURCE).added
