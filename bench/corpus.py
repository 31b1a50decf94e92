"""Deterministic generator of Guardian-shaped RSS 2.0 feeds for the benchmarks.

Every feed is produced from a seeded :class:`random.Random`, so the same size always yields the
same bytes (no network, stdlib only). Words follow a Zipf-like distribution over a vocabulary of a
few thousand words, and each article is "about" zero to two named entities (people with accents
and typographic apostrophes), so that a search for a common word hits many articles and a search
for a name hits few.

Sizes: up to 10,000 items is one feed; larger sizes are several feeds of 10,000 items each
(100,000 = 10 feeds). The 10,000-item corpus is the first feed of the 100,000-item corpus.
Generated files are cached under ``<root>/corpus`` with a JSON manifest beside each feed.

Run ``python -m bench.corpus --sizes 1000,10000`` to build (or check) the cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import sys
import unicodedata
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import formatdate
from itertools import accumulate
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from bench import vocab

VERSION = 1
FEED_ITEMS = 10_000  # items per feed when a size needs several feeds
END = int(datetime(2024, 6, 30, 12, 0, tzinfo=UTC).timestamp())  # newest item of the corpus
SPAN = 730 * 86_400  # dates spread over about two years
DEFAULT_ROOT = Path(__file__).resolve().parent / "out"


def _fingerprint() -> str:
    """A hash of the generator's own source: editing it invalidates the cached files."""
    digest = hashlib.sha256()
    for module in (__file__, vocab.__file__):
        digest.update(Path(module).read_bytes())
    return digest.hexdigest()[:16]


FINGERPRINT = _fingerprint()


@dataclass(frozen=True, slots=True)
class Feed:
    """One generated feed file and what the benchmarks need to know about it."""

    path: Path
    slug: str
    title: str
    count: int
    newest_title: str
    newest_published: int  # seconds since the epoch, UTC
    size: int  # bytes of XML

    @property
    def url(self) -> str:
        return self.path.resolve().as_uri()


# --- words -------------------------------------------------------------------------------------


