"""An inverted word index over folded article text, sized for 100,000 articles.

Why it looks like this:

- **Postings in numpy, not Python objects.** Documents are numbered in the order they are added
  and grouped in blocks of 32,768, so a document number within a block fits a uint16. In each
  block the words are sorted and every word's documents are a slice of one array (CSR:
  ``data[offsets[r]:offsets[r + 1]]``): all the words that start with a prefix are one range of
  ranks, so a prefix query is one slice per block, marked into a bool mask in C. A word in more
  than 1/16 of a block's documents is kept as a bitmap instead (smaller than its postings).
- **Tokenizing in numpy, a batch at a time.** Python-level ``findall``/``split`` per article
  costs more than everything else together, so ``add`` only queues the text and each ~256 KB batch
  is tokenized with byte-class arrays. ASCII words of up to 12 bytes (nearly all of them) get an
  exact integer key in vectorized code; the rest (accents, typographic punctuation that survived,
  very long words) go through :func:`reader.text.fold` and a regex, cached per distinct raw token.
  The words are exactly those of ``fold(text)``.
- **Phrases from word sequences.** The text is not kept. Each article's words are kept in order
  as variable-length word ids (frequent words are seen first and get 1-byte ids), with a
  separator at each paragraph end; a phrase is found by byte comparisons on the candidates that
  hold all its words, without keeping or re-reading the text.

A word is a maximal ``\\w+`` run of the folded text (a *part*), and also a compound joined by single
hyphens or apostrophes (``jong-un``, ``putin's``): compounds are findable whole and by each part.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import NamedTuple, Protocol

import numpy as np
import numpy.typing as npt

from reader.text import fold

BLOCK = 1 << 15  # documents per postings block: a document number within a block fits a uint16
_DENSE = BLOCK // 16  # a word in more of a block's documents than this is kept as a bitmap
_BATCH_CHARS = 1 << 18  # text tokenized at once: bounds the batch's temporary arrays
_MERGE_FANIN = 8  # postings chunks merged at once while building
_SCATTER = 1 << 18  # postings moved per step when merging: bounds the int64 temporaries
_SCAN = 1 << 20  # bytes of word sequences scanned per step when verifying a phrase
_CACHE_LIMIT = 1 << 15  # raw tokens whose folded words are remembered while building

U8 = npt.NDArray[np.uint8]
U16 = npt.NDArray[np.uint16]
U32 = npt.NDArray[np.uint32]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
U64 = npt.NDArray[np.uint64]
Bools = npt.NDArray[np.bool_]
Offsets = npt.NDArray[np.int32] | I64

PART = re.compile(r"\w+")
WORD = re.compile(r"\w+(?:['\-]\w+)*")

# Byte classes of the lower-cased UTF-8 text. Bytes of non-ASCII characters count as letters:
# such a run is folded in Python, which decides what it really holds.
_ALPHABET = b"0123456789_abcdefghijklmnopqrstuvwxyz"  # ASCII \w after lower(), in byte order
_SYMBOLS = b"'-" + _ALPHABET  # every byte of an ASCII word, in byte order
_LETTER = np.zeros(256, np.bool_)
_LETTER[list(_ALPHABET)] = True
_LETTER[0x80:] = True
_JOINER = np.zeros(256, np.bool_)
_JOINER[[ord("'"), ord("-")]] = True
_CODE = np.zeros(256, np.uint8)  # base-40 digit of each word byte (0 pads short words)
_CODE[list(_SYMBOLS)] = np.arange(1, 40, dtype=np.uint8)
_POWERS = np.array([40**k for k in range(11, -1, -1)], np.uint64)  # 40**12 < 2**64
_DIGIT = {byte: code for code, byte in enumerate(_SYMBOLS, 1)}
_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(9)], np.uint64)
# Typographic characters common in news that fold to ASCII: replacing them before encoding keeps
# most words on the vectorized path. fold() works per character, so no word can change.
_PLAIN = [(c, fold(c)) for c in "\u2019\u2018\u201c\u201d\u2013\u2014\u00a0"]


def word_key(word: str) -> tuple[int, int] | None:
    """The key of a folded word as the vectorized tokenizer computes it, or None: ASCII words
    of up to 8 bytes are their bytes, big-endian (space 0); of 9-12, 12 digits base 40 (space 1).
    """
    if not word.isascii():
        return None
    raw = word.encode()
    if len(raw) <= 8:
        return 0, int.from_bytes(raw.ljust(8, b"\0"), "big")
    if len(raw) <= 12 and all(byte in _DIGIT for byte in raw):
        key = 0
        for byte in raw.ljust(12, b"\0"):
            key = key * 40 + _DIGIT.get(byte, 0)
        return 1, key
    return None


def fold_words(text: str) -> tuple[list[str], list[str]]:
    """The parts of folded ``text`` in order, and its compounds."""
    folded = fold(text)
    return PART.findall(folded), [w for w in WORD.findall(folded) if "'" in w or "-" in w]


def varints(values: U32) -> tuple[U8, I64]:
    """Encode ids high bits first, 7 bits a byte, the top bit set on all but each id's last byte.

    The code is prefix-free and a byte below 0x80 always ends an id, so a run of ids can be found
    by comparing bytes at positions that follow such a byte. Also returns each id's end offset."""
    size = np.ones(len(values), np.uint8)
    top = int(values.max()) if len(values) else 0
    for shift in (7, 14, 21, 28):
        if top >= 1 << shift:
            size += values >= (1 << shift)
    ends = np.cumsum(size, dtype=np.int64)
    out = np.empty(int(ends[-1]) if len(ends) else 0, np.uint8)
    last = ends - 1
    out[last] = values & 0x7F
    for k in range(1, 5):
        more = np.flatnonzero(size > k)
        if not len(more):
            break
        out[last[more] - k] = ((values[more] >> (7 * k)) & 0x7F) | 0x80
    return out, ends


class _Chunk(NamedTuple):
    """Postings grouped by word: ``docs`` holds ``counts[i]`` documents of ``words[i]`` in turn."""

    words: I32
    counts: I64
    docs: U16
    level: int = 0


class _Sequences(NamedTuple):
    """Word sequences of documents ``base ..``: document i is ``data[bounds[i]:bounds[i + 1]]``."""

    base: int
    bounds: I64
    data: U8


class _Ranking(NamedTuple):
    """The words in sorted order: the word id at each rank, and the rank of each word id."""

    by_rank: I32
    rank: I32


class _Block(NamedTuple):
    """Searchable postings of documents ``base .. base + BLOCK``, grouped by word rank."""

    base: int
    ranking: _Ranking
    offsets: Offsets
    data: U16
    dense: I32  # ranks held as bitmaps instead, ascending
    bits: U8  # one row of BLOCK bits per dense rank, little-endian

    def remapped(self, ranking: _Ranking) -> _Block:
        """The block with its words renumbered for ``ranking`` (a superset in the same order)."""
        if ranking is self.ranking:
            return self
        counts = np.diff(self.offsets)
        present = np.flatnonzero(counts)
        new = np.zeros(len(ranking.by_rank), np.int64)
        new[ranking.rank[self.ranking.by_rank[present]]] = counts[present]
        dense = ranking.rank[self.ranking.by_rank[self.dense]]
        return self._replace(ranking=ranking, offsets=_offsets(new), dense=dense)

    def unpacked(self) -> _Chunk:
        """The block's postings as a chunk, to merge more documents into it."""
        counts = np.diff(self.offsets).astype(np.int64)
        present = np.flatnonzero(counts)
        words = [self.ranking.by_rank[present]]
        sizes, docs = [counts[present]], [self.data]
        for row, rank in enumerate(self.dense.tolist()):
            found = np.flatnonzero(np.unpackbits(self.bits[row], bitorder="little"))
            words.append(self.ranking.by_rank[rank : rank + 1])
            sizes.append(np.array([len(found)], np.int64))
            docs.append(found.astype(np.uint16))
        return _Chunk(np.concatenate(words), np.concatenate(sizes), np.concatenate(docs))


def _offsets(counts: I64) -> Offsets:
    offsets = np.zeros(len(counts) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets.astype(np.int32) if offsets[-1] < 2**31 else offsets


class _KeyTable:
    """Sorted integer keys of words, with their ids."""

    def __init__(self) -> None:
        self.keys: U64 = np.empty(0, np.uint64)
        self.ids: I32 = np.empty(0, np.int32)

    def find(self, keys: U64) -> I32:
        """The id of each key; -1 for keys not in the table."""
        table = self.keys
        if not len(table):
            return np.full(len(keys), -1, np.int32)
        at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
        return np.where(table[at] == keys, self.ids[at], np.int32(-1))

    def insert(self, keys: U64, ids: I32) -> None:
        """Add sorted keys that are not in the table: one pass, no re-sort."""
        at = np.searchsorted(self.keys, keys)
        self.keys = np.insert(self.keys, at, keys)
        self.ids = np.insert(self.ids, at, ids)


class _Vocabulary:
    """Word ids while building: an id per distinct word, in order of first sight."""

    def __init__(self) -> None:
        self.words: list[str] = [""]  # id 0 is the paragraph separator
        self.tables = (_KeyTable(), _KeyTable())  # by key space (see word_key)
        self.pending: dict[tuple[int, int], int] = {}  # keyed words added one by one
        self.unkeyed: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.words)

    def of_keys(self, space: int, keys: U64, spell: Callable[[I64], list[str]]) -> I32:
        """Ids of sorted, distinct ``keys``; ``spell(indices)`` spells keys seen the first time."""
        ids = self.tables[space].find(keys)
        fresh = np.flatnonzero(ids < 0)
        if len(fresh):
            start = len(self.words)
            self.words.extend(spell(fresh))
            ids[fresh] = np.arange(start, len(self.words), dtype=np.int32)
            self.tables[space].insert(keys[fresh], ids[fresh])
        return ids

    def of_word(self, word: str) -> int:
        key = word_key(word)
        if key is None:
            found = self.unkeyed.get(word)
            if found is None:
                found = self.unkeyed[word] = len(self.words)
                self.words.append(word)
            return found
        known = int(self.tables[key[0]].find(np.array([key[1]], np.uint64))[0])
        if known >= 0:
            return known
        found = self.pending.get(key)
        if found is None:
            found = self.pending[key] = len(self.words)
            self.words.append(word)
        return found

    def settle(self) -> None:
        """Move the one-by-one additions into the tables."""
        for space, table in enumerate(self.tables):
            added = sorted((k, i) for (s, k), i in self.pending.items() if s == space)
            if added:
                keys, ids = zip(*added, strict=True)
                table.insert(np.array(keys, np.uint64), np.array(ids, np.int32))
        self.pending = {}