class Words:
    """Zipf-distributed word, entity and place sampling on top of one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        order = random.Random(f"bench-vocab-{VERSION}")  # the ranking is the same for all feeds
        content = sorted(set(vocab.CONTENT_WORDS) - set(vocab.FUNCTION_WORDS))
        order.shuffle(content)
        self.words = list(dict.fromkeys(vocab.FUNCTION_WORDS)) + content
        self.cum = list(accumulate(1.0 / (rank + 2.7) ** 1.0 for rank in range(len(self.words))))
        self.entities = vocab.ENTITIES
        self.entity_cum = list(
            accumulate(1.0 / (rank + 1) ** 1.1 for rank in range(len(self.entities)))
        )
        self.places = vocab.PLACES
        self.place_cum = list(
            accumulate(1.0 / (rank + 1) ** 0.8 for rank in range(len(self.places)))
        )

    def draw(self, n: int) -> list[str]:
        return self.rng.choices(self.words, cum_weights=self.cum, k=n)

    def entity(self) -> tuple[str, str]:
        return self.rng.choices(self.entities, cum_weights=self.entity_cum, k=1)[0]

    def place(self) -> str:
        return self.rng.choices(self.places, cum_weights=self.place_cum, k=1)[0]


def _possessive(name: str) -> str:
    return name + ("’" if name.endswith("s") else "’s")


class Writer:
    """Builds the text of articles: titles, standfirsts and paragraphs."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.w = Words(rng)

    def _mention(self, names: list[tuple[str, str]], first: set[str]) -> str:
        full, short = self.rng.choice(names)
        name = full if full not in first else short
        first.add(full)
        return _possessive(name) if self.rng.random() < 0.2 else name

    def phrase(self, n: int, names: list[tuple[str, str]], seen: set[str]) -> list[str]:
        """``n`` tokens with names and places sprinkled in."""
        tokens = self.w.draw(n)
        rng = self.rng
        if names and rng.random() < 0.45:
            tokens[rng.randrange(n)] = self._mention(names, seen)
        if rng.random() < 0.3:
            tokens[rng.randrange(n)] = self.w.place()
        if n > 8 and rng.random() < 0.15:
            start = rng.randrange(n - 4)
            end = start + rng.randint(2, 4)
            tokens[start] = "‘" + tokens[start]
            tokens[end] = tokens[end] + "’"
        return tokens

    def sentence(self, names: list[tuple[str, str]], seen: set[str], lo: int, hi: int) -> str:
        rng = self.rng
        n = rng.randint(lo, hi)
        tokens = self.phrase(n, names, seen)
        for i in range(2, n - 2):
            roll = rng.random()
            if roll < 0.06:
                tokens[i] += ","
            elif roll < 0.075:
                tokens[i] += " –"
        text = " ".join(tokens)
        return text[0].upper() + text[1:]

    def title(self, names: list[tuple[str, str]]) -> str:
        rng = self.rng
        tokens = self.w.draw(rng.randint(6, 12))
        if names and rng.random() < 0.6:
            full, short = rng.choice(names)
            name = short if rng.random() < 0.7 else full
            tokens.insert(rng.randrange(3), _possessive(name) if rng.random() < 0.25 else name)
        text = " ".join(tokens)
        roll = rng.random()
        if roll < 0.15:
            quote = " ".join(self.w.draw(rng.randint(2, 5)))
            text = f"‘{quote[0].upper()}{quote[1:]}’: {text}"
        elif roll < 0.2:
            text += rng.choice([" – live", " – as it happened", " – video", " – in pictures"])
        return text[0].upper() + text[1:]

    def article(self) -> tuple[str, str, list[str]]:
        """(title, standfirst, body paragraphs) of one article."""
        rng = self.rng
        names = [self.w.entity() for _ in range(rng.choice((0, 1, 1, 1, 2)))]
        seen: set[str] = set()
        title = self.title(names)
        standfirst = self.sentence(names, seen, 16, 30)
        body = []
        for _ in range(rng.randint(2, 5)):
            sentences = [self.sentence(names, seen, 10, 26) for _ in range(rng.randint(1, 2))]
            body.append(". ".join(sentences) + ".")
        return title, standfirst, body


# --- feeds -------------------------------------------------------------------------------------

_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    return "-".join(words[:10]) or "article"


def _author(rng: random.Random) -> str:
    names = [
        f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}"
        for _ in range(1 if rng.random() < 0.85 else 2)
    ]
    return " and ".join(names)


def render_feed(slug: str, title: str, count: int, offset: int) -> tuple[bytes, str, int]:
    """The XML of one feed, plus its newest item's title and date.

    ``offset`` shifts every date of the feed back by that many seconds, so that feeds of one
    corpus never share a timestamp and the newest article of a corpus is well defined.
    """
    rng = random.Random(f"bench-corpus-{VERSION}-{slug}-{count}")
    writer = Writer(rng)
    categories = vocab.CATEGORIES[slug]
    step = SPAN // count
    out: list[str] = []
    guids: set[str] = set()
    newest_title = ""
    newest = END - offset
    for i in range(count):
        published = END - offset - i * step - (rng.randrange(step // 2) if i else 0)
        head, standfirst, body = writer.article()
        when = datetime.fromtimestamp(published, UTC)
        link = (
            f"https://www.theguardian.com/{slug}/{when.year}/{_MONTHS[when.month - 1]}/"
            f"{when.day:02d}/{_slug(head)}"
        )
        while link in guids:
            link += "-1"
        guids.add(link)
        if i == 0:
            newest_title = head
        html = "".join(f"<p>{escape(p)}</p>" for p in [standfirst, *body])
        html += f'<p><a href="{link}">Continue reading...</a></p>'
        cats = [categories[0], *rng.sample(categories[1:], rng.randint(0, 2))]
        cat_xml = "".join(
            f"<category domain={quoteattr(f'https://www.theguardian.com/{slug}/{_slug(c)}')}>"
            f"{escape(c)}</category>"
            for c in cats
        )
        date = formatdate(published, usegmt=True)
        iso = when.isoformat().replace("+00:00", "Z")
        out.append(
            f"<item><title>{escape(head)}</title><link>{link}</link>"
            f"<description>{escape(html)}</description>{cat_xml}"
            f"<pubDate>{date}</pubDate><guid>{link}</guid>"
            f"<dc:creator>{escape(_author(rng))}</dc:creator><dc:date>{iso}</dc:date></item>\n"
        )
    head_xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://www.theguardian.com/{slug}</link>"
        f"<description>Latest {escape(slug)} news, comment and analysis from the Guardian"
        "</description><language>en-gb</language>"
        f"<pubDate>{formatdate(newest, usegmt=True)}</pubDate>"
        "<copyright>Guardian News and Media Limited or its affiliated companies. All rights "
        "reserved. (synthetic benchmark data)</copyright>\n"
    )
    xml = head_xml + "".join(out) + "</channel></rss>\n"
    return xml.encode("utf-8"), newest_title, newest


def feed_plan(size: int) -> list[tuple[str, str, int]]:
    """(slug, channel title, item count) of each feed of a corpus of ``size`` items."""
    if size <= FEED_ITEMS:
        slug, title = vocab.SECTIONS[0]
        return [(slug, title, size)]
    n = -(-size // FEED_ITEMS)
    if n > len(vocab.SECTIONS) or size % n:
        raise ValueError(f"size {size}: at most {len(vocab.SECTIONS) * FEED_ITEMS}, in equal feeds")
    return [(slug, title, size // n) for slug, title in vocab.SECTIONS[:n]]


def build_feed(slug: str, title: str, count: int, offset: int, directory: Path) -> Feed:
    """Generate one feed file, or reuse the cached one when its manifest matches."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"v{VERSION}-{slug}-{count}.xml"
    manifest = path.with_suffix(".json")
    if path.exists() and manifest.exists():
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        if meta.get("source") == FINGERPRINT and meta.get("size") == path.stat().st_size:
            return Feed(path, slug, title, count, meta["newest_title"], meta["newest"],
                        meta["size"])
    data, newest_title, newest = render_feed(slug, title, count, offset)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    meta = {"source": FINGERPRINT, "size": len(data), "newest_title": newest_title,
            "newest": newest}
    manifest.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return Feed(path, slug, title, count, newest_title, newest, len(data))


def corpus(size: int, root: Path = DEFAULT_ROOT) -> list[Feed]:
    """The feeds of a corpus of ``size`` items, generated on first use."""
    directory = root / "corpus"
    return [
        build_feed(slug, title, count, index * 37, directory)
        for index, (slug, title, count) in enumerate(feed_plan(size))
    ]


def newest(feeds: list[Feed]) -> Feed:
    """The feed holding the newest article of a corpus."""
    return max(feeds, key=lambda feed: feed.newest_published)


def count_matching(feeds: list[Feed], word: str) -> int:
    """How many items mention ``word`` (case-insensitive substring, like SQL LIKE on ASCII)."""
    needle = word.lower().encode()
    total = 0
    for feed in feeds:
        for item in feed.path.read_bytes().lower().split(b"<item>")[1:]:
            total += needle in item
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.corpus", description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--out", type=Path, default=DEFAULT_ROOT)
    args = parser.parse_args(argv)
    for size in (int(s) for s in args.sizes.split(",")):
        feeds = corpus(size, args.out)
        total = sum(f.size for f in feeds)
        print(f"{size:>7} items: {len(feeds)} feed(s), {total / 1e6:.1f} MB", file=sys.stdout)
        for feed in feeds:
            print(f"    {feed.path}  {asdict(feed)['newest_title']!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