def _distinct(keys: U64) -> tuple[U64, I64, I64]:
    """Sorted distinct keys, each key's index among them, and one position of each."""
    order = np.argsort(keys)
    ordered = keys[order]
    first = np.empty(len(keys), np.bool_)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    inverse = np.empty(len(keys), np.int64)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse, order[first]


def _spans(starts: I64, lengths: I64) -> I64:
    """The positions ``starts[i] .. starts[i] + lengths[i]`` of every span, concatenated."""
    total = int(lengths.sum())
    before = np.cumsum(lengths) - lengths
    return np.repeat(starts - before, lengths) + np.arange(total, dtype=np.int64)


def _position_in(words: I32) -> Callable[[I32], I64]:
    """Rank words by their position in ``words`` (sorted)."""
    return lambda these: np.searchsorted(words, these)


def _merge(chunks: list[_Chunk], rank: Callable[[I32], I64 | I32], ranks: int) -> tuple[I64, U16]:
    """Merge postings chunks (emptying the list) into one array grouped by ``rank(words)``.

    Returns offsets by rank and the documents; within a word they keep the chunks' order."""
    counts = np.zeros(ranks, np.int64)
    for chunk in chunks:
        counts[rank(chunk.words)] += chunk.counts
    offsets = np.zeros(ranks + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    del counts
    fill = offsets[:-1].copy()
    data = np.empty(int(offsets[-1]), np.uint16)
    chunks.reverse()
    while chunks:
        chunk = chunks.pop()  # dropped once moved: the sources do not outlive their copy
        where = rank(chunk.words)
        destination = fill[where]
        fill[where] += chunk.counts
        source = np.cumsum(chunk.counts) - chunk.counts
        # A slice of groups at a time, so the int64 positions stay small.
        cuts = np.searchsorted(source, np.arange(0, len(chunk.docs), _SCATTER))
        bounds = [*cuts.tolist(), len(chunk.words)]
        for lo, hi in pairwise(bounds):
            if lo < hi:
                start, stop = int(source[lo]), int(source[hi - 1] + chunk.counts[hi - 1])
                data[_spans(destination[lo:hi], chunk.counts[lo:hi])] = chunk.docs[start:stop]
    return offsets, data


def _pack(base: int, chunks: list[_Chunk], ranking: _Ranking) -> _Block:
    """A searchable block from chunks (emptying the list): common words become bitmaps."""
    offsets, data = _merge(chunks, ranking.rank.__getitem__, len(ranking.by_rank))
    counts = np.diff(offsets)
    dense = np.flatnonzero(counts > _DENSE).astype(np.int32)
    bits = np.zeros((len(dense), BLOCK // 8), np.uint8)
    if len(dense):
        row = np.zeros(BLOCK, np.bool_)
        kept = 0  # the sparse postings move left, in place, over the dense ones
        for i, (start, stop, following) in enumerate(
            zip(offsets[dense].tolist(), offsets[dense + 1].tolist(),
                [*offsets[dense[1:]].tolist(), len(data)], strict=True)
        ):
            row[:] = False
            row[data[start:stop]] = True
            bits[i] = np.packbits(row, bitorder="little")
            if i == 0:
                kept = start
            data[kept : kept + following - stop] = data[stop:following]
            kept += following - stop
        data.resize(kept, refcheck=False)  # shrinks in place: no second copy of the block
        counts[dense] = 0
    return _Block(base, ranking, _offsets(counts), data, dense, bits)


class Builder:
    """Collects documents and freezes them into a searchable :class:`Snapshot`.

    Not thread-safe: the owner serialises ``add`` and ``freeze``. Documents are numbered from 0
    in the order added; a snapshot is immutable and stays valid while more is added."""

    def __init__(self) -> None:
        self.vocabulary = _Vocabulary()
        self.count = 0  # document numbers given out
        self._pieces: list[str] = []  # the batch: each document's paragraphs, then "\0"
        self._ends: list[int] = []  # where each document's "\0" is in _pieces
        self._chars = 0
        self._chunks: list[_Chunk] = []  # the open block's postings since it was last packed
        self._blocks: list[_Block] = []
        self._sequences: list[_Sequences] = []
        self._ranking: _Ranking | None = None
        self._sorted: list[str] = []  # the ranked words in order; replaced, never changed
        self._parts: dict[bytes, tuple[tuple[int, ...], tuple[int, ...]]] = {}  # parts, compounds
        self._compounds: dict[bytes, tuple[int, ...]] = {}
        self._frozen: Snapshot | None = None

    def add(self, pieces: Iterable[str]) -> int:
        """Queue a document made of paragraphs; returns its number."""
        number = self.count
        if number and number % BLOCK == 0:
            self._flush()  # a batch never straddles two blocks
            self._pack(number // BLOCK - 1)
        start = len(self._pieces)
        self._pieces.extend(pieces)
        self._chars += sum(map(len, self._pieces[start:]))
        self._ends.append(len(self._pieces))
        self._pieces.append("\0")
        self.count += 1
        if self._chars >= _BATCH_CHARS:
            self._flush()
        return number

    def freeze(self, *, final: bool = False) -> Snapshot:
        """Make everything added so far searchable. ``final`` drops what only adding needs."""
        self._flush()
        if self._frozen is None or self._frozen.documents != self.count:
            if self._chunks:
                self._pack((self.count - 1) // BLOCK)
            ranking = self._rank()
            self._blocks = [block.remapped(ranking) for block in self._blocks]
            self._frozen = Snapshot(
                documents=self.count,
                vocabulary=SortedWords(self._sorted),
                by_rank=ranking.by_rank,
                ids=len(self.vocabulary),
                blocks=tuple(self._blocks),
                sequences=tuple(self._sequences),
            )
        if final:
            self._parts.clear()
            self._compounds.clear()
        return self._frozen

    # --- blocks ------------------------------------------------------------------------------

    def _rank(self) -> _Ranking:
        """Sort the vocabulary: only the words new since last time are sorted and slotted in."""
        words = self.vocabulary.words
        previous = self._ranking
        if previous is not None and len(previous.rank) == len(words):
            return previous
        first_new = len(previous.rank) if previous is not None else 1
        added = sorted(range(first_new, len(words)), key=words.__getitem__)
        spelled = [words[i] for i in added]
        at = [bisect_left(self._sorted, word) for word in spelled]
        old = previous.by_rank if previous is not None else np.empty(0, np.int32)
        by_rank = np.insert(old, at, np.array(added, np.int32))
        self._sorted = self._sorted + spelled  # a new list: snapshots share the old one
        self._sorted.sort()  # two sorted runs: a linear merge
        rank = np.zeros(len(words), np.int32)
        rank[by_rank] = np.arange(len(by_rank), dtype=np.int32)
        self._ranking = _Ranking(by_rank, rank)
        return self._ranking

    def _pack(self, number: int) -> None:
        """Turn a block's chunks (and what was packed of it before) into a searchable block."""
        base = number * BLOCK
        # One array of word sequences per block, so phrase search loops over few arrays.
        mine = [s for s in self._sequences if s.base >= base]
        if len(mine) > 1:
            self._sequences = self._sequences[: -len(mine)]
            starts = np.cumsum([0] + [len(s.data) for s in mine[:-1]])
            bounds = np.concatenate(
                [s.bounds[:-1] + at for s, at in zip(mine, starts, strict=True)]
                + [mine[-1].bounds[-1:] + starts[-1]]
            )
            data = np.concatenate([s.data for s in mine])
            del mine
            self._sequences.append(_Sequences(base, bounds, data))
        sources = self._chunks
        self._chunks = []
        if len(self._blocks) > number:
            sources.insert(0, self._blocks.pop().unpacked())
        self._blocks.append(_pack(base, sources, self._rank()))

    def _add_chunk(self, chunk: _Chunk) -> None:
        chunks = self._chunks
        chunks.append(chunk)
        # Merge the newest chunks of one level into one of the next: bounded overhead per word.
        while len(chunks) >= _MERGE_FANIN and len({c.level for c in chunks[-_MERGE_FANIN:]}) == 1:
            group = chunks[-_MERGE_FANIN:]
            level = group[0].level + 1
            del chunks[-_MERGE_FANIN:]
            words = np.sort(np.concatenate([c.words for c in group]))
            words = words[np.diff(words, prepend=-1) != 0]  # np.unique hashes: 10x slower
            offsets, data = _merge(group, _position_in(words), len(words))
            chunks.append(_Chunk(words, np.diff(offsets), data, level))

    # --- tokenizing a batch ------------------------------------------------------------------

    def _flush(self) -> None:
        if not self._ends:
            return
        pieces, ends = self._pieces, self._ends
        self._pieces, self._ends, self._chars = [], [], 0
        text = "\n".join(pieces)
        if text.count("\0") != len(ends):  # a NUL inside an article: not ours to keep
            pieces = [p.replace("\0", " ") for p in pieces]
            for end in ends:
                pieces[end] = "\0"
            text = "\n".join(pieces)
        del pieces
        self._tokenize(text, self.count - len(ends), len(ends))

    def _tokenize(self, text: str, base: int, documents: int) -> None:
        """Index one batch: postings into a chunk, word sequences into a _Sequences."""
        vocabulary = self.vocabulary
        if not text.isascii():
            for typographic, plain in _PLAIN:
                text = text.replace(typographic, plain)
        raw = text.encode("utf-8", "surrogatepass").lower()
        del text
        octets = np.frombuffer(raw, np.uint8)
        edges = np.diff(_LETTER[octets].view(np.int8), prepend=np.int8(0), append=np.int8(0))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)
        del edges
        lengths = ends - starts
        parts = len(starts)

        # Which document each part is in, and after which parts a paragraph ends.
        doc_ends = np.searchsorted(starts, np.flatnonzero(octets == 0))
        doc_starts = np.concatenate([[0], doc_ends[:-1]])
        doc = np.repeat(np.arange(documents, dtype=np.int64), doc_ends - doc_starts)
        newline_after = np.searchsorted(starts, np.flatnonzero(octets == 10))  # part index + 1
        ends_paragraph = np.zeros(parts + 1, np.uint8)
        ends_paragraph[newline_after] = 1
        ends_paragraph = ends_paragraph[1:]

        # Parts that need Python: non-ASCII bytes, or too long for a key.
        slow = lengths > 12
        high = np.flatnonzero(octets >= 0x80)
        if len(high):
            slow[np.searchsorted(starts, high, side="right") - 1] = True
        del high

        # Compounds: maximal chains of parts joined by one hyphen or apostrophe.
        linked = (starts[1:] == ends[:-1] + 1) & _JOINER[octets[ends[:-1]]]
        steps = np.diff(np.concatenate([[False], linked, [False]]).view(np.int8))
        first_part = np.flatnonzero(steps == 1)
        last_part = np.flatnonzero(steps == -1)
        del linked, steps
        chain_start, chain_end = starts[first_part], ends[last_part]
        slow_before = np.concatenate([[0], np.cumsum(slow)])
        chain_slow = slow_before[last_part + 1] > slow_before[first_part]
        chain_length = chain_end - chain_start
        short_chain = np.flatnonzero(~chain_slow & (chain_length <= 8))
        long_chain = np.flatnonzero(~chain_slow & (chain_length > 8) & (chain_length <= 12))
        slow_chain = np.flatnonzero(chain_slow | (chain_length > 12))
        del chain_length

        # Keys of words of up to 12 ASCII bytes, parts and compounds, in two key spaces.
        short = np.flatnonzero(~slow & (lengths <= 8))
        middle = np.flatnonzero(~slow & (lengths > 8))
        padded = np.concatenate([octets, np.zeros(16, np.uint8)])

        def resolve(space: int, begin: I64, end: I64) -> I32:
            if space == 0:
                window = np.ndarray(len(octets), "<u8", padded, strides=(1,))  # 8 bytes at each
                keys = (window[begin] & _MASKS[end - begin]).byteswap()
            else:
                digits = _CODE[np.lib.stride_tricks.sliding_window_view(padded, 12)[begin]]
                digits *= np.arange(12) < (end - begin)[:, None]
                keys = digits.astype(np.uint64) @ _POWERS
            distinct, inverse, first = _distinct(keys)
            del keys

            def spell(fresh: I64) -> list[str]:
                at = first[fresh]
                pairs = zip(begin[at].tolist(), end[at].tolist(), strict=True)
                return [raw[b:e].decode() for b, e in pairs]

            return vocabulary.of_keys(space, distinct, spell)[inverse]

        short_ids = resolve(
            0,
            np.concatenate([starts[short], chain_start[short_chain]]),
            np.concatenate([ends[short], chain_end[short_chain]]),
        )
        long_ids = resolve(
            1,
            np.concatenate([starts[middle], chain_start[long_chain]]),
            np.concatenate([ends[middle], chain_end[long_chain]]),
        )
        fast = np.concatenate([short, middle])
        fast_ids = np.concatenate([short_ids[: len(short)], long_ids[: len(middle)]])
        chain_ids = np.concatenate([short_ids[len(short) :], long_ids[len(middle) :]])
        chain_docs = doc[first_part[np.concatenate([short_chain, long_chain])]]
        del short_ids, long_ids

        # The rest, folded in Python once per distinct raw token. A part's own compounds count
        # only outside a chain: in one, the chain's compounds (below) are the whole words.
        extra_ids: list[int] = []
        extra_docs: list[int] = []
        slow_index = np.flatnonzero(slow).tolist()
        slow_sequences: list[tuple[int, ...]] = []
        depth = np.zeros(parts + 1, np.int8)
        depth[first_part] += 1
        depth[last_part + 1] -= 1
        chained = np.cumsum(depth[:-1])[slow_index].tolist()
        del depth
        cache = self._parts
        for s, e, d, c in zip(
            starts[slow_index].tolist(), ends[slow_index].tolist(), doc[slow_index].tolist(),
            chained, strict=True,
        ):
            token = raw[s:e]
            found = cache.get(token)
            if found is None:
                in_order, compounds = fold_words(token.decode("utf-8", "surrogatepass"))
                found = (
                    tuple(vocabulary.of_word(p) for p in in_order),
                    tuple(vocabulary.of_word(w) for w in compounds),
                )
                if len(cache) < _CACHE_LIMIT:
                    cache[token] = found
            ids = found[0] if c else found[0] + found[1]
            slow_sequences.append(found[0])
            extra_ids.extend(ids)
            extra_docs.extend([d] * len(ids))
        chains = self._compounds
        for s, e, d in zip(
            chain_start[slow_chain].tolist(),
            chain_end[slow_chain].tolist(),
            doc[first_part[slow_chain]].tolist(),
            strict=True,
        ):
            token = raw[s:e]
            known = chains.get(token)
            if known is None:
                _, compounds = fold_words(token.decode("utf-8", "surrogatepass"))
                known = tuple(vocabulary.of_word(w) for w in compounds)
                if len(chains) < _CACHE_LIMIT:
                    chains[token] = known
            extra_ids.extend(known)
            extra_docs.extend([d] * len(known))
        vocabulary.settle()

        # Postings: distinct (word, document) pairs, grouped by word.
        within = base % BLOCK
        pairs = np.concatenate([
            (fast_ids.astype(np.int64) << 16) | (doc[fast] + within),
            (chain_ids.astype(np.int64) << 16) | (chain_docs + within),
            (np.array(extra_ids, np.int64) << 16) | (np.array(extra_docs, np.int64) + within),
        ])
        del chain_ids, chain_docs, extra_ids, extra_docs
        pairs.sort()
        keep = np.empty(len(pairs), np.bool_)
        keep[:1] = True
        np.not_equal(pairs[1:], pairs[:-1], out=keep[1:])
        pairs = pairs[keep]
        del keep
        words_of = pairs >> 16
        group = np.flatnonzero(np.diff(words_of, prepend=-1))
        counts = np.diff(np.append(group, len(pairs)))
        docs = (pairs & 0xFFFF).astype(np.uint16)
        del pairs
        self._add_chunk(_Chunk(words_of[group].astype(np.int32), counts, docs))
        del words_of, group, counts, docs

        # Word sequences: each part's ids in order, a separator (0) after each paragraph.
        slots = ends_paragraph.astype(np.int64) + 1
        if slow_index:
            slots[slow_index] += np.array([len(s) for s in slow_sequences], np.int64) - 1
        offsets = np.zeros(parts + 1, np.int64)
        np.cumsum(slots, out=offsets[1:])
        del slots
        sequence = np.zeros(int(offsets[-1]), np.uint32)
        sequence[offsets[fast]] = fast_ids
        for i, ids in zip(slow_index, slow_sequences, strict=True):
            if ids:
                begin = int(offsets[i])
                sequence[begin : begin + len(ids)] = ids
        data, value_ends = varints(sequence)
        del sequence
        value_ends = np.concatenate([[0], value_ends])
        bounds = value_ends[offsets[np.append(doc_starts, parts)]]
        self._sequences.append(_Sequences(base, bounds, data))


class Words(Protocol):
    """A sorted vocabulary: the ranks of a word, or of the words that start with a prefix."""

    def __len__(self) -> int: ...

    def prefixed(self, prefix: str) -> tuple[int, int]: ...

    def exact(self, word: str) -> int | None: ...


def _successor(prefix: str) -> str:
    """The least string above every string that starts with ``prefix``."""
    return prefix[:-1] + chr(min(ord(prefix[-1]) + 1, 0x10FFFF))


class SortedWords:
    """The vocabulary in sorted order, for prefix ranges by bisection. The list is shared with
    the builder, which replaces it rather than change it."""

    def __init__(self, words: list[str]) -> None:
        self._words = words

    def __len__(self) -> int:
        return len(self._words)

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)

    def prefixed(self, prefix: str) -> tuple[int, int]:
        """The ranks ``lo .. hi`` of the words that start with ``prefix``."""
        lo = bisect_left(self._words, prefix)
        return lo, bisect_left(self._words, _successor(prefix), lo)

    def exact(self, word: str) -> int | None:
        rank = bisect_left(self._words, word)
        return rank if rank < len(self._words) and self._words[rank] == word else None


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


class PackedWords:
    """The sorted vocabulary as one UTF-8 byte array and the end of each word in it.

    Memory-mapped from an index file, it costs no Python object per word: a lookup bisects the
    bytes (UTF-8 byte order is code point order, the order of :class:`SortedWords`)."""

    def __init__(self, blob: U8, ends: I64) -> None:
        self._blob = blob
        self._ends = ends

    def __len__(self) -> int:
        return len(self._ends)

    def __getitem__(self, rank: int) -> bytes:
        start = int(self._ends[rank - 1]) if rank else 0
        return self._blob[start : int(self._ends[rank])].tobytes()

    def prefixed(self, prefix: str) -> tuple[int, int]:
        lo = bisect_left(self, _utf8(prefix))
        return lo, bisect_left(self, _utf8(_successor(prefix)), lo)

    def exact(self, word: str) -> int | None:
        raw = _utf8(word)
        rank = bisect_left(self, raw)
        return rank if rank < len(self) and self[rank] == raw else None

    @staticmethod
    def pack(words: Iterable[str]) -> tuple[U8, I64]:
        """The arrays of a sorted vocabulary, for :class:`PackedWords`."""
        encoded = [_utf8(word) for word in words]
        ends = np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)), dtype=np.int64)
        return np.frombuffer(b"".join(encoded), np.uint8), ends


@dataclass(frozen=True, eq=False)
class Snapshot:
    """An immutable, searchable state of the index (or of one part of a stored index). Masks
    given to it have one flag per document, numbered from 0."""

    documents: int
    vocabulary: Words
    by_rank: I32  # word id at each rank
    ids: int  # word ids given out (the size of a mask over word ids)
    blocks: tuple[_Block, ...]
    sequences: tuple[_Sequences, ...]
    release: Callable[[], None] = lambda: None  # let go of pages read from a mapped file

    def mark(self, lo: int, hi: int, mask: Bools) -> None:
        """Set ``mask`` for every document holding a word of rank ``lo .. hi``."""
        if lo >= hi:
            return
        for block in self.blocks:
            view = mask[block.base : block.base + BLOCK]
            start, stop = int(block.offsets[lo]), int(block.offsets[hi])
            if start < stop:
                view[block.data[start:stop]] = True
            first, last = np.searchsorted(block.dense, [lo, hi]).tolist()
            if first < last:
                rows = block.bits[first:last]
                bits = np.bitwise_or.reduce(rows, axis=0) if last - first > 1 else rows[0]
                view |= np.unpackbits(bits, count=len(view), bitorder="little").view(np.bool_)

    def word(self, word: str, mask: Bools, *, prefix: bool) -> None:
        """Set ``mask`` for every document holding ``word`` (or a word it starts, ``prefix``)."""
        if prefix:
            self.mark(*self.vocabulary.prefixed(word), mask)
        else:
            rank = self.vocabulary.exact(word)
            if rank is not None:
                self.mark(rank, rank + 1, mask)

    def phrase(
        self, parts: Sequence[str], candidates: Bools, cancelled: Callable[[], bool]
    ) -> Bools | None:
        """The candidates where ``parts`` follow each other in one paragraph, the last as a
        prefix; None if cancelled."""
        exact = [self.vocabulary.exact(part) for part in parts[:-1]]
        last = self.vocabulary.prefixed(parts[-1])
        found = np.zeros(len(candidates), np.bool_)
        if None in exact or last[0] == last[1]:
            return found
        pattern, _ = varints(self.by_rank[[r for r in exact if r is not None]].astype(np.uint32))
        wanted = np.zeros(self.ids, np.bool_)
        wanted[self.by_rank[last[0] : last[1]]] = True
        documents = np.flatnonzero(candidates)
        for sequences in self.sequences:
            count = len(sequences.bounds) - 1
            lo, hi = np.searchsorted(documents, [sequences.base, sequences.base + count]).tolist()
            if lo == hi:
                continue
            local = documents[lo:hi] - sequences.base
            bounds = sequences.bounds
            if len(local) * 4 > count:
                # Dense: scan whole runs of documents, a few MB at a time.
                cuts = np.searchsorted(bounds, np.arange(0, int(bounds[-1]), _SCAN))
                steps = sorted({*cuts.tolist(), count})
                for first, stop in pairwise(steps):
                    if cancelled():
                        return None
                    part = sequences.data[int(bounds[first]) : int(bounds[stop])]
                    hits = _find(part, pattern, wanted)
                    where = bounds[first : stop + 1] - bounds[first]
                    found[sequences.base + first + np.searchsorted(where, hits, "right") - 1] = True
            else:
                # Sparse: gather the candidates' sequences, ~1/8 of a scan step at a time (the
                # gather's int64 positions take 8 bytes per byte gathered).
                sizes = bounds[local + 1] - bounds[local]
                cuts = np.searchsorted(np.cumsum(sizes), np.arange(0, sizes.sum(), _SCAN // 8))
                steps = sorted({*cuts.tolist(), len(local)})
                for first, stop in pairwise([0, *steps]):
                    if first == stop:
                        continue
                    if cancelled():
                        return None
                    some, size = local[first:stop], sizes[first:stop]
                    part = sequences.data[_spans(bounds[some], size)]
                    hits = _find(part, pattern, wanted)
                    where = np.cumsum(size) - size
                    found[sequences.base + some[np.searchsorted(where, hits, "right") - 1]] = True
        found &= candidates
        return found

    # --- on disk ---------------------------------------------------------------------------

    def arrays(self) -> tuple[dict[str, object], dict[str, npt.NDArray[np.generic]]]:
        """What :meth:`from_arrays` needs: a small JSON-able description, and named arrays."""
        vocabulary = self.vocabulary
        words, ends = (
            (vocabulary._blob, vocabulary._ends)
            if isinstance(vocabulary, PackedWords)
            else PackedWords.pack(vocabulary)  # type: ignore[arg-type]
        )
        arrays: dict[str, npt.NDArray[np.generic]] = {
            "words": words, "ends": ends, "by_rank": self.by_rank,
        }
        for i, block in enumerate(self.blocks):
            arrays |= {
                f"block{i}.offsets": block.offsets, f"block{i}.data": block.data,
                f"block{i}.dense": block.dense, f"block{i}.bits": block.bits,
            }
        for i, sequences in enumerate(self.sequences):
            arrays |= {
                f"sequences{i}.bounds": sequences.bounds, f"sequences{i}.data": sequences.data,
            }
        meta: dict[str, object] = {
            "documents": self.documents,
            "ids": self.ids,
            "blocks": [block.base for block in self.blocks],
            "sequences": [sequences.base for sequences in self.sequences],
        }
        return meta, arrays

    @classmethod
    def from_arrays(
        cls,
        meta: dict[str, object],
        arrays: dict[str, npt.NDArray[np.generic]],
        release: Callable[[], None] = lambda: None,
    ) -> Snapshot:
        """A snapshot over arrays written by :meth:`arrays` (memory-mapped, say).

        Checks every shape and bound a search relies on, so that a damaged file raises
        ValueError here rather than misbehave later; the contents of postings are not read."""
        try:
            documents, ids = int(meta["documents"]), int(meta["ids"])  # type: ignore[call-overload]
            block_bases = [int(b) for b in meta["blocks"]]  # type: ignore[attr-defined]
            sequence_bases = [int(b) for b in meta["sequences"]]  # type: ignore[attr-defined]
            words, ends, by_rank = arrays["words"], arrays["ends"], arrays["by_rank"]
            _check(words, np.uint8, 1)
            _check(ends, np.int64, 1)
            _check(by_rank, np.int32, 1)
            ranks = len(by_rank)
            if len(ends) != ranks or (ranks and int(ends[-1]) != len(words)):
                raise ValueError("vocabulary sizes disagree")
            if ranks and not 0 <= int(by_rank.min()) <= int(by_rank.max()) < ids:
                raise ValueError("word ids out of range")
            empty = np.empty(0, np.int32)
            blocks = []
            for i, base in enumerate(block_bases):
                offsets = arrays[f"block{i}.offsets"]
                data, dense = arrays[f"block{i}.data"], arrays[f"block{i}.dense"]
                bits = arrays[f"block{i}.bits"]
                if offsets.dtype not in (np.int32, np.int64):
                    raise ValueError("offsets of the wrong type")
                _check(offsets, offsets.dtype, 1)
                _check(data, np.uint16, 1)
                _check(dense, np.int32, 1)
                _check(bits, np.uint8, 2)
                if len(offsets) != ranks + 1 or int(offsets[0]) != 0 or (
                    int(offsets[-1]) != len(data)
                ):
                    raise ValueError("postings offsets disagree")
                if bits.shape != (len(dense), BLOCK // 8) or base % BLOCK or base >= max(
                    documents, 1
                ):
                    raise ValueError("block shape")
                blocks.append(
                    _Block(base, _Ranking(by_rank, empty), offsets, data, dense, bits)  # type: ignore[arg-type]
                )
            sequences = []
            for i, base in enumerate(sequence_bases):
                bounds, data = arrays[f"sequences{i}.bounds"], arrays[f"sequences{i}.data"]
                _check(bounds, np.int64, 1)
                _check(data, np.uint8, 1)
                if not len(bounds) or int(bounds[0]) != 0 or int(bounds[-1]) != len(data) or (
                    base + len(bounds) - 1 > documents
                ):
                    raise ValueError("word sequences disagree")
                sequences.append(_Sequences(base, bounds, data))  # type: ignore[arg-type]
        except (KeyError, TypeError) as error:
            raise ValueError(f"incomplete index part ({error})") from None
        return cls(
            documents=documents,
            vocabulary=PackedWords(words, ends),  # type: ignore[arg-type]
            by_rank=by_rank,  # type: ignore[arg-type]
            ids=ids,
            blocks=tuple(blocks),
            sequences=tuple(sequences),
            release=release,
        )


def _check(array: npt.NDArray[np.generic], dtype: object, dimensions: int) -> None:
    if array.dtype != dtype or array.ndim != dimensions:
        raise ValueError(f"an array of the wrong type ({array.dtype}, {array.ndim}d)")


def _find(data: U8, pattern: U8, wanted: Bools) -> I64:
    """Offsets in ``data`` where the ids ``pattern`` are followed by an id marked in ``wanted``.

    ``data`` is whole documents of word sequences: it starts at an id and ends with a separator,
    so the id after a match is always there."""
    width, size = len(pattern), len(data)
    if size <= width:
        return np.empty(0, np.int64)
    hit = data[: size - width] == pattern[0]
    for k in range(1, width):
        hit &= data[k : size - width + k] == pattern[k]
    hit[1:] &= data[: size - width - 1] < 0x80  # an id starts here: the byte before ended one
    at = np.flatnonzero(hit)
    if not len(at):
        return at
    position = at + width
    value = np.zeros(len(at), np.uint32)
    going = np.ones(len(at), np.bool_)
    for _ in range(5):
        byte = data[np.minimum(position, size - 1)]
        value = np.where(going, (value << 7) | (byte & 0x7F), value)
        going &= byte >= 0x80
        if not going.any():
            break
        position = position + 1
    good = value < len(wanted)
    good[good] = wanted[value[good]]
    return at[good]
